"""A history request's rows and a delisted subscription's last visible time
(``lean_local.engine.subscription_data``), hand-computed."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from lean_local.engine.common import SecurityType, Symbol
from lean_local.engine.subscription_data import (
    NS_PER_DAY,
    SubscriptionData,
    delisting_day_end_ns,
    history_rows,
    ns_to_datetime,
    visible_until,
)

DAY = NS_PER_DAY
CLOSE = 16 * 3600 * 10**9  # a session's close, after midnight


def sub(days: list[int], delisted: pd.Timestamp | None = None) -> SubscriptionData:
    """Daily bars ending at the close of each of ``days`` (days since the epoch)."""
    ends = np.asarray(days, dtype=np.int64) * DAY + CLOSE
    fields = {name: np.arange(len(ends), dtype=np.float64) + 1 for name in ("open", "high", "low", "close", "volume")}
    return SubscriptionData(Symbol("AAA", SecurityType.EQUITY, "usa"), "trade", ends - 5, ends, fields,
                            np.ones(len(ends)), delisted=delisted)


SESSIONS = np.arange(1, 11, dtype=np.int64) * DAY + CLOSE  # days 1..10


def test_visible_until_is_the_end_or_the_last_nanosecond_of_the_delisting_day():
    assert visible_until(sub([1]), 123) == 123
    delisted = sub([1], delisted=pd.Timestamp(5 * DAY))  # midnight of day 5
    assert visible_until(delisted, 10 * DAY) == 6 * DAY - 1
    assert visible_until(delisted, 3 * DAY) == 3 * DAY
    assert visible_until(delisted, 10 * DAY) == int((pd.Timestamp(5 * DAY) + pd.Timedelta(days=1)).value) - 1


def test_a_bar_every_session_of_the_window_is_a_slice_of_the_bars():
    """The last 3 sessions to day 8's close: days 6, 7, 8, bars 5..7 of a subscription with one every day."""
    data = sub(list(range(1, 11)))
    rows, times = history_rows(data, SESSIONS, 8 * DAY + CLOSE, periods=3, windows={})
    assert rows == slice(5, 8)
    assert (times == SESSIONS[5:8]).all()


def test_a_missing_session_is_filled_forward_and_a_symbol_listed_in_the_window_starts_at_its_first_bar():
    data = sub([1, 2, 3, 4, 6, 7, 8])  # no bar on day 5
    rows, times = history_rows(data, SESSIONS, 8 * DAY + CLOSE, periods=5, windows={})
    assert rows.tolist() == [3, 3, 4, 5, 6]  # days 4..8: day 5 repeats day 4's bar
    assert (times == SESSIONS[3:8]).all()
    listed = sub([7, 8])
    rows, times = history_rows(listed, SESSIONS, 8 * DAY + CLOSE, periods=5, windows={})
    assert rows == slice(0, 2)
    assert (times == SESSIONS[6:8]).all()


def test_a_delisted_symbols_window_is_its_last_sessions_to_the_delisting_day():
    """Delisted on day 6: the last 4 sessions are days 3..6 (to day 8 they would be days 5..8)."""
    data = sub(list(range(1, 7)), delisted=pd.Timestamp(6 * DAY))
    rows, times = history_rows(data, SESSIONS, 8 * DAY + CLOSE, periods=4, windows={})
    assert rows == slice(2, 6)
    assert (times == SESSIONS[2:6]).all()


def test_delisting_day_end_is_the_last_nanosecond_of_the_day():
    delisted = pd.Timestamp("2015-03-06")
    assert delisting_day_end_ns(delisted) == pd.Timestamp("2015-03-07").value - 1


def test_ns_to_datetime_keeps_whole_microseconds_floored():
    """The nanoseconds' whole microseconds since the epoch (floored, before 1970 too), as a naive datetime."""
    assert ns_to_datetime(1_262_613_600_000_001_999) == datetime(2010, 1, 4, 14, 0, 0, 1)
    assert ns_to_datetime(0) == datetime(1970, 1, 1)
    assert ns_to_datetime(-1) == datetime(1969, 12, 31, 23, 59, 59, 999_999)
    assert ns_to_datetime(int(pd.Timestamp("2024-02-29 16:00").value)) == datetime(2024, 2, 29, 16)
