"""The history frame's ``(symbol, time)`` index (``lean_local.engine.history_api``), pandas the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.history_api import _history_frame
from lean_local.engine.identifiers import SecurityIdentifier

DAY = 86_400 * 10**9


def from_arrays(parts):
    """The index ``MultiIndex.from_arrays`` builds from every row's symbol and time."""
    symbols = np.empty(sum(len(times) for _, times, _ in parts), dtype=object)
    symbols[:] = [symbol for symbol, times, _ in parts for _ in range(len(times))]
    times = pd.DatetimeIndex(np.concatenate([times for _, times, _ in parts]).view("datetime64[ns]"))
    return pd.MultiIndex.from_arrays([symbols, times], names=["symbol", "time"])


def assert_same_index(parts):
    expected, index = from_arrays(parts), _history_frame(parts).index
    assert index.equals(expected)
    assert index.names == expected.names
    for level, expected_level in zip(index.levels, expected.levels, strict=True):
        pd.testing.assert_index_equal(level, expected_level, exact=True)
    for codes, expected_codes in zip(index.codes, expected.codes, strict=True):
        np.testing.assert_array_equal(codes, expected_codes)


@pytest.mark.parametrize("seed", range(20))
def test_the_index_is_the_one_from_arrays_builds(seed):
    """Repeated symbols, symbols without rows and unsorted tickers give from_arrays' levels and codes."""
    rng = np.random.default_rng(seed)
    parts = []
    for ticker in rng.integers(0, 40, int(rng.integers(1, 30))):
        rows = int(rng.integers(0, 12))
        times = np.sort(rng.choice(20, rows, replace=False)).astype(np.int64) * DAY + 1_600_000_000 * 10**9
        parts.append((Symbol(f"T{ticker}", SecurityType.EQUITY, Market.USA), times, {"close": rng.random(rows)}))
    assert_same_index(parts)


def test_one_ticker_under_two_identifiers_and_no_rows():
    first, second = (Symbol("ABC", SecurityType.EQUITY, Market.USA) for _ in range(2))
    first._sid = SecurityIdentifier.parse("SPY R735QTJ8XC9X")
    second._sid = SecurityIdentifier.parse("AAPL R735QTJ8XC9X")
    other = Symbol("ABB", SecurityType.EQUITY, Market.USA)
    times = np.arange(1, 4, dtype=np.int64) * DAY
    assert_same_index([(first, times, {"close": np.ones(3)}), (other, times[:2], {"close": np.ones(2)}),
                       (second, times[1:], {"close": np.ones(2)})])
    assert_same_index([(first, times[:0], {"close": np.ones(0)})])


@pytest.mark.parametrize("shared", [True, False])
def test_symbols_with_the_same_times_give_from_arrays_index_and_the_columns(shared):
    """Parts sharing one times array (or equal copies of it), a part without rows among them: the index
    from_arrays builds, each column the parts' values in order."""
    rng = np.random.default_rng(3)
    times = np.arange(5, dtype=np.int64) * DAY + 1_600_000_000 * 10**9
    parts = []
    for ticker in ("CCC", "AAA", "EMPTY", "BBB"):
        own = times[:0] if ticker == "EMPTY" else (times if shared else times.copy())
        parts.append((Symbol(ticker, SecurityType.EQUITY, Market.USA), own,
                      {"close": rng.random(len(own)), "volume": rng.random(len(own))}))
    assert_same_index(parts)
    frame = _history_frame(parts)
    for name in ("close", "volume"):
        np.testing.assert_array_equal(frame[name].to_numpy(), np.concatenate([c[name] for _, _, c in parts]))


def test_repeated_times_within_a_symbol_are_one_level_value():
    times = np.array([1, 2, 2, 3], dtype=np.int64) * DAY
    parts = [(Symbol(t, SecurityType.EQUITY, Market.USA), times, {"close": np.ones(4)}) for t in ("B", "A")]
    assert_same_index(parts)


def test_parts_sharing_the_window_and_one_shorter_part_give_the_time_codes():
    """Most symbols share the window's sessions array, one listed inside the window has its last two, one
    has a bar off the sessions: the time level is every distinct time, each row's code its position."""
    window = np.array([10, 11, 12, 13], dtype=np.int64) * DAY
    listed, off = window[2:].copy(), np.array([11 * DAY, 11 * DAY + 5, 13 * DAY], dtype=np.int64)
    parts = [(Symbol(t, SecurityType.EQUITY, Market.USA), times, {"close": np.ones(len(times))})
             for t, times in (("A", window), ("B", listed), ("C", window), ("D", off), ("E", window))]
    assert_same_index(parts)
    index = _history_frame(parts).index
    assert index.levels[1].asi8.tolist() == [10 * DAY, 11 * DAY, 11 * DAY + 5, 12 * DAY, 13 * DAY]
    assert index.codes[1].tolist() == [0, 1, 3, 4, 3, 4, 0, 1, 3, 4, 1, 2, 4, 0, 1, 3, 4]
