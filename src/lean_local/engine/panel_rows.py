"""Helpers of the feed panel's alignment (:mod:`lean_local.engine.feed_panel`): finding equal time arrays
once (``FirstEqual``), the columns that align alike (``alike_columns``, ``shared_rows``) and the rows of
many columns over one block of steps at once (``BlockRows``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def searched_rows(end_time: np.ndarray, grid: np.ndarray, visible_from: int) -> np.ndarray:
    """Per step of ``grid``: the index of the latest bar ending at or before it (``end_time`` sorted, not
    empty), -1 before the first bar ending at or after ``visible_from`` (one column, searched step by step)."""
    row = end_time.searchsorted(grid, side="right") - 1
    row[row < end_time.searchsorted(visible_from, side="left")] = -1
    return row


def emission_codes(emits: np.ndarray, real: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The panel's emission code of each cell (bool arrays of one shape): 2 a real bar, 1 a fill-forward
    copy (emitted, not real), 0 held or nothing (a maximum: a masked assignment of the real bars, most of
    the cells, cost 8 times as much)."""
    codes = np.maximum(emits.view(np.int8), real.view(np.int8) << 1)
    codes[held] = 0
    return codes


def alike_columns(columns: list[int], subs: list[Any], visible_from: list[int], frozen: Any, seeds: Any
                  ) -> tuple[list[tuple[np.ndarray, np.ndarray | None, int, list[int]]], list[int]]:
    """``columns`` split into groups that align alike and the rest: a group's columns have equal bar end
    times, equal emission times and one ``visible_from``, so each step's bar index and emission code are
    the same in all of them (only the closes differ). Columns in ``frozen`` or ``seeds`` (their own
    rules), without bars, or alone in their group are the rest. Each group: its end times, emission
    times (None: none), ``visible_from`` and columns."""
    # candidates first by the arrays' lengths, first and last values: bytes are compared only among them
    candidates: dict[tuple[int, ...], list[int]] = {}
    rest = []
    for column in columns:
        sub = subs[column]
        end_time, emit_times = sub.end_time, sub.emit_times
        if column in frozen or column in seeds or not len(end_time):
            rest.append(column)
            continue
        key = (visible_from[column], len(end_time), end_time.item(0), end_time.item(-1), len(emit_times),
               emit_times.item(0) if len(emit_times) else 0, emit_times.item(-1) if len(emit_times) else 0)
        candidates.setdefault(key, []).append(column)
    first_equal = FirstEqual()
    alike = []
    for same_key in candidates.values():
        if len(same_key) == 1:
            rest.extend(same_key)
            continue
        groups: dict[tuple[int, int], tuple[np.ndarray, np.ndarray | None, int, list[int]]] = {}
        for column in same_key:
            sub = subs[column]
            # the column keeps the first equal array met (its values): the next alignment, when the
            # window moves, finds it by identity without comparing bytes (no one writes into them)
            end_time = sub.end_time = first_equal(sub.end_time)
            emit_times = None
            if len(sub.emit_times):
                emit_times = sub.emit_times = first_equal(sub.emit_times)
            group = groups.get((id(end_time), id(emit_times)))
            if group is None:
                group = groups[id(end_time), id(emit_times)] = (end_time, emit_times, visible_from[column], [])
            group[3].append(column)
        for group in groups.values():
            if len(group[3]) > 1:
                alike.append(group)
            else:
                rest.extend(group[3])
    return alike, rest


