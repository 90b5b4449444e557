"""The current bars' fields (start and end in ns, open, close, volume) read from the subscriptions at the
feed panel's rows (:meth:`lean_local.engine.feed_panel.FeedPanel.current_bars`): a step's bar by bar, or
each column's over the whole window."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lean_local.engine.subscription_data import SubscriptionData


def step_bars(subs: list[SubscriptionData], columns: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """The bar at ``indices`` (the panel's current bar index at one step) of each of ``columns``, read bar
    by bar: its start and end (int64 ns), open, close and volume (float64); the index clipped into the
    subscription, zeros for a column without bars (the entries :func:`gather_bar_windows` writes)."""
    starts, ends, opens, closes, volumes = [], [], [], [], []
    for column, i in zip(columns.tolist(), indices.tolist(), strict=True):
        sub = subs[column]
        size = len(sub)
        if size:
            i = min(max(i, 0), size - 1)
            open_, _, _, close, volume = sub.ohlcv[i].tolist()
            start, end = sub.time.item(i), sub.end_time.item(i)
        else:
            start = end = 0
            open_ = close = volume = 0.0
        starts.append(start)
        ends.append(end)
        opens.append(open_)
        closes.append(close)
        volumes.append(volume)
    return (np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), np.array(opens, dtype=np.float64),
            np.array(closes, dtype=np.float64), np.array(volumes, dtype=np.float64))


def gather_bar_windows(windows: tuple[np.ndarray, ...], subs: list[SubscriptionData], current: np.ndarray,
                       columns: list[int]) -> None:
    """Write the row of each of ``columns`` in ``windows`` (start, end, open, close, volume; a row per
    column, a cell per step): the fields of its bar at each step of ``current`` (steps x columns, the
    panel's bar indices), the index clipped into the subscription, zeros for a column without bars."""
    starts, ends, opens, closes, volumes = windows
    for column in columns:
        sub = subs[column]
        if not len(sub):
            for window in windows:
                window[column] = 0
            continue
        # past rows may point into a subscription this column no longer has (released): clipped
        at = np.clip(current[:, column], 0, len(sub) - 1)
        starts[column], ends[column] = sub.time[at], sub.end_time[at]
        bars = sub.ohlcv[at]
        opens[column], closes[column], volumes[column] = bars[:, 0], bars[:, 3], bars[:, 4]
