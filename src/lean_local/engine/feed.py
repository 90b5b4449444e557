"""The clock that steps across every subscription's columns (``DataFeed``).

Every subscription's bars live in a few float64 arrays (no Python object per bar, see
:mod:`lean_local.engine.subscription_data`); the :class:`FeedPanel` aligns all subscriptions on one
sorted time grid (naive New York datetimes, the algorithm's time zone) and answers, per time step
and subscription, which bar is current and whether the subscription emits data at that step (a
real bar or a fill-forward copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

import numpy as np

from lean_local.engine.subscription_data import BarView, SubscriptionData, ns_to_datetime


class FeedPanel:
    """All subscriptions aligned on one time grid, one window of steps at a time.

    Attributes
    ----------
    grid : np.ndarray
        int64 ns, all time steps (sorted, naive New York).
    base : int
        The first step of the window the arrays below hold (``WINDOW`` steps): they are aligned
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

    Inside :meth:`deferred` (a universe selection's additions and removals), :meth:`attach` and
    :meth:`freeze` queue their columns and the queue is aligned in one call per first step
    (:meth:`_align_many`) when the block ends or the arrays are read (:meth:`row`), whichever comes
    first. A queued column's state (``visible_from``, ``frozen``, ``seeds``) changes only after
    :meth:`settle` aligns it, so the result is the one aligning each column at once gives.
    """

    WINDOW = 128

    def __init__(self) -> None:
        self.subs: list[SubscriptionData] = []
        self.visible_from: list[int] = []
        self.frozen: dict[int, tuple[int, int, int]] = {}
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
        self._deferring = 0

    def add_times(self, times: np.ndarray) -> None:
        """Extra clock steps that carry no data (universe selection times)."""
        self.extra_times = np.union1d(self.extra_times, np.asarray(times, dtype=np.int64))

    def add(self, sub: SubscriptionData, visible_from: int) -> int:
        """Register a subscription; returns its column (aligned by :meth:`build` or :meth:`attach`)."""
        self.subs.append(sub)
        self.visible_from.append(int(visible_from))
        return len(self.subs) - 1

    def build(self, start_ns: int, end_ns: int, keep_until: int = -1) -> None:
        """(Re)build the grid over ``[start_ns, end_ns]`` and align every subscription on it.

        ``keep_until`` keeps the grid's first steps (those already run) unchanged; the window then
        starts at that step.
        """
        parts = [self.extra_times] + [s.emit_times for s in self.subs]
        grid = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        grid = grid[(grid >= start_ns) & (grid <= end_ns)]
        self.end_ns = end_ns
        if keep_until >= 0:
            past = self.grid[: keep_until + 1]
            grid = np.concatenate([past, grid[grid > past[-1]]]) if len(past) else grid
        self.grid = grid
        self._capacity = max(8, 2 * len(self.subs))
        self._realign(max(keep_until, 0))

    def _realign(self, base: int) -> None:
        """Align every subscription over the window that starts at step ``base``."""
        self.base = base
        rows = max(0, min(self.WINDOW, len(self.grid) - base))
        self.current = np.full((rows, self._capacity), -1, dtype=np.int32)
        self.emit = np.zeros((rows, self._capacity), dtype=np.int8)
        self.close = np.zeros((rows, self._capacity), dtype=np.float64)
        self._pending.clear()  # every column is aligned anew with its current state
        self._align_many(list(range(len(self.subs))), base)

    def row(self, step: int) -> int:
        """The window row of ``step``, moving the window there when the step lies outside it; the
        queued alignments are done first (the caller reads the arrays)."""
        if self._pending:
            self.flush()
        return self._window_row(step)

    def _window_row(self, step: int) -> int:
        if not self.base <= step < self.base + len(self.current):
            self._realign(step)
        return step - self.base

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

    def settle(self, column: int) -> None:
        """Do the queued alignments before ``column``'s state changes (a queued column is aligned
        with the state it had when it was queued)."""
        if column in self._pending:
            self.flush()

    def _queue(self, column: int, from_step: int) -> None:
        if not self._deferring:
            self._align(column, from_step)
            return
        self.settle(column)
        self._pending[column] = from_step

    def attach(self, column: int, from_step: int) -> bool:
        """Align a subscription added (or resumed) during the run from ``from_step`` on.

        Returns False when its future emission times are not all on the grid (rebuild instead).
        """
        sub = self.subs[column]
        grid = self.grid
        lo = grid[from_step] if from_step < len(grid) else (grid[-1] + 1 if len(grid) else 0)
        times = sub.emit_times
        future = times[np.searchsorted(times, lo, side="left"):np.searchsorted(times, self.end_ns, side="right")]
        if len(future):
            # the grid is sorted and unique, and every step from from_step on is >= lo: each future
            # time is on grid[from_step:] when a binary search finds it on the grid
            where = np.searchsorted(grid, future)
            if where[-1] >= len(grid) or not (grid[where] == future).all():
                return False
        if column >= self._capacity:
            grow = max(self._capacity * 2, column + 1)
            for name, fill in (("current", -1), ("emit", 0), ("close", 0.0)):
                old = getattr(self, name)
                new = np.full((old.shape[0], grow), fill, dtype=old.dtype)
                new[:, : old.shape[1]] = old
                setattr(self, name, new)
            self._capacity = grow
        self._queue(column, from_step)
        return True

    def freeze(self, column: int, step: int) -> None:
        """Stop a subscription after ``step``: it keeps its current bar and emits nothing."""
        self.settle(column)
        here = self._window_row(max(step, 0))
        # no end step until thawed: a rebuild may add steps to the grid
        self.frozen[column] = (step + 1, 2**62, int(self.current[here, column]))
        self._queue(column, step + 1)

    def thaw(self, column: int, step: int) -> None:
        """End a freeze after ``step`` (the subscription resumes from the next step)."""
        self.settle(column)
        if column in self.frozen:
            first, _, index = self.frozen[column]
            self.frozen[column] = (first, step + 1, index)

    def _align(self, column: int, from_step: int) -> None:
        lo = max(from_step, self.base)
        hi = self.base + len(self.current)
        sub = self.subs[column]
        if lo >= hi:
            return
        rows = slice(lo - self.base, hi - self.base)
        grid = self.grid[lo:hi]
        current = np.full(len(grid), -1, dtype=np.int64)
        if len(sub):
            first_visible = np.searchsorted(sub.end_time, self.visible_from[column], side="left")
            current = np.searchsorted(sub.end_time, grid, side="right") - 1
            current[current < first_visible] = -1
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
        # emit_times is sorted: a binary search gives np.isin's answer without its sort
        where = np.minimum(np.searchsorted(sub.emit_times, grid), max(len(sub.emit_times) - 1, 0))
        emits = (sub.emit_times[where] == grid if len(sub.emit_times) else np.zeros(len(grid), dtype=bool)) & valid
        self.current[rows, column] = current
        self.close[rows, column] = closes
        self.emit[rows, column] = np.where(held, 0, np.where(real, 2, np.where(emits, 1, 0)))

    def _align_many(self, columns: list[int], from_step: int) -> None:
        """:meth:`_align` of every column in ``columns`` from ``from_step`` on, the same arrays: the
        binary searches and gathers per column (none for a column frozen over the whole block: a
        removal), the masks and the emission codes once over the (columns x steps) block."""
        lo = max(from_step, self.base)
        hi = self.base + len(self.current)
        if lo >= hi or not columns:
            return
        grid = self.grid[lo:hi]
        steps = np.arange(lo, hi)
        shape = (len(columns), len(grid))  # a row per column (contiguous), transposed into the panel
        current = np.full(shape, -1, dtype=np.int64)
        held = np.zeros(shape, dtype=bool)
        emits = np.zeros(shape, dtype=bool)
        ends = np.zeros(shape, dtype=np.int64)
        closes = np.zeros(shape)
        for j, column in enumerate(columns):
            sub = self.subs[column]
            frozen = self.frozen.get(column)
            if frozen is not None and frozen[0] <= lo and frozen[1] >= hi:
                held[j] = True
                current[j] = index = frozen[2]
                if index >= 0:
                    ends[j] = sub.end_time[index]
                    closes[j] = sub.fields["close"][index]
                continue
            if len(sub):
                row = sub.end_time.searchsorted(grid, side="right") - 1
                row[row < sub.end_time.searchsorted(self.visible_from[column], side="left")] = -1
                if frozen is not None:
                    first, end, index = frozen
                    held[j] = (steps >= first) & (steps < end)
                    row[held[j]] = index
                current[j] = row
                at = np.maximum(row, 0)
                ends[j] = sub.end_time[at]
                closes[j] = sub.fields["close"][at]
            elif frozen is not None:
                held[j] = (steps >= frozen[0]) & (steps < frozen[1])
                current[j, held[j]] = frozen[2]
            times = sub.emit_times
            if len(times):
                emits[j] = times[np.minimum(times.searchsorted(grid), len(times) - 1)] == grid
        valid = current >= 0
        closes[~valid] = 0.0
        for j, column in enumerate(columns):
            if column in self.seeds:  # as in _align: the seed shows until a bar newer than the seeding
                first, seeded_at, price = self.seeds[column]
                stale = ~valid[j] | (ends[j] <= seeded_at)
                closes[j, stale & (steps >= first)] = price
        real = valid & (ends == grid)
        emits &= valid
        rows = slice(lo - self.base, hi - self.base)
        self.current[rows, columns] = current.T
        self.close[rows, columns] = closes.T
        self.emit[rows, columns] = np.where(held, 0, np.where(real, 2, np.where(emits, 1, 0))).T


class Clock:
    """The algorithm's current time (naive New York)."""

    def __init__(self) -> None:
        self.time = datetime(1900, 1, 1)


