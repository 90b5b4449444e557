"""The history frame's ``(symbol, time)`` index (``lean_local.engine.history_api``), pandas the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.history_api import _history_frame, _history_values
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.subscription_data import SubscriptionData, custom_subscription

DAY = 86_400 * 10**9


def part(symbol, times, **columns):
    """A history part: the symbol, its rows' times, its column names and values (rows x columns)."""
    return symbol, times, tuple(columns), np.column_stack(list(columns.values())).reshape(len(times), len(columns))


def from_arrays(parts):
    """The index ``MultiIndex.from_arrays`` builds from every row's symbol and time."""
    symbols = np.empty(sum(len(times) for _, times, _, _ in parts), dtype=object)
    symbols[:] = [symbol for symbol, times, _, _ in parts for _ in range(len(times))]
    times = pd.DatetimeIndex(np.concatenate([times for _, times, _, _ in parts]).view("datetime64[ns]"))
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
        parts.append(part(Symbol(f"T{ticker}", SecurityType.EQUITY, Market.USA), times, close=rng.random(rows)))
    assert_same_index(parts)


def test_one_ticker_under_two_identifiers_and_no_rows():
    first, second = (Symbol("ABC", SecurityType.EQUITY, Market.USA) for _ in range(2))
    first._sid = SecurityIdentifier.parse("SPY R735QTJ8XC9X")
    second._sid = SecurityIdentifier.parse("AAPL R735QTJ8XC9X")
    other = Symbol("ABB", SecurityType.EQUITY, Market.USA)
    times = np.arange(1, 4, dtype=np.int64) * DAY
    assert_same_index([part(first, times, close=np.ones(3)), part(other, times[:2], close=np.ones(2)),
                       part(second, times[1:], close=np.ones(2))])
    assert_same_index([part(first, times[:0], close=np.ones(0))])


@pytest.mark.parametrize("shared", [True, False])
def test_symbols_with_the_same_times_give_from_arrays_index_and_the_columns(shared):
    """Parts sharing one times array (or equal copies of it), a part without rows among them: the index
    from_arrays builds, each column the parts' values in order."""
    rng = np.random.default_rng(3)
    times = np.arange(5, dtype=np.int64) * DAY + 1_600_000_000 * 10**9
    parts = []
    for ticker in ("CCC", "AAA", "EMPTY", "BBB"):
        own = times[:0] if ticker == "EMPTY" else (times if shared else times.copy())
        parts.append(part(Symbol(ticker, SecurityType.EQUITY, Market.USA), own,
                          close=rng.random(len(own)), volume=rng.random(len(own))))
    assert_same_index(parts)
    frame = _history_frame(parts)
    for j, name in enumerate(("close", "volume")):
        np.testing.assert_array_equal(frame[name].to_numpy(), np.concatenate([values[:, j] for *_, values in parts]))


def test_repeated_times_within_a_symbol_are_one_level_value():
    times = np.array([1, 2, 2, 3], dtype=np.int64) * DAY
    parts = [part(Symbol(t, SecurityType.EQUITY, Market.USA), times, close=np.ones(4)) for t in ("B", "A")]
    assert_same_index(parts)


def test_parts_sharing_the_window_and_one_shorter_part_give_the_time_codes():
    """Most symbols share the window's sessions array, one listed inside the window has its last two, one
    has a bar off the sessions: the time level is every distinct time, each row's code its position."""
    window = np.array([10, 11, 12, 13], dtype=np.int64) * DAY
    listed, off = window[2:].copy(), np.array([11 * DAY, 11 * DAY + 5, 13 * DAY], dtype=np.int64)
    parts = [part(Symbol(t, SecurityType.EQUITY, Market.USA), times, close=np.ones(len(times)))
             for t, times in (("A", window), ("B", listed), ("C", window), ("D", off), ("E", window))]
    assert_same_index(parts)
    index = _history_frame(parts).index
    assert index.levels[1].asi8.tolist() == [10 * DAY, 11 * DAY, 11 * DAY + 5, 12 * DAY, 13 * DAY]
    assert index.codes[1].tolist() == [0, 1, 3, 4, 3, 4, 0, 1, 3, 4, 1, 2, 4, 0, 1, 3, 4]


