"""The current bars' fields (start and end in ns; open, high, low, close, volume) read from the subscriptions
at the feed panel's rows (:meth:`lean_local.engine.feed_panel.FeedPanel.current_fields`): a step's bar by
bar, or each column's over the whole window."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lean_local.engine.subscription_data import SubscriptionData


#: x86-64's transparent huge page: the kernel maps one (a fault, ~0.2 ms) over an aligned 2 MB range of memory
#: asked for them, where 512 pages of 4 KB cost a fault each (~2 us: ~1 ms)
HUGE_PAGE = 2**21


def page_block(nbytes: int) -> np.ndarray:
    """``nbytes`` of fresh memory (uint8, unwritten): from 4 MB on, starting on a huge page boundary with
    whole huge pages behind it (numpy asks the kernel for huge pages for an array of 4 MB or more, which
    it maps only over whole aligned 2 MB ranges: a block placed anywhere got a part in 4 KB pages; the
    slack is never touched, so never mapped)."""
    if nbytes < 2 * HUGE_PAGE:
        return np.empty(nbytes, dtype=np.uint8)
    raw = np.empty(-(-nbytes // HUGE_PAGE) * HUGE_PAGE + HUGE_PAGE, dtype=np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    return raw[start:start + nbytes]


def bar_windows(width: int, steps: int, spare: tuple[np.ndarray, ...] | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unwritten windows for ``width`` columns of ``steps`` steps: a row per column (each column's gather
    writes contiguous memory), its bars' starts and ends (int64 ns) and their open..volume (steps x 5, a
    step's five values side by side: a slice reads them as one list); ``spare`` (windows no longer read)
    when of that shape, else one block (:func:`page_block`)."""
    if spare is not None and spare[0].shape == (width, steps):
        return spare[0], spare[1], spare[2]
    cells = width * steps
    block = page_block(56 * cells)
    return (block[:8 * cells].view(np.int64).reshape(width, steps),
            block[8 * cells:16 * cells].view(np.int64).reshape(width, steps),
            block[16 * cells:].view(np.float64).reshape(width, steps, 5))


def step_bars(subs: list[SubscriptionData], columns: np.ndarray, indices: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bar at ``indices`` (the panel's current bar index at one step) of each of ``columns``, read bar
    by bar: its start and end (int64 ns) and its open..volume (a row of five per column); the index clipped
    into the subscription, zeros for a column without bars (the entries :func:`gather_bar_windows` writes)."""
    starts, ends, values = [], [], []
    for column, i in zip(columns.tolist(), indices.tolist(), strict=True):
        sub = subs[column]
        size = len(sub)
        if size:
            i = min(max(i, 0), size - 1)
            starts.append(sub.time.item(i))
            ends.append(sub.end_time.item(i))
            values.append(sub.ohlcv[i])
        else:
            starts.append(0)
            ends.append(0)
            values.append(_NO_BAR)
    ohlcv = np.array(values, dtype=np.float64).reshape(len(values), 5)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), ohlcv


_NO_BAR = np.zeros(5)


def gather_bar_windows(windows: tuple[np.ndarray, ...], subs: list[SubscriptionData], current: np.ndarray,
                       columns: list[int], first_row: int) -> None:
    """Write the row of each of ``columns`` in ``windows`` (:func:`bar_windows`) from ``first_row`` on: the
    fields of its bar at each step of ``current`` (steps x columns, the panel's bar indices), the index
    clipped into the subscription, zeros for a column without bars."""
    starts, ends, ohlcv = windows
    for column in columns:
        sub = subs[column]
        if not len(sub):
            starts[column, first_row:] = ends[column, first_row:] = 0
            ohlcv[column, first_row:] = 0.0
            continue
        # past rows may point into a subscription this column no longer has (released): clipped
        at = current[first_row:, column]
        sub.time.take(at, mode="clip", out=starts[column, first_row:])
        sub.end_time.take(at, mode="clip", out=ends[column, first_row:])
        sub.ohlcv.take(at, axis=0, mode="clip", out=ohlcv[column, first_row:])


def write_bar_windows(windows: tuple[np.ndarray, ...], columns: list[int], rows: list[int], steps: slice,
                      starts: np.ndarray, ends: np.ndarray, ohlcv: np.ndarray) -> np.ndarray:
    """Write ``windows``' (:func:`bar_windows`) ``steps`` of ``columns[j]`` for each ``j`` of ``rows``: the
    starts, ends (a row of ``ends`` per column, read at ``rows``) and open..volume (a row of each of
    ``starts`` and ``ohlcv`` per entry of ``rows``) of its bar at each step; returns the columns written."""
    written = np.fromiter(columns, dtype=np.intp, count=len(columns))[rows] if rows else np.empty(0, dtype=np.intp)
    window_starts, window_ends, window_ohlcv = windows
    window_starts[written, steps] = starts
    window_ends[written, steps] = ends[rows]
    window_ohlcv[written, steps] = ohlcv
    return written
