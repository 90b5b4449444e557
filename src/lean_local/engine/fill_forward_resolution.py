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
"""

from __future__ import annotations

from collections import Counter

from lean_local.engine.enums import Resolution


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

    def removed(self, resolution: Resolution) -> bool:
        """The algorithm or a universe removed a subscription (``TryRemove`` before its stream
        ended): recomputed when it was the last one of the current resolution."""
        if resolution == Resolution.TICK:
            return False
        self._counts[resolution] -= 1
        return resolution == self.value and self._counts[resolution] <= 0 and self._recompute()

    def ended(self, resolution: Resolution) -> None:
        """A subscription's stream ended (a delisting): it leaves without a recomputation."""
        if resolution != Resolution.TICK:
            self._counts[resolution] -= 1
