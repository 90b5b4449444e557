"""Tests of the history frame as (dates x symbols) arrays and of a slice's bars as arrays."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from shared.history_panel import slice_bars, traded_bars


def _history() -> pd.DataFrame:
    """Two symbols over three days: BBB has no bar on the first day and a fill-forward row (volume 0)."""
    days = pd.DatetimeIndex(["2014-03-24 16:00", "2014-03-25 16:00", "2014-03-26 16:00"])
    rows = [("AAA", days[0], 10.0, 100.0), ("AAA", days[1], 11.0, 200.0), ("AAA", days[2], 12.0, 300.0),
            ("BBB", days[1], 20.0, 50.0), ("BBB", days[2], 20.0, 0.0)]
    index = pd.MultiIndex.from_arrays([[r[0] for r in rows], [r[1] for r in rows]], names=["symbol", "time"])
    return pd.DataFrame({"close": [r[2] for r in rows], "volume": [r[3] for r in rows]}, index=index)


def test_traded_bars_by_hand():
    close, volume = traded_bars(_history(), ["BBB", "CCC", "AAA"])
    nan = np.nan
    np.testing.assert_array_equal(close, [[nan, nan, 10.0], [20.0, nan, 11.0], [nan, nan, 12.0]])
    np.testing.assert_array_equal(volume, [[nan, nan, 100.0], [50.0, nan, 200.0], [nan, nan, 300.0]])


def test_traded_bars_equal_the_pandas_pivot_masked_by_volume():
    rng = np.random.default_rng(3)
    days = pd.date_range("2020-01-01 16:00", periods=40, freq="D")
    parts = []
    for k in range(6):
        present = days[rng.random(len(days)) < 0.8]
        index = pd.MultiIndex.from_arrays([[f"S{k}"] * len(present), present], names=["symbol", "time"])
        volume = np.where(rng.random(len(present)) < 0.1, 0.0, rng.uniform(1, 9, len(present)))
        parts.append(pd.DataFrame({"close": rng.uniform(5, 50, len(present)), "volume": volume}, index=index))
    history = pd.concat(parts)
    symbols = ["S3", "S9", "S0", "S5", "S1", "S2", "S4"]
    close, volume = traded_bars(history, symbols)
    pivot_close = history["close"].unstack(level=0).reindex(columns=symbols)
    pivot_volume = history["volume"].unstack(level=0).reindex(columns=symbols)
    traded = pivot_volume > 0
    np.testing.assert_array_equal(close, pivot_close.where(traded).to_numpy())
    np.testing.assert_array_equal(volume, pivot_volume.where(traded).to_numpy())


def test_traded_bars_of_many_symbols_over_small_index_codes():
    """80 days of 300 symbols: the index's time codes are 8 bits, a cell's flat position is not."""
    days = pd.date_range("2020-01-01 16:00", periods=80, freq="D")
    symbols = [f"S{k:03d}" for k in range(300)]
    index = pd.MultiIndex.from_product([symbols, days], names=["symbol", "time"])
    assert index.codes[1].dtype == np.int8
    value = np.arange(len(index), dtype=np.float64) + 1.0  # row k: close k + 1, volume k + 1
    close, volume = traded_bars(pd.DataFrame({"close": value, "volume": value}, index=index), symbols[::-1])
    assert close.shape == (80, 300)
    # symbol S000's rows are 0..79 and it is the last column; S299's are 23,920.. and it is the first
    np.testing.assert_array_equal(close[:, -1], np.arange(80) + 1.0)
    np.testing.assert_array_equal(volume[:, 0], np.arange(299 * 80, 300 * 80) + 1.0)
    assert close[79, 150] == (149 * 80 + 79) + 1.0  # column 150 is S149


def test_rows_of_symbols_not_asked_for_are_left_out_and_a_repeated_row_keeps_its_last():
    """The history's AAA rows only fill AAA's column (BBB is not asked for); a (symbol, time) row given
    twice takes its last row, masked by that row's volume: AAA's second day's repeat has volume 0."""
    history = _history()
    repeat = history.iloc[[1]].assign(volume=0.0)
    close, volume = traded_bars(pd.concat([history, repeat]), ["AAA"])
    np.testing.assert_array_equal(close, [[10.0], [np.nan], [12.0]])
    np.testing.assert_array_equal(volume, [[100.0], [np.nan], [300.0]])
    close, volume = traded_bars(pd.concat([repeat, history]), ["AAA"])
    np.testing.assert_array_equal(close, [[10.0], [11.0], [12.0]])
    np.testing.assert_array_equal(volume, [[100.0], [200.0], [300.0]])


def test_an_empty_history_gives_none():
    assert traded_bars(pd.DataFrame(), ["AAA"]) == (None, None)


def test_a_time_level_unsorted_or_with_unused_times_gives_the_pivot():
    """A filtered frame keeps times no row uses, a frame may list its times unsorted: the dates are the
    rows' distinct times, oldest first, either way."""
    history = _history()
    filtered = history[history.index.get_level_values(1) > history.index.levels[1][0]]
    assert len(filtered.index.levels[1]) == 3  # the first day stays in the level, unused
    close, _ = traded_bars(filtered, ["AAA", "BBB"])
    np.testing.assert_array_equal(close, [[11.0, 20.0], [12.0, np.nan]])
    index = history.index
    reversed_level = index.levels[1][::-1]
    unsorted = pd.MultiIndex(levels=[index.levels[0], reversed_level], codes=[index.codes[0], 2 - index.codes[1]],
                             names=index.names)
    assert unsorted.equals(index) and not unsorted.levels[1].is_monotonic_increasing
    for got, expected in zip(traded_bars(history.set_axis(unsorted), ["BBB", "AAA"]),
                             traded_bars(history, ["BBB", "AAA"]), strict=True):
        np.testing.assert_array_equal(got, expected)


def _bar(close: float, volume: float, fill_forward: bool = False) -> SimpleNamespace:
    return SimpleNamespace(close=close, volume=volume, is_fill_forward=fill_forward)


def test_slice_bars_by_hand():
    """Three tracked symbols: AAA traded, BBB a fill-forward bar, CCC no bar; ZZZ is not tracked."""
    position = {"BBB": 0, "CCC": 1, "AAA": 2}
    bars = [("ZZZ", _bar(5.0, 10.0)), ("AAA", _bar(10.0, 100.0)), ("BBB", _bar(20.0, 0.0, fill_forward=True))]
    close, volume = slice_bars(bars, position, 3)
    nan = np.nan
    np.testing.assert_array_equal(close, [nan, nan, 10.0])
    np.testing.assert_array_equal(volume, [nan, nan, 100.0])


def test_slice_bars_only_fill_forward_gives_missing_bars_and_none_without_tracked_bars():
    close, volume = slice_bars([("BBB", _bar(20.0, 0.0, fill_forward=True))], {"BBB": 0, "AAA": 1}, 2)
    assert np.isnan(close).all() and np.isnan(volume).all()
    assert slice_bars([("ZZZ", _bar(5.0, 10.0))], {"AAA": 0}, 1) == (None, None)
    assert slice_bars([], {"AAA": 0}, 1) == (None, None)
