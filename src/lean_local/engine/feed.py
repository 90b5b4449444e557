"""The clock that steps across every subscription's columns (``DataFeed``).

Every subscription's bars live in a few float64 arrays (no Python object per bar, see
:mod:`lean_local.engine.subscription_data`); the :class:`FeedPanel` aligns all subscriptions on one
sorted time grid (naive New York datetimes, the algorithm's time zone) and answers, per time step
and subscription, which bar is current and whether the subscription emits data at that step (a
real bar or a fill-forward copy).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

import numpy as np

from lean_local.engine.daily_readers import equity_from_record
from lean_local.engine.feed_panel import FeedPanel
from lean_local.engine.subscription_data import (
    BarView,
    ReleasedSubscription,
    SubscriptionData,
)


class Clock:
    """The algorithm's current time (naive New York)."""

    def __init__(self) -> None:
        self.time = datetime(1900, 1, 1)


class DataFeed:
    """The running feed: the panel, the current step, and the bar each security last received.

    Memory does not grow with the securities a universe ever subscribed: of the subscriptions a
    universe removed, the ``KEEP_REMOVED`` most recently removed keep their bars (a universe that
    churns re-adds mostly those); an older one is released to a :class:`ReleasedSubscription` (its
    frozen bar and emission times) and read again from the parsed-data cache when it is re-added.
    """

    #: removed subscriptions whose bars stay loaded, the most recently removed (about 0.4 MB each for
    #: 22 years of daily bars): a 3,000-name market's daily top-500 universe over 20 years never holds
    #: more removed members, whose bars were otherwise read again 1,930 times (peak RSS 2.05 -> 2.19 GB)
    KEEP_REMOVED = 2500

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
        # the current step's closes and bars, read several times per order; reset by
        # _forget_current whenever the step or the panel changes
        self._close_row: np.ndarray | None = None
        self._bars: dict[int, BarView | None] = {}
        self._emitted: np.ndarray | None = None  # the current step's emitted_mask (read twice a step)
        #: removed columns that may be released, oldest removal first -> the reader of their bars
        self._releasable: dict[int, Callable[[], SubscriptionData]] = {}
        #: columns whose subscription is released (a day's resuming members are checked against it, their
        #: subscriptions not read)
        self._released: set[int] = set()

    def _forget_current(self) -> None:
        self._close_row = None
        self._bars = {}
        self._emitted = None

    @property
    def subs(self) -> list[SubscriptionData]:
        return self.panel.subs

    @property
    def kinds(self) -> list[str]:
        """Each column's subscription's ``kind`` (``"trade"``, ``"quote"`` or ``"custom"``)."""
        return self.panel.kinds

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

    def remove(self, column: int, drop_current: bool = False,
               reload: Callable[[], SubscriptionData] | None = None) -> None:
        """Stop a subscription after the current step; the security keeps its last price. With
        ``drop_current`` (a universe removed it at this step's selection) its data of this step is
        dropped too: LEAN's time slice skips the packets of removed subscriptions. With ``reload``
        (the reader of its bars) its bars may be released later (see the class)."""
        self.remove_many([column], drop_current, [reload])

    def remove_many(self, columns: list[int], drop_current: bool,
                    reloads: list[Callable[[], SubscriptionData] | None]) -> None:
        """:meth:`remove` of each of ``columns`` (distinct), with its reader in ``reloads``."""
        self._forget_current()
        self.panel.freeze_many(columns, self.step - 1 if drop_current and self.step > 0 else self.step)
        releasable = self._releasable
        releasable.update([(column, reload) for column, reload in zip(columns, reloads, strict=True)
                           if reload is not None])
        # the oldest removals beyond KEEP_REMOVED, in the order adding one column at a time releases them
        for oldest in list(itertools.islice(releasable, max(len(releasable) - self.KEEP_REMOVED, 0))):
            self._release(oldest, releasable.pop(oldest))

    def _release(self, column: int, reload: Callable[[], SubscriptionData]) -> None:
        """Replace a removed subscription's bars by its frozen bar (the window's rows from the current
        step on read that bar, now index 0)."""
        panel = self.panel
        panel.settle(column)
        data = panel.subs[column]
        if isinstance(data, ReleasedSubscription) or not len(data) or data.kind != "trade" or data.quotes is not None:
            return
        index = panel.frozen[column][2]
        panel.refreeze(column, ReleasedSubscription(data, index, reload, equity_from_record), min(index, 0),
                       max(self.step, 0))
        self._released.add(column)
        self._forget_current()

    def _restore(self, column: int) -> None:
        """Read a released subscription's bars again (before it resumes)."""
        self._releasable.pop(column, None)
        if column in self._released:
            self._released.discard(column)
            released = self.panel.subs[column]
            self.panel.refreeze(column, released.whole(), released.index, max(self.step, 0))

    def data(self, column: int) -> SubscriptionData:
        """A column's whole subscription: a released one's bars read again (not kept)."""
        data = self.panel.subs[column]
        return data.whole() if isinstance(data, ReleasedSubscription) else data

    def batched_alignment(self) -> AbstractContextManager[None]:
        """A block whose additions and removals the panel aligns together at its end (a universe
        selection's; :meth:`FeedPanel.deferred`)."""
        return self.panel.deferred()

    def reattach(self, column: int, from_current: bool = False, sub: SubscriptionData | None = None) -> None:
        """Resume a removed subscription from the next step (bars ending after now), or from this
        step (bars ending now too) when ``from_current`` (see :meth:`add`); with ``sub`` the column
        takes that subscription instead (a universe's, of a security whose own stream had no data)."""
        if sub is not None:
            self.panel.settle(column)
            self._restore(column)
            self.panel.replace(column, sub)
            self._new_streams.append(column)
        self.reattach_many([column], from_current)

    def reattach_many(self, columns: list[int], from_current: bool = False) -> None:
        """:meth:`reattach` of each of ``columns`` (distinct; their own subscriptions)."""
        first = self.step if from_current else self.step + 1
        panel = self.panel
        panel.settle(*columns)
        releasable, released = self._releasable, self._released
        for column in columns:
            releasable.pop(column, None)
        for column in [column for column in columns if column in released]:
            self._restore(column)
        visible_from, visible = panel.visible_from, self.now_ns + (0 if from_current else 1)
        for column in columns:
            visible_from[column] = visible
        self._forget_current()
        panel.thaw_many(columns, first - 1)
        if not panel.attach_many(columns, first):
            for column in columns:  # one by one: the clock is laid out again after each that needs it
                if not panel.attach(column, first):
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

    def advance(self, now: datetime) -> bool:
        """Move to the next time step, whose time is ``now`` (the loop has it); False at the end of the grid."""
        if self.step + 1 >= len(self.panel.grid):
            return False
        self.step += 1
        self._forget_current()
        now_ns = self.panel.grid.item(self.step)
        self.clock.time = now
        self._last_end[: len(self.panel.subs)][self.emitted_mask()] = now_ns
        return True

    @property
    def now_ns(self) -> int:
        return int(self.panel.grid[self.step])

    def emitted_mask(self) -> np.ndarray:
        """Per column: does it have data (a real bar or a fill-forward copy) at the current step?
        Computed once per step and panel state (:meth:`_forget_current`); do not modify."""
        mask = self._emitted
        if mask is None or self.panel.has_pending():  # a selection's queued alignments change the row
            row = self.panel.row(self.step)  # first: moving the window replaces the arrays
            # the codes are 0, 1 and 2: nonzero is emitted (a cast to bool costs a sixth of a comparison with 0,
            # whose Python int is cast to the array's type each time)
            mask = self._emitted = self.panel.emit[row, : len(self.panel.subs)].astype(bool)
        return mask

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

    def current_real_bars(self, columns: np.ndarray) -> np.ndarray:
        """Whether each of ``columns`` (int array) has a real bar ending at the current step (emitted and
        not a fill-forward copy: what :meth:`current_bar` shows with ``is_fill_forward`` False), from the
        window's arrays; :meth:`current_bars` gives the bars."""
        return self._current_of("emit", columns, 0) == 2

    def current_bars(self, columns: np.ndarray) -> tuple[np.ndarray, ...]:
        """The current bar of each of ``columns`` (int array, the panel's; at a step): its start and end
        (int64 ns), open, close and volume (float64) as its subscription holds them (a fill-forward
        copy's too; :meth:`FeedPanel.current_bars`)."""
        return self.panel.current_bars(self.step, columns)

    def current_fields(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current bar of each of ``columns`` (int array, the panel's; at a step): its start and end
        (int64 ns) and its open, high, low, close and volume (a row of five per column) as its subscription
        holds them (:meth:`FeedPanel.current_fields`; unread for a column before its first bar)."""
        return self.panel.current_fields(self.step, columns)

    def _current_of(self, name: str, columns: np.ndarray, missing: float) -> np.ndarray:
        """The window array ``name``'s entries (``current``, ``emit`` or ``close``) of ``columns`` at the
        current step, ``missing`` before the first step and for a column the panel does not hold."""
        values = np.full(len(columns), missing, dtype=getattr(self.panel, name).dtype)
        if self.step >= 0:
            inside = columns < len(self.panel.subs)
            row = self.panel.row(self.step)  # first: moving the window replaces the arrays
            values[inside] = getattr(self.panel, name)[row, columns[inside]]
        return values

    def _current_index(self, column: int) -> tuple[SubscriptionData, int, bool] | None:
        """The column's subscription, its current bar's index and whether that bar is shown as a
        fill-forward copy; None before its first bar."""
        if self.step < 0 or column >= len(self.panel.subs):
            return None
        i = self.panel.current.item(self.panel.row(self.step), column)
        if i < 0:
            return None
        sub = self.panel.subs[column]
        return sub, i, self._last_end.item(column) > sub.end_time.item(i)

    def current_close_volume(self, column: int) -> tuple[float, float] | None:
        """``(close, volume)`` of the column's current bar without building it (volume 0 for a
        fill-forward copy, as LEAN's fill-forward bars carry none); None before its first bar."""
        current = self._current_index(column)
        if current is None:
            return None
        sub, i, forward = current
        fields = sub.fields
        volume = 0.0 if forward or "volume" not in fields else float(fields["volume"][i])
        return float(fields["close"][i]), volume

    def has_data(self, columns: np.ndarray) -> np.ndarray:
        """``Security.has_data`` of each column: a current bar (:meth:`current_bar` not None) or a seeded price."""
        bars = self._current_of("current", columns, -1) >= 0
        seeds = self.panel.seeds
        if not seeds:
            return bars
        return bars | np.fromiter((column in seeds for column in columns.tolist()), dtype=bool, count=len(columns))

    def fill_forwarded(self, columns: np.ndarray, real_ends: np.ndarray) -> np.ndarray:
        """Per column: is its current bar, the real bar ending at ``real_ends`` (int64 ns), shown as a
        fill-forward copy (:meth:`current_bar`'s ``is_fill_forward``)?"""
        return self._last_end[columns] > real_ends

    def current_close(self, column: int) -> float:
        row = self._close_row
        if row is None:
            if self.step < 0:
                return 0.0
            step_row = self.panel.row(self.step)
            # a copy, not a list: a step reads a few closes of thousands of columns (a list's floats cost
            # more to make and free than the reads save)
            row = self._close_row = self.panel.close[step_row, : len(self.panel.subs)].copy()
        return row.item(column) if column < len(row) else 0.0

    def current_closes_of(self, columns: np.ndarray) -> np.ndarray:
        """:meth:`current_close` of each of ``columns`` (``Security.price``), from one gather."""
        return self._current_of("close", columns, 0.0)

    def current_ranges(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The low and the high of each of ``columns``' current bar (:meth:`current_bar`'s ``low`` and
        ``high``, a fill-forward copy's too); NaN for a column without one."""
        present = self._current_of("current", columns, -1) >= 0
        lows, highs = np.full(len(columns), np.nan), np.full(len(columns), np.nan)
        if present.any():
            ohlcv = self.current_fields(columns[present])[2]
            lows[present], highs[present] = ohlcv[:, 2], ohlcv[:, 1]
        return lows, highs

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
            self.panel.align(column, step)
        self._forget_current()

    def is_seeded(self, column: int) -> bool:
        return column in self.panel.seeds


def _last_custom_end(subs: list[SubscriptionData]) -> int:
    """The latest end time of the custom data subscriptions' points (0 without any)."""
    ends = [int(sub.end_time[-1]) for sub in subs if sub.kind == "custom" and len(sub)]
    return max(ends, default=0)
