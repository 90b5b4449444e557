"""The feed panel's alignment helpers: ``FirstEqual`` finds equal arrays once; ``BlockRows`` gives each
column's latest bar, its end and close, and its emission flags at every step of a block, as a search of
each step on its own does."""

from __future__ import annotations

import numpy as np
import pytest

from lean_local.engine.panel_rows import BlockRows, FirstEqual, emission_codes, searched_rows


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
    rng = np.random.default_rng(seed)
    grid = np.cumsum(rng.integers(1, 4, 30)) + 1_000
    block = BlockRows(grid)
    columns = []
    for j in range(6):
        end_time = np.unique(rng.integers(grid[0] - 20, grid[-1] + 20, rng.integers(1, 40)))
        close = rng.uniform(1, 2, len(end_time))
        visible_from = int(rng.integers(grid[0] - 30, grid[-1] + 5))
        emissions = np.unique(rng.integers(grid[0] - 5, grid[-1] + 5, rng.integers(0, 30)))
        block.add_bars(j, end_time, close, visible_from)
        block.add_emissions(j, emissions)
        columns.append((end_time, close, visible_from, emissions))
    shape = (6, len(grid))
    current, ends, closes = np.full(shape, -7), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    emits = np.zeros(shape, dtype=bool)
    block.fill(current, ends, closes, emits)
    for j, (end_time, close, visible_from, emissions) in enumerate(columns):
        row, emitted = _expected(grid, end_time, close, visible_from, emissions)
        np.testing.assert_array_equal(current[j], row)
        seen = row >= 0
        np.testing.assert_array_equal(ends[j][seen], end_time[row[seen]])
        np.testing.assert_array_equal(closes[j][seen], close[row[seen]])
        np.testing.assert_array_equal(emits[j], emitted)


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
