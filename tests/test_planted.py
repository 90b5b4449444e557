"""The planted-effect panel: a random walk without the effect, a reversal after the planted events with it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.features import FEATURE_NAMES, feature_array
from tests.planted import simulate_panel


def _long_capitulations(close: pd.DataFrame, volume: pd.DataFrame) -> np.ndarray:
    features = feature_array(close, volume)
    with np.errstate(invalid="ignore"):
        return (features[..., FEATURE_NAMES.index("qpi")] < 15) & (features[..., FEATURE_NAMES.index("vol_ratio_20")] > 1.3)


def _mean_forward_return(close: pd.DataFrame, events: np.ndarray, horizon: int = 6) -> float:
    forward = (close.shift(-horizon) / close - 1).to_numpy()
    return float(np.nanmean(forward[events]))


def test_same_seed_same_panel_and_no_effect_is_a_random_walk():
    close, volume = simulate_panel(600, 30, effect=0.0, seed=2)
    again, _ = simulate_panel(600, 30, effect=0.0, seed=2)
    pd.testing.assert_frame_equal(close, again)
    returns = close.pct_change().iloc[1:].to_numpy()
    assert abs(returns.std() - 0.02) < 0.001
    events = _long_capitulations(close, volume)
    assert events.sum() > 100
    assert abs(_mean_forward_return(close, events)) < 0.005


def test_the_planted_effect_lifts_returns_after_capitulation():
    effect = 0.01
    close, volume = simulate_panel(600, 30, effect=effect, seed=2)
    events = _long_capitulations(close, volume)
    # up to six days of +1% drift (events inside a running drift plant nothing new), noise averaging out
    assert _mean_forward_return(close, events) > 2.5 * effect
