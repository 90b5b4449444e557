"""All subscriptions aligned on one time grid (``FeedPanel``), one window of steps at a time: which bar
is current at each step, whether the subscription emits there, its close (see :mod:`lean_local.engine.feed`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain, repeat

import numpy as np

from lean_local.engine.panel_bars import bar_windows, gather_bar_windows, step_bars, write_bar_windows
from lean_local.engine.panel_rows import (
    BlockRows,
    FirstEqual,
    alike_columns,
    column_index,
    emission_codes,
    future_on_grid,
    last_rows,
    on_times,
    searched_rows,
    shared_rows,
    write_alike,
)
from lean_local.engine.subscription_data import SubscriptionData


class FeedPanel:
    """All subscriptions aligned on one time grid, one window of steps at a time.

    Attributes
    ----------
    grid : np.ndarray
        int64 ns, all time steps (sorted, naive New York).
    base : int
        The first step of the window the arrays below hold (``WINDOW`` steps, more with few columns:
        about ``CELLS`` cells when no column was attached in as many steps before it): they are aligned
        again when the clock leaves the window, so memory does not grow with the number of days.
    current : np.ndarray
        int32 (window steps x columns): index of the latest visible bar with
        ``end_time <= grid[step]``, -1 before the first one. A bar is visible when it ends at or
        after the moment the subscription joined the run (``visible_from``): data from before a
        subscription existed is never delivered, so prices start at 0 as in LEAN.
    emit : np.ndarray
        int8 (window steps x columns): 2 a real bar ends at this step, 1 a fill-forward copy of the
        current bar is emitted, 0 nothing.
    close : np.ndarray
        float64 (window steps x columns): the current bar's close (0 before the first bar), for
        vectorized prices and portfolio values.
    frozen : dict
        column -> ``(first_step, end_step, bar_index)``: a removed subscription keeps the bar it had
        and emits nothing over steps ``first_step <= step < end_step``.

    The current bar's fields, start, end and open to volume (:meth:`current_fields`: the slices' bars,
    the fill pass, the stops' reach and the capacity estimate read them) are read from the subscriptions
    for the step asked, the first ``ROW_READS`` times in a window; from then on they are gathered per
    column over the rest of the window when first asked after the column's alignment changed (a column
    of 1,000 steps costs about 50 times one step's read; a step's bars are then one gather per field
    instead of several cache misses a bar), so a run that asks on a few steps of a window (buy-and-hold's fills and capacity
    snapshots) gathers nothing and one that asks often (a monthly rebalance's capture: about 100 steps
    a window) gathers each column once a window.

    Inside :meth:`deferred` (a universe selection's additions and removals), :meth:`attach` and
    :meth:`freeze` queue their columns and the queue is aligned in one call per first step
    (:meth:`_align_many`) when the block ends or the arrays are read (:meth:`row`), whichever comes
    first. A queued column's state (``visible_from``, ``frozen``, ``seeds``) changes only after
    :meth:`settle` aligns it, so the result is the one aligning each column at once gives.
    """

    WINDOW = 128
    #: The window's cells (steps x columns) when that is more than ``WINDOW`` steps: each realignment
    #: costs a few numpy calls per column whatever the window's length, so with few columns a longer
    #: window realigns less often (500 columns: 1,046 steps; the arrays 13.6 MB at most). Not when a
    #: column was attached in as many steps before the window: each attachment aligns its column up to
    #: the window's end, so a universe that adds securities every day gets ``WINDOW`` steps.
    CELLS = 2**20
    #: :meth:`current_fields` calls in a window answered from the subscriptions for their step alone
    #: (rent or buy: then the window's gathers cost at most about twice what the best choice would)
    ROW_READS = 4

    def __init__(self) -> None:
        self.subs: list[SubscriptionData] = []
        #: each column's subscription's ``kind``, read by a slice for every column it builds without
        #: touching the subscription's memory (:meth:`replace` changes a column's subscription)
        self.kinds: list[str] = []
        self.visible_from: list[int] = []
        self.frozen: dict[int, tuple[int, int, int]] = {}
        #: column -> (the bar it froze on, that bar's close), read from the window when it froze: a held column's
        #: close without reading its subscription's memory (a cache miss or two each)
        self._held_closes: dict[int, tuple[int, float]] = {}
        self.extra_times = np.empty(0, dtype=np.int64)
        self.grid = np.empty(0, dtype=np.int64)
        self.base = 0
        self.current = np.empty((0, 0), dtype=np.int32)
        self.emit = np.empty((0, 0), dtype=np.int8)
        self.close = np.empty((0, 0), dtype=np.float64)
        self._capacity = 0
        self.end_ns = 0
        #: column -> (first step, seeding time ns, price): a seeded price shown until a newer bar
        self.seeds: dict[int, tuple[int, int, float]] = {}
        #: column -> first step of the alignment queued by attach or freeze inside ``deferred``
        self._pending: dict[int, int] = {}
        #: column -> the emission times known to be on the grid from the last build on (the grid only
        #: gains steps, so a re-added subscription whose times were checked is not searched again)
        self._on_grid: dict[int, np.ndarray] = {}
        self._deferring = 0
        self._attached_at = -(2**62)  # the first step of the latest attachment's alignment
        #: the windows of :meth:`current_fields` (:func:`~lean_local.engine.panel_bars.bar_windows`, a row per column
        #: of ``current``), None until asked or after the window moved (the latest made: spare); per column, the
        #: row from which its entries are its current alignment's (``_STALE``: none; no earlier row is asked)
        self._bar_windows: tuple[np.ndarray, ...] | None = None
        self._spare_windows: tuple[np.ndarray, ...] | None = None
        self._bars_from = np.zeros(0, dtype=np.int64)
        self._row_reads = 0  # current_fields calls read for their step alone in this window

    def add_times(self, times: np.ndarray) -> None:
        """Extra clock steps that carry no data (universe selection times)."""
        self.extra_times = np.union1d(self.extra_times, np.asarray(times, dtype=np.int64))

    def add(self, sub: SubscriptionData, visible_from: int) -> int:
        """Register a subscription; returns its column (aligned by :meth:`build` or :meth:`attach`)."""
        self.subs.append(sub)
        self.kinds.append(sub.kind)
        self.visible_from.append(int(visible_from))
        return len(self.subs) - 1

    def build(self, start_ns: int, end_ns: int, keep_until: int = -1) -> None:
        """(Re)build the grid over ``[start_ns, end_ns]`` and align every subscription on it.

        ``keep_until`` keeps the grid's first steps (those already run) unchanged; the window then
        starts at that step.
        """
        # the distinct arrays only: the columns of one exchange's daily bars mostly emit at the same times
        first_equal = FirstEqual()
        distinct: dict[int, np.ndarray] = {}
        for times in (self.extra_times, *(sub.emit_times for sub in self.subs)):
            if len(times):
                times = first_equal(times)
                distinct[id(times)] = times
        parts = list(distinct.values())
        grid = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        grid = grid[(grid >= start_ns) & (grid <= end_ns)]
        self.end_ns = end_ns
        if keep_until >= 0:
            past = self.grid[: keep_until + 1]
            grid = np.concatenate([past, grid[grid > past[-1]]]) if len(past) else grid
        self.grid = grid
        self._on_grid = {column: sub.emit_times for column, sub in enumerate(self.subs)}
        # no spare columns (cells of every step each realignment writes): an attachment past them doubles the width
        self._capacity = max(8, len(self.subs))
        self._realign(max(keep_until, 0))

    def _realign(self, base: int) -> None:
        """Align every subscription over the window that starts at step ``base``."""
        self.base = base
        steps = self._window_steps(self._capacity)
        if base - self._attached_at < steps:  # a universe adding columns: they cost the window's length
            steps = self.WINDOW
        rows = max(0, min(steps, len(self.grid) - base))
        # every column starts as the last window's last step showed it: one held over both is not written again
        kept = last_rows(self.current, self.close, self._capacity)
        self.current, self.close = np.tile(kept[0], (rows, 1)), np.tile(kept[1], (rows, 1))
        self.emit = np.zeros((rows, self._capacity), dtype=np.int8)
        self._bar_windows = None
        self._row_reads = 0
        self._pending.clear()  # every column is aligned anew with its current state
        self._align_many(list(range(len(self.subs))), base, kept)

    def _window_steps(self, capacity: int) -> int:
        """The window's length (steps) for ``capacity`` columns: ``WINDOW``, or about ``CELLS`` cells."""
        return max(self.WINDOW, self.CELLS // max(capacity, 1))

    def row(self, step: int) -> int:
        """The window row of ``step``, moving the window there when the step lies outside it; the
        queued alignments are done first (the caller reads the arrays)."""
        if self._pending:
            self.flush()
        return self._window_row(step)

    def has_pending(self) -> bool:
        """Whether alignments are queued (:meth:`deferred`): the arrays change when they are done."""
        return bool(self._pending)

    def _window_row(self, step: int) -> int:
        if not self.base <= step < self.base + len(self.current):
            self._realign(step)
        return step - self.base

    def current_bars(self, step: int, columns: np.ndarray) -> tuple[np.ndarray, ...]:
        """:meth:`current_fields` with the open, close and volume (float64) as three arrays."""
        starts, ends, ohlcv = self.current_fields(step, columns)
        return starts, ends, ohlcv[:, 0], ohlcv[:, 3], ohlcv[:, 4]

    def current_fields(self, step: int, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current bar at ``step`` of each of ``columns`` (int array of the panel's columns): its start and
        end (int64 ns) and its open, high, low, close and volume (a row of five float64 per column), from the
        subscription's arrays (``time``, ``end_time``, ``ohlcv``); a column's entries are unread before its first bar."""
        row = self.row(step)  # first: moving the window replaces the arrays
        if self._bar_windows is None and self._row_reads < self.ROW_READS:
            self._row_reads += 1
            return step_bars(self.subs, columns, self.current[row, columns])
        if self._bar_windows is None:
            steps, width = self.current.shape  # unwritten until gathered: only the gathered columns are read
            self._bar_windows = self._spare_windows = bar_windows(width, steps, self._spare_windows)
            self._bars_from = np.full(width, _STALE, dtype=np.int64)
        stale = columns[self._bars_from[columns] > row]
        if len(stale):
            # from this row on only: the rows before it are past steps (half a window, on average, for a
            # column a universe added during the window)
            gather_bar_windows(self._bar_windows, self.subs, self.current, np.unique(stale).tolist(), row)
            self._bars_from[stale] = row
        starts, ends, ohlcv = self._bar_windows
        return starts[columns, row], ends[columns, row], ohlcv[columns, row]

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Queue the alignments of :meth:`attach` and :meth:`freeze` in this block and do them
        together at its end (one vectorized call instead of one per column)."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring:
                self.flush()

    def flush(self) -> None:
        """Align the queued columns, one call per first step."""
        by_step: dict[int, list[int]] = {}
        for column, from_step in self._pending.items():
            by_step.setdefault(from_step, []).append(column)
        self._pending.clear()
        for from_step, columns in by_step.items():
            self._align_many(columns, from_step)

    def settle(self, *columns: int) -> None:
        """Do the queued alignments before the state of ``columns`` changes (a queued column is aligned
        with the state it had when it was queued)."""
        if self._pending and not self._pending.keys().isdisjoint(columns):
            self.flush()

    def _queue(self, columns: list[int], from_step: int) -> None:
        if not self._deferring:
            for column in columns:
                self.align(column, from_step)
            return
        self.settle(*columns)
        self._pending.update(dict.fromkeys(columns, from_step))

    def attach(self, column: int, from_step: int) -> bool:
        """Align a subscription added (or resumed) during the run from ``from_step`` on.

        Returns False when its future emission times are not all on the grid (rebuild instead).
        """
        return self.attach_many([column], from_step)

    def attach_many(self, columns: list[int], from_step: int) -> bool:
        """:meth:`attach` of each of ``columns`` (distinct) from ``from_step`` on; False, with nothing
        attached, when one's future emission times are not all on the grid (attach one by one instead)."""
        on_grid, subs = self._on_grid.get, self.subs  # a column whose times were checked: no call
        if not all([self._future_on_grid(c, from_step) for c in columns if on_grid(c) is not subs[c].emit_times]):
            return False
        # an attachment aligns its column up to the window's end: a window longer than WINDOW steps (a
        # run's first build, with the benchmark alone, spans the whole run) ends after this step, and
        # a wider one keeps about CELLS cells; the clock realigns the window when it leaves the steps kept
        steps = min(len(self.current), max(self.WINDOW, from_step - self.base + 1))
        width = self._capacity
        for column in columns:  # the widths attaching one by one would grow the window through
            if column >= width:
                width = max(width * 2, column + 1)
                steps = min(steps, self._window_steps(width))
        if (steps, width) != self.current.shape:
            self._resize(steps, width)
        self._attached_at = max(self._attached_at, from_step)
        self._queue(columns, from_step)
        return True

    def _future_on_grid(self, column: int, from_step: int) -> bool:
        times = self.subs[column].emit_times
        if self._on_grid.get(column) is not times:
            if not future_on_grid(times, self.grid, from_step, self.end_ns):
                return False
            self._on_grid[column] = times
        return True

    def _resize(self, steps: int, width: int) -> None:
        """Keep the window's first ``steps`` steps, ``width`` columns wide (the new columns empty)."""
        for name, fill in (("current", -1), ("emit", 0), ("close", 0.0)):
            old = getattr(self, name)
            new = np.full((steps, width), fill, dtype=old.dtype)
            new[:, : old.shape[1]] = old[:steps]
            setattr(self, name, new)
        self._bar_windows = None
        self._capacity = width

    def freeze(self, column: int, step: int) -> None:
        """Stop a subscription after ``step``: it keeps its current bar and emits nothing."""
        self.freeze_many([column], step)

    def freeze_many(self, columns: list[int], step: int) -> None:
        """:meth:`freeze` of each of ``columns`` (distinct)."""
        self.settle(*columns)
        here = self._window_row(max(step, 0))
        # no end step until thawed: a rebuild may add steps to the grid
        held = self.current[here, columns].tolist()
        self.frozen.update(zip(columns, [(step + 1, 2**62, index) for index in held], strict=True))
        self._held_closes.update(zip(columns, zip(held, self.close[here, columns].tolist(), strict=True), strict=True))
        self._queue(columns, step + 1)

    def thaw_many(self, columns: list[int], step: int) -> None:
        """End the freezes of ``columns`` (distinct) after ``step``: their subscriptions resume from the next step."""
        self.settle(*columns)
        frozen = self.frozen
        for column in frozen.keys() & columns:
            first, _, index = frozen[column]
            frozen[column] = (first, step + 1, index)

    def refreeze(self, column: int, data: SubscriptionData, index: int, from_step: int) -> None:
        """Give a frozen column ``data``, in which its frozen bar is ``index`` (a removed subscription's
        bars released or read again): the window's rows from ``from_step`` on, which show that bar,
        point at it there."""
        self.settle(column)
        first, end, _ = self.frozen[column]
        self.frozen[column] = (first, end, index)
        self.replace(column, data)
        self._held_closes[column] = (index, data.fields["close"].item(index) if index >= 0 else 0.0)
        self._bars_from[column:column + 1] = _STALE
        lo, hi = max(min(first, from_step), self.base), min(end, self.base + len(self.current))
        if lo < hi:
            self.current[lo - self.base:hi - self.base, column] = index

    def replace(self, column: int, data: SubscriptionData) -> None:
        """Give ``column`` the subscription ``data`` (its alignment is the caller's)."""
        self.subs[column] = data
        self.kinds[column] = data.kind
        self._held_closes.pop(column, None)

    def align(self, column: int, from_step: int) -> None:
        lo = max(from_step, self.base)
        hi = self.base + len(self.current)
        sub = self.subs[column]
        if lo >= hi:
            return
        rows = slice(lo - self.base, hi - self.base)
        grid = self.grid[lo:hi]
        current = np.full(len(grid), -1, dtype=np.int64)
        if len(sub):
            current = searched_rows(sub.end_time, grid, self.visible_from[column])
        held = np.zeros(len(grid), dtype=bool)
        if column in self.frozen:
            first, end, index = self.frozen[column]
            steps = np.arange(lo, hi)
            held = (steps >= first) & (steps < end)
            current[held] = index
        valid = current >= 0
        closes = np.zeros(len(grid))
        closes[valid] = sub.fields["close"][current[valid]]
        if column in self.seeds:
            # the seed shows until a bar newer than the seeding moment (a re-added security's older
            # bar is stale: LEAN made it a new security)
            first, seeded_at, price = self.seeds[column]
            stale = ~valid
            stale[valid] = sub.end_time[current[valid]] <= seeded_at
            closes[stale & (np.arange(lo, hi) >= first)] = price
        real = np.zeros(len(grid), dtype=bool)
        real[valid] = sub.end_time[current[valid]] == grid[valid]
        emits = on_times(sub.emit_times, grid) & valid
        self.current[rows, column] = current
        self.close[rows, column] = closes
        self._bars_from[column:column + 1] = _STALE
        self.emit[rows, column] = emission_codes(emits, real, held)

    def _align_many(self, columns: list[int], from_step: int, kept: tuple[np.ndarray, ...] | None = None) -> None:
        """:meth:`align` of every column in ``columns`` from ``from_step`` on, the same arrays: each
        column's bars and emission times within the block found by two binary searches and the rows,
        masks and emission codes computed once over the (columns x steps) block (:class:`~lean_local.engine.panel_rows.BlockRows`);
        no search for a column frozen over the whole block (a removal), a column's own for one frozen
        over part of it. ``kept``: each column's bar index and close at every step already (:meth:`_align_held`)."""
        lo = max(from_step, self.base)
        hi = self.base + len(self.current)
        if lo >= hi or not columns:
            return
        grid = self.grid[lo:hi]
        rows = slice(lo - self.base, hi - self.base)
        if len(self._bars_from):
            every = np.fromiter(columns, dtype=np.intp, count=len(columns))
            self._bars_from[every[every < len(self._bars_from)]] = _STALE
        columns = self._align_held(columns, lo, hi, rows, kept)
        alike, columns = alike_columns(columns, self.subs, self.visible_from, self.frozen, self.seeds)
        for end_time, emit_times, visible_from, group in alike:
            write_alike((self.current, self.close, self.emit), self.subs, group,
                        shared_rows(end_time, emit_times, visible_from, grid), rows)
        if not columns:
            return
        windows = self._bar_windows  # the added columns' bar fields are gathered with their rows
        block = BlockRows(grid, windows is not None)
        steps = np.arange(lo, hi)
        shape = (len(columns), len(grid))  # a row per column (contiguous), transposed into the panel
        current = np.full(shape, -1, dtype=np.int64)
        held = np.zeros(shape, dtype=bool)
        emits = np.zeros(shape, dtype=bool)
        ends = np.zeros(shape, dtype=np.int64)
        closes = np.zeros(shape)
        # the columns frozen over the whole block: their frozen bar's index, end and close
        held_rows: list[int] = []
        held_bars: list[tuple[int, int, float]] = []
        for j, column in enumerate(columns):
            sub = self.subs[column]
            frozen = self.frozen.get(column)
            if frozen is not None and (frozen[1] <= lo or frozen[0] >= hi):
                frozen = None  # held outside the block only
            if frozen is not None and frozen[0] <= lo and frozen[1] >= hi:
                index = frozen[2]
                held_rows.append(j)
                held_bars.append((index, sub.end_time.item(index), sub.fields["close"].item(index)) if index >= 0
                                 else (index, 0, 0.0))
                continue
            if frozen is not None:
                first, end, index = frozen
                held[j] = (steps >= first) & (steps < end)
                if len(sub.end_time):
                    row = searched_rows(sub.end_time, grid, self.visible_from[column])
                    row[held[j]] = index
                    at = np.maximum(row, 0)
                    current[j], ends[j], closes[j] = row, sub.end_time[at], sub.fields["close"][at]
                else:
                    current[j, held[j]] = index
            elif len(sub.end_time):
                block.add_bars(j, sub, self.visible_from[column])
                if sub.emit_times is sub.end_time:  # (alike_columns made them one) found with its bars
                    continue
            if len(sub.emit_times):
                block.add_emissions(j, sub.emit_times)
        block.fill(current, ends, closes, emits)
        if windows is not None:
            gathered, starts, ohlcv = block.bar_fields()
            self._bars_from[write_bar_windows(windows, columns, gathered, rows, starts, ends, ohlcv)] = rows.start
        if held_rows:
            held[held_rows] = True
            indices, bar_ends, bar_closes = zip(*held_bars, strict=True)
            current[held_rows] = np.array(indices)[:, None]
            ends[held_rows] = np.array(bar_ends, dtype=np.int64)[:, None]
            closes[held_rows] = np.array(bar_closes)[:, None]
        valid = current >= 0
        closes[~valid] = 0.0
        for j, column in enumerate(columns):
            if column in self.seeds:  # as in align: the seed shows until a bar newer than the seeding
                first, seeded_at, price = self.seeds[column]
                stale = ~valid[j] | (ends[j] <= seeded_at)
                closes[j, stale & (steps >= first)] = price
        real = valid & (ends == grid)
        emits &= valid
        codes = emission_codes(emits, real, held)
        at = column_index(columns)
        self.current[rows, at] = current.T
        self.close[rows, at] = closes.T
        self.emit[rows, at] = codes.T

    def _align_held(self, columns: list[int], lo: int, hi: int, rows: slice,
                    kept: tuple[np.ndarray, np.ndarray] | None = None) -> list[int]:
        """Write the window's ``rows`` (steps ``lo`` to ``hi``) of the columns frozen over all of them
        and not seeded (a realignment's removed securities, a selection's removals): the frozen bar's
        index and close at every step, emitting nothing (but where ``kept``, the index and close each
        column shows at every step already and no emission, has them: bit for bit); returns the other
        columns."""
        frozen = self.frozen
        if not frozen:
            return columns
        bounds = np.fromiter(chain.from_iterable(map(frozen.get, columns, repeat(_NOT_FROZEN))), dtype=np.int64,
                             count=3 * len(columns)).reshape(-1, 3)
        whole = (bounds[:, 0] <= lo) & (bounds[:, 1] >= hi)
        if self.seeds:
            whole &= ~np.isin(columns, list(self.seeds))
        if not whole.any():
            return columns
        held = np.flatnonzero(whole)
        at = np.fromiter(columns, dtype=np.intp, count=len(columns))[held]
        indices = bounds[held, 2]
        subs, known = self.subs, self._held_closes.get
        closes = np.array([pair[1] if (pair := known(column, _UNKNOWN))[0] == index
                           else subs[column].fields["close"].item(index) if index >= 0 else 0.0
                           for column, index in zip(at.tolist(), indices.tolist(), strict=True)], dtype=np.float64)
        if kept is not None:
            changed = (kept[0][at] != indices) | (kept[1][at].view(np.int64) != closes.view(np.int64))
            at, indices, closes = at[changed], indices[changed], closes[changed]
        else:
            self.emit[rows, at] = 0
        self.current[rows, at] = indices
        self.close[rows, at] = closes
        return [columns[j] for j in np.flatnonzero(~whole).tolist()]


#: a column's ``_bars_from`` when none of its window's bar fields are gathered
_STALE = 2**62

#: the (first step, end step, bar index) of a column not frozen: held at no step
_NOT_FROZEN = (2**62, 0, -1)
#: the (bar, close) of a held column whose close was not read when it froze (no bar index is -2)
_UNKNOWN = (-2, 0.0)