def shared_rows(end_time: np.ndarray, emit_times: np.ndarray | None, visible_from: int, grid: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bar index at each step of ``grid`` (:func:`searched_rows`), its emission code (held nowhere)
    and the index clipped to 0 (where a column's close is read; 0 written where no bar is visible) of
    the columns of one group of :func:`alike_columns`."""
    row = searched_rows(end_time, grid, visible_from)
    valid = row >= 0
    at = np.maximum(row, 0)
    real = valid & (end_time[at] == grid)
    emits = np.zeros(len(grid), dtype=bool) if emit_times is None else on_times(emit_times, grid) & valid
    return row, emission_codes(emits, real, np.zeros(len(grid), dtype=bool)), at


def write_alike(panel: tuple[np.ndarray, np.ndarray, np.ndarray], subs: list[Any], columns: list[int],
                shared: tuple[np.ndarray, np.ndarray, np.ndarray], rows: slice) -> None:
    """Write the ``rows`` of ``columns`` in the panel's ``current``, ``close`` and ``emit`` arrays, columns
    which align alike (``shared``: their bar index, emission code and clipped index at each step,
    :func:`shared_rows`): the index and code once for all of them, each one's closes gathered at the
    clipped index straight into the panel (a block of them transposed into it was as much fresh memory
    as the panel's closes: 1.4 MB for 100 columns of 1,806 steps)."""
    row, codes, at = shared
    index = column_index(columns)
    current, close, emit = panel
    current[rows, index] = row[:, None]
    emit[rows, index] = codes[:, None]
    closes = close[rows]
    unseen = int(np.count_nonzero(row < 0))  # the steps before the first visible bar (row only grows)
    closes[:unseen, index] = 0.0
    at = at[unseen:]
    for column in columns:
        closes[unseen:, column] = subs[column].fields["close"][at]  # an index array: a third of take's cost


def on_times(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Whether each step of ``grid`` is one of ``times`` (sorted; empty: none is)."""
    if not len(times):
        return np.zeros(len(grid), dtype=bool)
    # times is sorted: a binary search gives np.isin's answer without its sort
    where = np.minimum(times.searchsorted(grid), len(times) - 1)
    return times[where] == grid


class FirstEqual:
    """Maps each (non-empty, integer) array to the first array met equal to it: equal arrays are found
    by one object, so what is computed from one is computed once."""

    def __init__(self) -> None:
        #: by dtype, length, first and last value: the arrays met, each with its bytes once asked
        self._known: dict[tuple[str, int, int, int], list[list[Any]]] = {}

    def __call__(self, times: np.ndarray) -> np.ndarray:
        """The first array met equal to ``times`` (``times`` itself when it is the first)."""
        candidates = self._known.setdefault((times.dtype.char, len(times), times.item(0), times.item(-1)), [])
        data = None
        for entry in candidates:
            known = entry[0]
            if known is times:
                return known
            # arrays of one integer dtype are equal when their bytes are (a fifth of np.array_equal's cost)
            data = times.tobytes() if data is None else data
            if entry[1] is None:
                entry[1] = known.tobytes()
            if entry[1] == data:
                return known
        candidates.append([times, data])
        return times


class BlockRows:
    """The rows and emission flags of many columns over one block of steps, computed together.

    Each column gives its bars ending within the block (with the bar before it) and its emission times
    within it, found by one binary search of each array; one search of the block's steps for all of
    them and a cumulative count per column then give each step's latest bar, one gather its end and
    close. A column costs a few calls whatever the block's length (searching every step in each
    column's arrays and gathering was ~15 numpy calls a column, and a universe re-adding ~75
    securities a day paid them daily).
    """

    def __init__(self, grid: np.ndarray, with_fields: bool = False) -> None:
        self._grid = grid
        #: whether the bars' starts and open..volume are gathered too (:meth:`bar_fields`)
        self._with_fields = with_fields
        self._starts: list[np.ndarray] = []
        self._ohlcv: list[np.ndarray] = []
        self._at: np.ndarray | None = None
        # a side="left" search of x is a side="right" search of x - 1 (int64 ns): one call an array
        self._bar_bounds = np.array([0, grid[0], grid[-1]], dtype=np.int64)  # [0]: the column's visible_from - 1
        self._emit_bounds = np.array([grid[0] - 1, grid[-1]], dtype=np.int64)
        self._bar_rows: list[int] = []
        self._bases: list[int] = []
        self._first_visible: list[int] = []
        self._ends: list[np.ndarray] = []
        self._closes: list[np.ndarray] = []
        self._emit_rows: list[int] = []
        self._emit_times: list[np.ndarray] = []
        self._emitting: list[bool] = []  # per bar row: whether its bars' ends are its emission times

    def add_bars(self, j: int, sub: Any, visible_from: int) -> None:
        """Row ``j``'s bars (the subscription ``sub``'s, ``end_time`` sorted, not empty): at each step the
        latest bar ending at or before it, -1 before the first bar ending at or after ``visible_from``; its
        emission flags too when its emission times are its ``end_time`` (the same array)."""
        end_time = sub.end_time
        self._emitting.append(sub.emit_times is end_time)
        self._bar_bounds[0] = max(visible_from, -(2**63) + 1) - 1
        first_visible, through_first, through_last = end_time.searchsorted(self._bar_bounds, side="right").tolist()
        base = max(through_first - 1, 0)  # the latest bar ending at or before the first step, else the first bar
        top = max(through_last, base + 1)
        self._bar_rows.append(j)
        self._bases.append(base)
        self._first_visible.append(first_visible)
        self._ends.append(end_time[base:top])
        self._closes.append(sub.fields["close"][base:top])
        if self._with_fields:
            self._starts.append(sub.time[base:top])
            self._ohlcv.append(sub.ohlcv[base:top])

    def add_emissions(self, j: int, times: np.ndarray) -> None:
        """Row ``j``'s emission times (sorted)."""
        lo, hi = times.searchsorted(self._emit_bounds, side="right").tolist()
        if hi > lo:
            self._emit_rows.append(j)
            self._emit_times.append(times[lo:hi])

    def fill(self, current: np.ndarray, ends: np.ndarray, closes: np.ndarray, emits: np.ndarray) -> None:
        """Write the added rows' bar index, bar end and close at each step, and their emission flags."""
        grid = self._grid
        n = len(grid)
        if self._bar_rows:
            k = len(self._bar_rows)
            # fromiter: np.array discovers a list's type element by element
            rows = np.fromiter(self._bar_rows, dtype=np.intp, count=k)
            lengths = np.fromiter(map(len, self._ends), dtype=np.intp, count=k)
            bar_ends = np.concatenate(self._ends)
            # the step from which each bar is the latest or older (the first step at or after its end; n: none)
            counted_from = grid.searchsorted(bar_ends, side="left")
            owner = np.repeat(np.arange(len(rows)), lengths)
            counts = np.bincount(owner * (n + 1) + counted_from, minlength=len(rows) * (n + 1))
            bases = np.fromiter(self._bases, dtype=np.intp, count=k)
            row = counts.reshape(len(rows), n + 1)[:, :n].cumsum(axis=1) + (bases - 1)[:, None]
            row[row < np.fromiter(self._first_visible, dtype=np.intp, count=k)[:, None]] = -1
            starts = np.cumsum(lengths) - lengths
            # each step's bar within its column's part (clipped where no bar is visible: not read there)
            at = np.clip(np.maximum(row, 0) - bases[:, None], 0, (lengths - 1)[:, None]) + starts[:, None]
            current[rows] = row
            ends[rows] = bar_ends[at]
            closes[rows] = np.concatenate(self._closes)[at]
            self._at = at
            if any(self._emitting):  # a row's bars ending on a step (a part holds every one within the block)
                where = np.minimum(counted_from, n - 1)
                emitting = np.repeat(np.fromiter(self._emitting, dtype=bool, count=k), lengths)
                on_grid = emitting & (grid[where] == bar_ends)
                emits[rows[owner[on_grid]], where[on_grid]] = True
        if self._emit_rows:
            times = np.concatenate(self._emit_times)
            k = len(self._emit_rows)
            owner = np.repeat(np.fromiter(self._emit_rows, dtype=np.intp, count=k),
                              np.fromiter(map(len, self._emit_times), dtype=np.intp, count=k))
            where = np.minimum(grid.searchsorted(times), n - 1)
            on_grid = grid[where] == times
            emits[owner[on_grid], where[on_grid]] = True

    def bar_fields(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """After :meth:`fill` (with ``with_fields``): the rows given bars, and their bars' starts (int64 ns,
        rows x steps) and open..volume (rows x steps x 5) at each step (where no bar is visible yet: the
        row's first bar within the block, which no one reads)."""
        if self._at is None:
            return [], np.empty((0, len(self._grid)), dtype=np.int64), np.empty((0, len(self._grid), 5))
        # take: indexing the (bars x 5) rows with a (rows x steps) array cost 6 times as much
        return self._bar_rows, np.concatenate(self._starts)[self._at], np.concatenate(self._ohlcv).take(self._at, axis=0)


def last_rows(current: np.ndarray, close: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The bar index and close of each of ``width`` columns at the last step of a window's ``current`` and
    ``close`` (-1 and 0 for a column it lacks, as for a window without steps)."""
    index, price = np.full(width, -1, dtype=np.int32), np.zeros(width)
    if len(current):
        shared = min(width, current.shape[1])
        index[:shared], price[:shared] = current[-1, :shared], close[-1, :shared]
    return index, price


def future_on_grid(times: np.ndarray, grid: np.ndarray, from_step: int, end_ns: int) -> bool:
    """Whether each of ``times`` (sorted) from ``grid[from_step]`` to ``end_ns`` is a step of ``grid``
    (sorted, unique)."""
    lo = grid[from_step] if from_step < len(grid) else (grid[-1] + 1 if len(grid) else 0)
    future = times[np.searchsorted(times, lo, side="left"):np.searchsorted(times, end_ns, side="right")]
    if not len(future):
        return True
    # every step from from_step on is >= lo: each future time is on grid[from_step:] when a binary
    # search finds it on the grid
    where = np.searchsorted(grid, future)
    return bool(where[-1] < len(grid) and (grid[where] == future).all())


def column_index(columns: list[int]) -> slice | np.ndarray:
    """``columns`` as an index of the panel's columns: consecutive columns (a realignment's every column)
    as a slice, as an array indexes each cell."""
    if columns[-1] - columns[0] == len(columns) - 1 and columns == list(range(columns[0], columns[-1] + 1)):
        return slice(columns[0], columns[-1] + 1)
    return np.fromiter(columns, dtype=np.intp, count=len(columns))
