"""LEAN's fill-forward resolution: the finest resolution among the algorithm's data subscriptions.

LEAN's ``SubscriptionCollection`` keeps one fill-forward resolution for the whole feed: the finest
resolution of its subscriptions that are neither internal nor tick (``Resolution.Minute`` while
there is none). Adding a subscription whose resolution differs from it, or removing the last
subscription of that resolution (a removal the algorithm or a universe asked for, not a stream that
ended), recomputes it; when the value changes, ``DataManager`` restarts every subscription that
fills forward (``FillForwardResolutionChanged``), internal ones included, from the algorithm's time
plus one tick.

Of the runtime's subscriptions, only the universe of a ``CustomUniverseSelectionModel`` both fills
forward (its configuration takes ``UniverseSettings.FillForward``) and notices the restart: its
restarted ``UserDefinedUniverse.GetTriggerTimes`` triggers at its new start unconditionally, one
trigger more than the universe would have had (one more selection and one more data point).

The resolution also sets the times a subscription coarser than it is filled forward at
(``FillForwardEnumerator`` with a fill-forward resolution finer than the data's): a daily bar is
repeated at every bar end of the fill-forward resolution inside the regular sessions after it (a
daily bar ending 16:00 repeats at 09:31 ... 15:59 of the next session at minute resolution, then the
next real bar ends at 16:00; a session without a bar repeats it at 16:00 too), each copy ending then
and starting one session length earlier (09:31 - 6.5 h = 03:01). A restarted subscription has no bar
to repeat before its first bar after the restart.

A subscription that has no data at all ends the first time the feed asks it for data (after the
selections of the step that added it, else at the next step): LEAN removes it without recomputing
the resolution (``SubscriptionCollection.TryRemove`` skips streams that ended), so the resolution it
set holds until the next recomputation, which no longer counts it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from lean_local.engine.enums import Resolution

#: The bar period (ns) of each resolution finer than daily: the spacing of fill-forward copies.
PERIOD_NS = {Resolution.SECOND: 10**9, Resolution.MINUTE: 60 * 10**9, Resolution.HOUR: 3_600 * 10**9}


class FillForwardResolution:
    """The feed's fill-forward resolution as LEAN's ``SubscriptionCollection`` updates it.

    Each method takes the resolution of one subscription that is neither internal nor tick and
    returns True when the fill-forward resolution changed (LEAN then restarts the subscriptions that
    fill forward); tick subscriptions do not take part. Costs one counter update per subscription
    added or removed, nothing per step.
    """

    def __init__(self) -> None:
        self.value = Resolution.MINUTE
        self._counts: Counter[Resolution] = Counter()

    def _recompute(self) -> bool:
        present = [resolution for resolution, count in self._counts.items() if count > 0]
        value = min(present) if present else Resolution.MINUTE
        changed = value != self.value
        self.value = value
        return changed

    def added(self, resolution: Resolution) -> bool:
        """A subscription was added (``SubscriptionCollection.TryAdd``): recomputed when its
        resolution differs from the current one."""
        if resolution == Resolution.TICK:
            return False
        self._counts[resolution] += 1
        return resolution != self.value and self._recompute()

    def added_many(self, resolutions: Iterable[Resolution]) -> bool:
        """:meth:`added` of each of ``resolutions`` (a day's resuming universe members): the same value
        at the end, recomputed once; True when it changed."""
        counts = Counter(resolutions)
        counts.pop(Resolution.TICK, None)
        self._counts.update(counts)
        return any(resolution != self.value for resolution in counts) and self._recompute()

    def removed(self, resolution: Resolution) -> bool:
        """The algorithm or a universe removed a subscription (``TryRemove`` before its stream
        ended): recomputed when it was the last one of the current resolution."""
        if resolution == Resolution.TICK:
            return False
        self._counts[resolution] -= 1
        return resolution == self.value and self._counts[resolution] <= 0 and self._recompute()

    def removed_many(self, resolutions: Iterable[Resolution]) -> bool:
        """:meth:`removed` of each of ``resolutions`` (a day's leaving universe members): the same value
        at the end (the finest resolution left once the current one has none), recomputed once; True
        when it changed."""
        counts = Counter(resolutions)
        counts.pop(Resolution.TICK, None)
        self._counts.subtract(counts)
        return self.value in counts and self._counts[self.value] <= 0 and self._recompute()

    def ended(self, resolution: Resolution) -> None:
        """A subscription's stream ended (a delisting): it leaves without a recomputation."""
        if resolution != Resolution.TICK:
            self._counts[resolution] -= 1

    def count(self, resolution: Resolution) -> int:
        """The subscriptions of ``resolution`` the collection holds."""
        return self._counts[resolution]


def forward_period_ns(resolution: Resolution, fill_forward: Resolution) -> int | None:
    """The spacing (ns) of the fill-forward copies of a subscription of ``resolution`` when the feed's
    fill-forward resolution is ``fill_forward``: the finer of the two periods; None for daily (a
    daily subscription of a daily feed repeats at session closes) and for tick data (never filled
    forward)."""
    return PERIOD_NS.get(min(resolution, fill_forward))


def restarted_emission_times(emit_times: np.ndarray, end_times: np.ndarray, restarted: np.ndarray,
                             now_ns: int) -> np.ndarray:
    """The emission times of a subscription LEAN restarts at ``now_ns`` (plus one tick).

    Parameters
    ----------
    emit_times : np.ndarray
        int64 ns, the times it emitted at so far (those up to ``now_ns`` stay).
    end_times : np.ndarray
        int64 ns, its real bars' end times.
    restarted : np.ndarray
        int64 ns, every emission time it has under the new fill-forward resolution.
    now_ns : int
        The restart's time.

    Returns
    -------
    np.ndarray
        The times up to ``now_ns``, then those of ``restarted`` from its first real bar after
        ``now_ns`` on (the restarted ``FillForwardEnumerator`` repeats nothing before it).
    """
    later = end_times[end_times > now_ns]
    if not len(later):
        return emit_times[emit_times <= now_ns]
    return np.concatenate([emit_times[emit_times <= now_ns], restarted[restarted >= later[0]]])
