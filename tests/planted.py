"""An in-memory daily panel with a planted reversal after QPI events, for the ML pipeline's science tests.

It checks that the pipeline finds an effect that exists and none where there is none
(``tests/shared/test_ml_training.py``, ``benchmarks/bench_training.py``). The effect is conditioned on
the library's own features, so its events are the events the models learn on. For LEAN-format data
folders see :mod:`lean_local.data.synthetic`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.features import FEATURE_NAMES, FeatureState
from shared.ml_training import DEFAULT_EVENTS, EventConfig


def simulate_panel(
    n_dates: int,
    n_symbols: int,
    effect: float,
    seed: int,
    config: EventConfig = DEFAULT_EVENTS,
    daily_vol: float = 0.02,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-walk prices with a planted, volume-conditioned reversal after QPI events.

    After a long event (``qpi < long_threshold``) on heavy volume (``vol_ratio_20 > 1.3``, capitulation)
    the next ``horizon`` daily returns get a drift of ``+effect``; on light volume ``-effect / 2``
    (continuation). Short events mirror this (``vol_ratio_20 < 0.8``: ``-effect``, else ``+effect / 2``).
    ``effect = 0`` gives a pure random walk. Volumes are i.i.d. log-normal.

    Returns
    -------
    close, volume : pd.DataFrame
        Index: business days from 2000-01-03, columns ``S0000``, ``S0001``, ...
    """
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, daily_vol, (n_dates, n_symbols))
    volume = np.exp(rng.normal(13.8, 0.5, (n_dates, n_symbols)))
    close = np.empty((n_dates, n_symbols))
    state = FeatureState(range(n_symbols))
    drift = np.zeros(n_symbols)
    left = np.zeros(n_symbols, dtype=np.int64)
    qpi_col, ratio_col = FEATURE_NAMES.index("qpi"), FEATURE_NAMES.index("vol_ratio_20")
    price = np.full(n_symbols, 50.0)
    for t in range(n_dates):
        price = price * (1.0 + noise[t] + np.where(left > 0, drift, 0.0))
        left = np.maximum(left - 1, 0)
        close[t] = price
        feats = state.update(price, volume[t])
        qpi, ratio = feats[:, qpi_col], feats[:, ratio_col]
        with np.errstate(invalid="ignore"):
            long_event = (qpi < config.long_threshold) & (left == 0)
            short_event = (qpi > config.short_threshold) & (left == 0)
            new_drift = np.where(
                long_event,
                np.where(ratio > 1.3, effect, -effect / 2),
                np.where(short_event, np.where(ratio < 0.8, -effect, effect / 2), 0.0),
            )
        starts = long_event | short_event
        drift = np.where(starts, new_drift, drift)
        left = np.where(starts, config.horizon, left)
    dates = pd.bdate_range("2000-01-03", periods=n_dates)
    columns = [f"S{j:04d}" for j in range(n_symbols)]
    return pd.DataFrame(close, index=dates, columns=columns), pd.DataFrame(volume, index=dates, columns=columns)
