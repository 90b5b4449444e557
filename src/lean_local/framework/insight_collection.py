"""``InsightCollection`` and the algorithm's ``insights`` manager (LEAN ``InsightCollection.cs``,
``Alphas/Analysis/InsightManager.cs``).

The collection keeps every insight ever added (``get_insights``) and, per symbol, the open ones
(those not yet removed by ``remove_expired_insights``). The manager adds an optional score
function, called once per time step with the manager and the UTC time (``step``), and expiry by
symbol at the algorithm's current time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from lean_local.framework.insights import Insight


class InsightCollection:
    """Insights by symbol; ``count`` is the open insights, ``total_count`` all ever added."""

    def __init__(self) -> None:
        self._complete: list[Insight] = []
        self._open: dict[Any, list[Insight]] = {}
        self._open_count = 0
        self._total_count = 0

    @property
    def count(self) -> int:
        return self._open_count

    @property
    def total_count(self) -> int:
        return self._total_count

    def __len__(self) -> int:
        return self._open_count

    def add(self, insight: Insight) -> None:
        self._open_count += 1
        self._total_count += 1
        self._complete.append(insight)
        self._open.setdefault(insight.symbol, []).append(insight)

    def add_range(self, insights: Iterable[Insight]) -> None:
        for insight in insights:
            self.add(insight)

    def contains(self, insight: Insight) -> bool:
        return insight in self._open.get(insight.symbol, ())

    __contains__ = contains

    def contains_key(self, symbol: Any) -> bool:
        return bool(self._open.get(symbol))

    def remove(self, insight: Insight) -> bool:
        members = self._open.get(insight.symbol)
        if not members or insight not in members:
            return False
        members.remove(insight)
        self._open_count -= 1
        if not members:
            del self._open[insight.symbol]
        return True

    def __getitem__(self, symbol: Any) -> list[Insight]:
        return list(self._open[symbol])

    def __setitem__(self, symbol: Any, insights: list[Insight] | None) -> None:
        self._open_count -= len(self._open.get(symbol) or ())
        if insights is not None:
            self._open_count += len(insights)
            self._total_count += len(insights)
            self._open[symbol] = list(insights)
        else:
            self._open.pop(symbol, None)

    def try_get_value(self, symbol: Any) -> tuple[bool, list[Insight] | None]:
        members = self._open.get(symbol)
        return (members is not None, list(members) if members is not None else None)

    def __iter__(self) -> Iterator[Insight]:
        return iter([insight for members in self._open.values() for insight in members])

    def clear(self, symbols: Iterable[Any]) -> None:
        for symbol in symbols:
            members = self._open.pop(symbol, None)
            if members is not None:
                self._open_count -= len(members)

    def get_next_expiry_time(self) -> datetime | None:
        """The earliest close time of the open insights (None when there is none)."""
        if self._open_count == 0:
            return None
        return min(insight.close_time_utc for members in self._open.values() for insight in members)

    def get_active_insights(self, utc_time: datetime) -> list[Insight]:
        return [insight for members in self._open.values() for insight in members if insight.is_active(utc_time)]

    def has_active_insights(self, symbol: Any, utc_time: datetime) -> bool:
        return any(insight.is_active(utc_time) for insight in self._open.get(symbol, ()))

    def remove_expired_insights(self, utc_time: datetime) -> list[Insight]:
        """Remove the open insights expired at ``utc_time`` and return them."""
        expired = [insight for members in self._open.values() for insight in members if insight.is_expired(utc_time)]
        for insight in expired:
            self.remove(insight)
        return expired

    def remove_insights(self, predicate: Callable[[Insight], bool]) -> None:
        self._complete = [insight for insight in self._complete if not predicate(insight)]
        for insight in [i for members in self._open.values() for i in members if predicate(i)]:
            self.remove(insight)

    def get_insights(self, predicate: Callable[[Insight], bool] | None = None) -> list[Insight]:
        """Every insight ever added (open or not), optionally filtered."""
        if predicate is None:
            return list(self._complete)
        if not callable(predicate):
            raise ValueError(f"InsightCollection.GetInsights: {predicate!r} is not a valid argument.")
        return [insight for insight in self._complete if predicate(insight)]


class InsightManager(InsightCollection):
    """``self.insights``: the algorithm's insights, its score function and expiry by symbol."""

    def __init__(self, algorithm: Any) -> None:
        super().__init__()
        self._algorithm = algorithm
        self._score_function: Any = None

    @property
    def has_score_function(self) -> bool:
        return self._score_function is not None

    def step(self, utc_now: datetime) -> None:
        """Score the insights (called once per time step)."""
        if self._score_function is not None:
            self._score_function.score(self, utc_now)

    def set_insight_score_function(self, score_function: Any) -> None:
        """An object with ``score(insight_manager, utc_time)``."""
        self._score_function = score_function
        self._algorithm._framework_activate()

    def expire(self, items: Iterable[Any] | None) -> None:
        """Expire insights (given as insights or as symbols) at the algorithm's current time."""
        if items is None:
            return
        now = self._algorithm.utc_time
        for item in list(items):
            if isinstance(item, Insight):
                item.expire(now)
            else:
                for insight in list(self._open.get(item, ())):
                    insight.expire(now)

    cancel = expire