class DataFeed:
    """The running feed: the panel, the current step, and the bar each security last received."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.panel = FeedPanel()
        self.step = -1
        self.started = False
        self._last_end = np.zeros(0, dtype=np.int64)
        self._end_ns = 0
        self.delisted: set[int] = set()
        #: columns whose subscription was added or replaced since :meth:`take_new_streams`
        self._new_streams: list[int] = []
        # the current step's closes (Python floats) and bars, read several times per order; reset by
        # _forget_current whenever the step or the panel changes
        self._close_row: list[float] | None = None
        self._bars: dict[int, BarView | None] = {}

    def _forget_current(self) -> None:
        self._close_row = None
        self._bars = {}

    @property
    def subs(self) -> list[SubscriptionData]:
        return self.panel.subs

    def add(self, sub: SubscriptionData, visible_from: int, from_current: bool = False) -> int:
        """Register a subscription; during the run it emits from the next step, or from the current
        one when ``from_current`` (a universe's addition: LEAN delivers the data that ends at the
        selection's frontier in the same time slice)."""
        column = self.panel.add(sub, visible_from)
        self._new_streams.append(column)
        self._forget_current()
        if self.started:
            last = _last_custom_end([sub])
            if last > self._end_ns:  # custom data that ends after the end date: the clock goes on to it
                self._end_ns = last
                self.reschedule()
            elif not self.panel.attach(column, self.step if from_current else self.step + 1):
                self.reschedule()
        self._grow_last_end()
        return column

    def remove(self, column: int, drop_current: bool = False) -> None:
        """Stop a subscription after the current step; the security keeps its last price. With
        ``drop_current`` (a universe removed it at this step's selection) its data of this step is
        dropped too: LEAN's time slice skips the packets of removed subscriptions."""
        self._forget_current()
        if drop_current and self.step > 0:
            self.panel.freeze(column, self.step - 1)
        else:
            self.panel.freeze(column, self.step)

    def batched_alignment(self) -> AbstractContextManager[None]:
        """A block whose additions and removals the panel aligns together at its end (a universe
        selection's; :meth:`FeedPanel.deferred`)."""
        return self.panel.deferred()

    def reattach(self, column: int, from_current: bool = False, sub: SubscriptionData | None = None) -> None:
        """Resume a removed subscription from the next step (bars ending after now), or from this
        step (bars ending now too) when ``from_current`` (see :meth:`add`); with ``sub`` the column
        takes that subscription instead (a universe's, of a security whose own stream had no data)."""
        first = self.step if from_current else self.step + 1
        self.panel.settle(column)
        if sub is not None:
            self.panel.subs[column] = sub
            self._new_streams.append(column)
        self.panel.visible_from[column] = self.now_ns + (0 if from_current else 1)
        self._forget_current()
        self.panel.thaw(column, first - 1)
        if not self.panel.attach(column, first):
            self.reschedule()

    def take_new_streams(self) -> list[int]:
        """The columns whose subscription was added or replaced since the last call (a delisting date
        to schedule is read from those alone, not from every column of the run)."""
        columns, self._new_streams = self._new_streams, []
        return columns

    def _grow_last_end(self) -> None:
        if len(self._last_end) < len(self.panel.subs):
            grown = np.zeros(max(16, 2 * len(self.panel.subs)), dtype=np.int64)
            grown[: len(self._last_end)] = self._last_end
            self._last_end = grown

    def start(self, start_ns: int, end_ns: int) -> None:
        """Build the clock from ``start_ns`` to ``end_ns``, or to the end of a custom data point that
        started by ``end_ns`` and ends after it (LEAN's reader emits it; the clock reaches it)."""
        end_ns = max(end_ns, _last_custom_end(self.subs))
        self._end_ns = end_ns
        self.panel.build(start_ns, end_ns)
        self._forget_current()
        self.started = True
        self._grow_last_end()

    def add_times(self, times: np.ndarray) -> None:
        """Clock steps without data (universe triggers) planned during the run: the grid is rebuilt
        after the current step when some are not on it yet."""
        self.panel.add_times(times)
        if len(times) and not np.isin(times, self.panel.grid[self.step + 1:]).all():
            self.reschedule()

    def reschedule(self) -> None:
        """Lay the clock out again after the current step (new emission times or clock steps)."""
        self.panel.build(int(self.panel.grid[0]), self._end_ns, keep_until=self.step)
        self._forget_current()

    def advance(self) -> bool:
        """Move to the next time step; False at the end of the grid."""
        if self.step + 1 >= len(self.panel.grid):
            return False
        self.step += 1
        self._forget_current()
        now = int(self.panel.grid[self.step])
        self.clock.time = ns_to_datetime(now)
        self._last_end[: len(self.panel.subs)][self.emitted_mask()] = now
        return True

    @property
    def now_ns(self) -> int:
        return int(self.panel.grid[self.step])

    def emitted_mask(self) -> np.ndarray:
        """Per column: does it have data (a real bar or a fill-forward copy) at the current step?"""
        row = self.panel.row(self.step)  # first: moving the window replaces the arrays
        return self.panel.emit[row, : len(self.panel.subs)] > 0

    def emitted_columns(self) -> np.ndarray:
        """Columns with data (real or fill-forward) at the current step."""
        return np.flatnonzero(self.emitted_mask())

    def current_indices(self, columns: np.ndarray) -> list[int]:
        """Index of each column's current bar in its subscription (-1 before the first bar)."""
        if self.step < 0:
            return [-1] * len(columns)
        row = self.panel.row(self.step)
        return self.panel.current[row, columns].tolist()

    def current_bar(self, column: int) -> BarView | None:
        bars = self._bars
        if column in bars:
            return bars[column]
        bar = bars[column] = self._current_bar(column)
        return bar

    def _current_bar(self, column: int) -> BarView | None:
        if self.step < 0 or column >= len(self.panel.subs):
            return None
        row = self.panel.row(self.step)
        i = int(self.panel.current[row, column])
        if i < 0:
            return None
        sub = self.panel.subs[column]
        last = int(self._last_end[column])
        real_end = int(sub.end_time[i])
        if last > real_end:
            return BarView(sub, i, True, last)
        return BarView(sub, i)

    def current_close_volume(self, column: int) -> tuple[float, float] | None:
        """``(close, volume)`` of the column's current bar without building it (volume 0 for a
        fill-forward copy, as LEAN's fill-forward bars carry none); None before its first bar."""
        if self.step < 0 or column >= len(self.panel.subs):
            return None
        i = int(self.panel.current[self.panel.row(self.step), column])
        if i < 0:
            return None
        sub = self.panel.subs[column]
        fields = sub.fields
        forward = int(self._last_end[column]) > int(sub.end_time[i])
        volume = 0.0 if forward or "volume" not in fields else float(fields["volume"][i])
        return float(fields["close"][i]), volume

    def current_close(self, column: int) -> float:
        row = self._close_row
        if row is None:
            if self.step < 0:
                return 0.0
            step_row = self.panel.row(self.step)
            row = self._close_row = self.panel.close[step_row, : len(self.panel.subs)].tolist()
        return row[column] if column < len(row) else 0.0

    def current_closes(self, n: int) -> np.ndarray:
        if self.step < 0:
            return np.zeros(n)
        row = self.panel.row(self.step)
        return self.panel.close[row, :n]

    def is_delisted(self, column: int) -> bool:
        return column in self.delisted

    def seed(self, column: int, price: float) -> None:
        """Show ``price`` as the column's close from the current step until a bar newer than now
        arrives (a security seeder's ``SetMarketPrice``)."""
        step = max(self.step, 0)
        seeded_at = int(self.panel.grid[step]) if step < len(self.panel.grid) else 0
        self.panel.settle(column)
        self.panel.seeds[column] = (step, seeded_at, float(price))
        if self.started and column < self.panel.close.shape[1]:
            self.panel._align(column, step)
        self._forget_current()

    def is_seeded(self, column: int) -> bool:
        return column in self.panel.seeds


def _last_custom_end(subs: list[SubscriptionData]) -> int:
    """The latest end time of the custom data subscriptions' points (0 without any)."""
    ends = [int(sub.end_time[-1]) for sub in subs if sub.kind == "custom" and len(sub)]
    return max(ends, default=0)
