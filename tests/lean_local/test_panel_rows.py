"""The feed panel's alignment helpers: ``FirstEqual`` finds equal arrays once; ``alike_columns`` groups the
columns of equal times and ``shared_rows`` gives a group's rows and codes; ``BlockRows`` gives each
column's latest bar, its end and close, and its emission flags at every step of a block, as a search of
each step on its own does."""

from __future__ import annotations

import numpy as np
import pytest

from lean_local.engine.common import Symbol
from lean_local.engine.panel_rows import (
    BlockRows,
    FirstEqual,
    alike_columns,
    emission_codes,
    on_times,
    searched_rows,
    shared_rows,
    write_alike,
)
from lean_local.engine.subscription_data import SubscriptionData


def test_first_equal_returns_the_first_array_met_equal():
    first_equal = FirstEqual()
    a = np.array([1, 2, 3], dtype=np.int64)
    assert first_equal(a) is a
    assert first_equal(a.copy()) is a
    b = np.array([1, 5, 3], dtype=np.int64)  # same dtype, length, first and last value, other bytes
    assert first_equal(b) is b
    assert first_equal(b.copy()) is b
    c = np.array([1, 2, 3], dtype=np.int32)  # equal values, another dtype: another array
    assert first_equal(c) is c
    assert first_equal(np.array([1, 2, 3], dtype=np.int64)) is a


def _expected(grid, end_time, close, visible_from, emissions):
    """Row, end, close and emission flag at each step, one step at a time."""
    through = np.searchsorted(end_time, grid, side="right") - 1  # the latest bar ending at or before the step
    first_visible = np.searchsorted(end_time, visible_from, side="left")
    row = np.where(through >= first_visible, through, -1)
    return row, np.isin(grid, emissions)


@pytest.mark.parametrize("seed", range(20))
def test_block_rows_equal_a_search_of_each_step(seed):
    """Rows, ends, closes, fields and emission flags; every other column emits at its bars' ends."""
    rng = np.random.default_rng(seed)
    grid = np.cumsum(rng.integers(1, 4, 30)) + 1_000
    block = BlockRows(grid, with_fields=True)
    columns = []
    for j in range(6):
        end_time = np.unique(rng.integers(grid[0] - 20, grid[-1] + 20, rng.integers(1, 40)))
        ohlcv = rng.uniform(1, 2, (len(end_time), 5))
        fields = {name: ohlcv[:, k] for k, name in enumerate(("open", "high", "low", "close", "volume"))}
        sub = SubscriptionData(Symbol("X"), "trade", end_time - 1, end_time, fields, np.ones(len(end_time)))
        visible_from = int(rng.integers(grid[0] - 30, grid[-1] + 5))
        emissions = np.unique(rng.integers(grid[0] - 5, grid[-1] + 5, rng.integers(0, 30)))
        if j % 2:  # emitted at its bars' ends (one array): found with its bars
            sub.emit_times = emissions = sub.end_time
        block.add_bars(j, sub, visible_from)
        if not j % 2:
            block.add_emissions(j, emissions)
        columns.append((sub, visible_from, emissions))
    shape = (6, len(grid))
    current, ends, closes = np.full(shape, -7), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    emits = np.zeros(shape, dtype=bool)
    block.fill(current, ends, closes, emits)
    rows, starts, ohlcv = block.bar_fields()
    assert rows == list(range(6)) and starts.shape == shape and ohlcv.shape == (*shape, 5)
    for j, (sub, visible_from, emissions) in enumerate(columns):
        row, emitted = _expected(grid, sub.end_time, sub.fields["close"], visible_from, emissions)
        np.testing.assert_array_equal(current[j], row)
        seen = row >= 0
        np.testing.assert_array_equal(ends[j][seen], sub.end_time[row[seen]])
        np.testing.assert_array_equal(closes[j][seen], sub.fields["close"][row[seen]])
        np.testing.assert_array_equal(emits[j], emitted)
        np.testing.assert_array_equal(starts[j][seen], sub.end_time[row[seen]] - 1)
        np.testing.assert_array_equal(ohlcv[j][seen], sub.ohlcv[row[seen]])


def test_block_rows_without_bars_give_no_fields():
    block = BlockRows(np.array([10, 20], dtype=np.int64), with_fields=True)
    block.add_emissions(0, np.array([20], dtype=np.int64))
    emits = np.zeros((1, 2), dtype=bool)
    block.fill(np.full((1, 2), -1), np.zeros((1, 2), dtype=np.int64), np.zeros((1, 2)), emits)
    rows, starts, ohlcv = block.bar_fields()
    assert rows == [] and starts.shape == (0, 2) and ohlcv.shape == (0, 2, 5)
    np.testing.assert_array_equal(emits, [[False, True]])


def test_searched_rows_are_the_latest_visible_bar_at_each_step():
    end_time = np.array([10, 20, 30, 40], dtype=np.int64)
    grid = np.array([5, 10, 25, 30, 45], dtype=np.int64)
    np.testing.assert_array_equal(searched_rows(end_time, grid, visible_from=0), [-1, 0, 1, 2, 3])
    # bars ending before 21 are not visible: the bar ending at 30 is the first shown
    np.testing.assert_array_equal(searched_rows(end_time, grid, visible_from=21), [-1, -1, -1, 2, 3])


def test_emission_codes_rank_real_over_fill_forward_and_held_over_both():
    emits = np.array([False, True, True, False, True])
    real = np.array([False, False, True, True, True])
    held = np.array([False, False, False, False, True])
    codes = emission_codes(emits, real, held)
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, [0, 1, 2, 2, 0])


