"""The event loop's helpers (``lean_local.engine.loop``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_local.engine.common import Symbol
from lean_local.engine.loop import _last_close
from lean_local.engine.subscription_data import SubscriptionData


def _ns(text: str) -> int:
    return pd.Timestamp(text).value


def test_a_warnings_close_is_the_last_bar_ending_before_the_day():
    """The price a split warning or a delisting carries: the close of each day's last bar before the
    event's midnight, unadjusted by its factor (``raw``; a factor of 0 leaves the close) or as the
    algorithm sees it (``normalized``); 0 before the first bar. Minute-like bars: two on 01-02, one on
    01-03 (the 01-02 16:00 bar is that day's last), one ending at 01-05 00:00 (a bar of 01-05)."""
    ends = np.array([_ns("2020-01-02 10:00"), _ns("2020-01-02 16:00"), _ns("2020-01-03 10:00"),
                     _ns("2020-01-05 00:00")])
    fields = {name: np.array([10.0, 11.0, 12.0, 13.0]) for name in ("open", "high", "low", "close", "volume")}
    sub = SubscriptionData(Symbol("AAA"), "trade", ends - 60 * 10**9, ends, fields, np.array([0.5, 0.5, 0.0, 0.25]))
    assert _last_close(sub, "raw", _ns("2020-01-02")) == 0.0
    assert _last_close(sub, "raw", _ns("2020-01-03")) == 22.0  # 11 / 0.5
    assert _last_close(sub, "normalized", _ns("2020-01-03")) == 11.0
    assert _last_close(sub, "raw", _ns("2020-01-04")) == 12.0  # a factor of 0: the close itself
    assert _last_close(sub, "raw", _ns("2020-01-05")) == 12.0  # the bar ending at 01-05 00:00 is of 01-05
    assert _last_close(sub, "raw", _ns("2020-01-06")) == 52.0  # 13 / 0.25
