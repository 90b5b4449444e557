"""Fixtures of the ML training and model-store tests."""

import pytest
from threadpoolctl import threadpool_limits

from shared.ml_training import build_events
from tests.planted import simulate_panel


@pytest.fixture
def one_thread():
    """One BLAS/OpenMP thread: on a shared machine, OpenMP spinning across busy cores makes boosting fits
    erratic and slow."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def planted():
    """A panel with a planted 6-day reversal (effect 0.008) and its events: ``(close, volume, events)``."""
    close, volume = simulate_panel(1500, 120, effect=0.008, seed=11)
    return close, volume, build_events(close, volume)