def _sub(end_time: list[int], emit_times: list[int]) -> SubscriptionData:
    ends = np.array(end_time, dtype=np.int64)
    closes = np.arange(1.0, len(ends) + 1)
    fields = {"open": closes, "high": closes, "low": closes, "close": closes, "volume": closes}
    sub = SubscriptionData(Symbol("X"), "trade", ends - 1, ends, fields, np.ones(len(ends)))
    sub.emit_times = np.array(emit_times, dtype=np.int64)
    return sub


def test_alike_columns_groups_equal_times_and_visibility_only():
    subs = [_sub([10, 20, 30], [10, 20, 30]),  # 0
            _sub([10, 20, 30], [10, 20, 30]),  # 1: as 0
            _sub([10, 25, 30], [10, 20, 30]),  # 2: other end times with the same length, first and last
            _sub([10, 20, 30], [10, 20, 30]),  # 3: as 0, visible later
            _sub([10, 20, 30], [10, 20, 30]),  # 4: as 0, frozen
            _sub([10, 20, 30], [10, 20, 30]),  # 5: as 0, seeded
            _sub([10, 20, 30], [10, 20, 30]),  # 6: as 0
            _sub([10, 20, 30], [10, 15, 30]),  # 7: other emission times
            _sub([], [])]                      # 8: no bars
    visible_from = [0, 0, 0, 15, 0, 0, 0, 0, 0]
    alike, rest = alike_columns(list(range(9)), subs, visible_from, frozen={4: (0, 9, 1)}, seeds={5: (0, 0, 1.0)})
    assert [(group[2], group[3]) for group in alike] == [(0, [0, 1, 6])]
    np.testing.assert_array_equal(alike[0][0], [10, 20, 30])
    np.testing.assert_array_equal(alike[0][1], [10, 20, 30])
    assert sorted(rest) == [2, 3, 4, 5, 7, 8]
    # the group's columns now hold its arrays (a later alignment finds them by identity); the others keep theirs
    assert all(subs[c].end_time is alike[0][0] and subs[c].emit_times is alike[0][1] for c in (0, 1, 6))
    assert subs[3].end_time is not alike[0][0]
    np.testing.assert_array_equal(subs[2].end_time, [10, 25, 30])


def test_shared_rows_are_a_groups_rows_codes_and_read_positions():
    end_time = np.array([10, 20, 30], dtype=np.int64)
    grid = np.array([5, 10, 15, 20, 25, 30, 35], dtype=np.int64)
    row, codes, at = shared_rows(end_time, np.array([10, 15, 20, 30, 35], dtype=np.int64), 11, grid)
    # the bar ending at 10 is not visible (visible from 11): nothing before 20
    np.testing.assert_array_equal(row, [-1, -1, -1, 1, 1, 2, 2])
    np.testing.assert_array_equal(codes, [0, 0, 0, 2, 0, 2, 1])  # 25: not emitted; 35: filled forward
    np.testing.assert_array_equal(at, [0, 0, 0, 1, 1, 2, 2])
    row, codes, _ = shared_rows(end_time, None, 0, grid)  # no emission times: the real bars only
    np.testing.assert_array_equal(row, [-1, 0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(codes, [0, 2, 0, 2, 0, 2, 0])


@pytest.mark.parametrize("columns", [[1, 2], [0, 2]])  # a slice of the panel's columns, an index array
def test_write_alike_writes_each_columns_closes_and_the_shared_rows_and_codes(columns):
    end_time = np.array([10, 20, 30], dtype=np.int64)
    grid = np.array([5, 10, 15, 20, 25, 30, 35], dtype=np.int64)
    subs = [SubscriptionData(Symbol(f"S{c}"), "trade", end_time - 1, end_time,
                             {name: np.array([1.0, 2.0, 3.0]) * (c + 1) for name in
                              ("open", "high", "low", "close", "volume")}, np.ones(3)) for c in range(3)]
    current, close, emit = np.full((9, 3), 7, dtype=np.int32), np.full((9, 3), 9.0), np.full((9, 3), 5, dtype=np.int8)
    write_alike((current, close, emit), subs, columns, shared_rows(end_time, end_time, 11, grid), slice(2, 9))
    for c in columns:  # visible from 11: no bar before 20 (close 0 there)
        assert current[:, c].tolist() == [7, 7, -1, -1, -1, 1, 1, 2, 2]
        assert close[:, c].tolist() == [9.0, 9.0, 0.0, 0.0, 0.0, 2.0 * (c + 1), 2.0 * (c + 1), 3.0 * (c + 1),
                                        3.0 * (c + 1)]
        assert emit[:, c].tolist() == [5, 5, 0, 0, 0, 2, 0, 2, 0]  # emitted at its bar ends alone
    other = ({0, 1, 2} - set(columns)).pop()  # untouched
    assert (current[:, other] == 7).all() and (close[:, other] == 9.0).all() and (emit[:, other] == 5).all()


def test_on_times_marks_the_grid_steps_found_in_the_times():
    grid = np.array([10, 20, 30, 40, 50])
    assert on_times(np.array([5, 20, 45, 50]), grid).tolist() == [False, True, False, False, True]
    assert on_times(np.array([60]), grid).tolist() == [False] * 5  # past the grid: clipped, not found
    assert on_times(np.array([], dtype=np.int64), grid).tolist() == [False] * 5