def test_history_values_of_trade_bars_are_rows_of_the_block_with_fill_forward_volume_zero():
    """Consecutive bars are a view of the subscription's open..volume block; a row repeating a bar (its
    end time after the bar's) has the bar's prices and no volume."""
    ends = np.array([1, 2, 4], dtype=np.int64) * DAY
    fields = {"open": np.array([10.0, 11.0, 12.0]), "high": np.array([10.5, 11.5, 12.5]),
              "low": np.array([9.5, 10.5, 11.5]), "close": np.array([10.2, 11.2, 12.2]),
              "volume": np.array([100.0, 200.0, 300.0])}
    data = SubscriptionData(Symbol("ABC"), "trade", ends - DAY // 2, ends, fields, np.ones(3))
    names, values = _history_values(data, slice(1, 3), ends[1:])
    assert names == ("open", "high", "low", "close", "volume")
    assert values.tolist() == [[11.0, 11.5, 10.5, 11.2, 200.0], [12.0, 12.5, 11.5, 12.2, 300.0]]
    assert np.shares_memory(values, data.ohlcv)
    names, values = _history_values(data, np.array([0, 1, 1, 2]), np.array([1, 2, 3, 4], dtype=np.int64) * DAY)
    assert values.tolist() == [[10.0, 10.5, 9.5, 10.2, 100.0], [11.0, 11.5, 10.5, 11.2, 200.0],
                               [11.0, 11.5, 10.5, 11.2, 0.0], [12.0, 12.5, 11.5, 12.2, 300.0]]
    assert data.fields["volume"].tolist() == [100.0, 200.0, 300.0]


def test_history_values_of_quote_and_custom_data_in_lean_column_order():
    ends = np.array([1, 2], dtype=np.int64) * DAY
    quote_fields = {f"{side}_{part}": np.array([base + k, base + k + 0.5]) for k, part in
                    enumerate(("open", "high", "low", "close", "size")) for side, base in (("bid", 1.0), ("ask", 2.0))}
    for part in ("open", "high", "low", "close"):
        quote_fields[part] = (quote_fields[f"bid_{part}"] + quote_fields[f"ask_{part}"]) / 2.0
    quote_fields["volume"] = np.zeros(2)
    quotes = SubscriptionData(Symbol("EURUSD"), "quote", ends - DAY, ends, quote_fields, np.ones(2))
    names, values = _history_values(quotes, slice(0, 2), ends)
    assert names == ("askclose", "askhigh", "asklow", "askopen", "asksize", "bidclose", "bidhigh", "bidlow",
                     "bidopen", "bidsize", "close", "high", "low", "open")
    assert values[1].tolist() == [5.5, 3.5, 4.5, 2.5, 6.5, 4.5, 2.5, 3.5, 1.5, 5.5, 5.0, 3.0, 4.0, 2.0]
    custom = custom_subscription(Symbol("DATA"), [None, None], ends - DAY, ends,
                                 (np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0.5, 1.5]),
                                  np.array([2.5, 3.5])), True)
    names, values = _history_values(custom, slice(0, 2), ends)
    assert names == ("open", "high", "low", "close", "value")
    assert values.tolist() == [[1.0, 3.0, 0.5, 2.5, 2.5], [2.0, 4.0, 1.5, 3.5, 3.5]]


def test_each_frame_owns_its_column_index():
    """Two frames of trade bars have equal column indexes, not one object: naming one frame's columns
    in place leaves the other's unnamed."""
    times = np.arange(1, 3, dtype=np.int64) * DAY
    columns = dict.fromkeys(("open", "high", "low", "close", "volume"), np.ones(2))
    first, second = (_history_frame([part(Symbol("AAA", SecurityType.EQUITY, Market.USA), times, **columns)])
                     for _ in range(2))
    assert first.columns.tolist() == ["open", "high", "low", "close", "volume"] and first.columns.dtype == object
    first.columns.name = "field"
    assert second.columns.name is None and second.columns.equals(first.columns)
