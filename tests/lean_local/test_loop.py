"""The event loop's helpers (``lean_local.engine.loop``)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from lean_local.engine.common import Symbol
from lean_local.engine.loop import _TIMES_CHUNK, _last_close, _step_datetimes
from lean_local.engine.subscription_data import SubscriptionData, ns_to_datetime


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


def test_step_datetimes_are_ns_to_datetime_of_a_chunk():
    """The loop's steps' datetimes, a chunk converted at once: whole microseconds floored, before 1970 too."""
    grid = np.array([-1_001, -1, 0, 999, 1_000, 1_262_322_000_000_001_999] + [86_400 * 10**9 * d for d in range(300)],
                    dtype=np.int64)
    assert _step_datetimes(grid, 2) == [ns_to_datetime(ns) for ns in grid[2:2 + _TIMES_CHUNK].tolist()]
    assert _step_datetimes(grid, 0)[:2] == [datetime(1969, 12, 31, 23, 59, 59, 999998),
                                            datetime(1969, 12, 31, 23, 59, 59, 999999)]
    assert _step_datetimes(grid, 5)[0] == datetime(2010, 1, 1, 5, 0, 0, 1)
    assert len(_step_datetimes(grid, 300)) == len(grid) - 300
