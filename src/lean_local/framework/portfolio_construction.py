"""Portfolio construction: ``PortfolioConstructionModel`` with LEAN's rebalancing rules, and the
weighting models (``Algorithm/Portfolio/PortfolioConstructionModel.cs``,
``Algorithm.Framework/Portfolio/{EqualWeighting,InsightWeighting,ConfidenceWeighted,SectorWeighting}PortfolioConstructionModel.cs``).

``create_targets(algorithm, insights)`` runs only when a rebalance is due: the ``rebalance``
function's time has come (a function ``utc -> datetime | None``, a ``timedelta`` or a
``Resolution`` meaning "that long after the last rebalance", or a date rule), the universe
changed (``rebalance_portfolio_on_security_changes``), or insights arrived or expired
(``rebalance_portfolio_on_insight_changes``). Then each symbol's latest active insight gets a
weight (``determine_target_percent``), sized by :meth:`PortfolioTarget.percent`, and symbols whose
insights all expired get a zero target.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from lean_local.engine.common import Resolution
from lean_local.framework.insights import RESOLUTION_SPAN, Insight, InsightDirection
from lean_local.framework.targets import PortfolioTarget


class PortfolioBias(IntEnum):
    """LEAN ``PortfolioBias``."""

    SHORT = -1
    LONG_SHORT = 0
    LONG = 1


def rebalancing_function(rebalance: Any) -> Callable[[datetime], datetime | None] | None:
    """A rebalance argument as LEAN's ``SetRebalancingFunc`` reads it: a date rule (its next date
    after the given time), a ``timedelta`` or ``Resolution`` (that long after the given time), a
    function ``utc_time -> datetime | None``, or None."""
    if rebalance is None:
        return None
    if isinstance(rebalance, Resolution):
        rebalance = RESOLUTION_SPAN.get(rebalance, timedelta(0))
    if isinstance(rebalance, timedelta):
        span = rebalance
        return None if span == timedelta(0) else (lambda t: t + span)
    if hasattr(rebalance, "dates") and hasattr(rebalance, "name"):
        return _date_rule_function(rebalance)
    if callable(rebalance):
        return rebalance
    raise TypeError(f"rebalance must be a date rule, a timedelta, a Resolution or a function, not {rebalance!r}")


END_OF_TIME = datetime(2050, 12, 31)


def _date_rule_function(rule: Any) -> Callable[[datetime], datetime | None]:
    """``IDateRule.ToFunc``: the rule's dates from the first call's date on; each call at or after
    the current date moves to the next one."""
    state: dict[str, Any] = {}

    def next_date(utc_time: datetime) -> datetime:
        if "dates" not in state:
            days = rule.dates(utc_time.date(), END_OF_TIME.date())
            state["dates"] = [datetime.combine(d, datetime.min.time()) for d in days]
            state["i"] = 0
            if not state["dates"]:
                return END_OF_TIME
        dates, i = state["dates"], state["i"]
        if i >= len(dates):
            return END_OF_TIME
        if utc_time >= dates[i]:
            state["i"] = i = i + 1
            if i >= len(dates):
                return END_OF_TIME
        return dates[i]
    return next_date


class PortfolioConstructionModel:
    """Base class: subclasses give ``determine_target_percent(active_insights) -> {insight: weight}``
    and may override ``should_create_target_for_insight``, ``get_target_insights`` and
    ``is_rebalance_due``."""

    def __init__(self, rebalance: Any = None) -> None:
        self._rebalancing_func = rebalancing_function(rebalance)
        self._rebalancing_time: datetime | None = None
        self._security_changes = False
        self.rebalance_on_security_changes = True
        self.rebalance_on_insight_changes = True
        self.algorithm: Any = None

    def _state(self) -> None:
        """Subclasses written in Python may skip ``super().__init__()``: give them the defaults."""
        for name, value in (("_rebalancing_func", None), ("_rebalancing_time", None), ("_security_changes", False),
                            ("rebalance_on_security_changes", True), ("rebalance_on_insight_changes", True),
                            ("algorithm", None)):
            if name not in self.__dict__:
                setattr(self, name, value)

    def set_rebalancing_func(self, rebalance: Any) -> None:
        self._state()
        self._rebalancing_func = rebalancing_function(rebalance)

    def create_targets(self, algorithm: Any, insights: list[Insight]) -> list[PortfolioTarget]:
        self._state()
        self.algorithm = algorithm
        now = algorithm.utc_time
        if not self.is_rebalance_due(insights, now):
            return []
        targets = []
        last_active = self.get_target_insights()
        error_symbols = set()
        percents = self.determine_target_percent(last_active)
        for insight in last_active:
            if insight not in percents:
                continue
            target = PortfolioTarget.percent(algorithm, insight.symbol, percents[insight])
            if target is not None:
                targets.append(target)
            else:
                error_symbols.add(insight.symbol)
        expired = algorithm.insights.remove_expired_insights(now)
        seen = set()
        for insight in expired:
            symbol = insight.symbol
            if symbol in seen:
                continue
            seen.add(symbol)
            if not algorithm.insights.has_active_insights(symbol, now) and symbol not in error_symbols:
                targets.append(PortfolioTarget(symbol, 0))
        return targets

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        self._state()
        if self.algorithm is None:
            self.algorithm = algorithm
        self._security_changes = bool(changes.added_securities or changes.removed_securities)
        algorithm.insights.expire([security.symbol for security in changes.removed_securities])

    def get_target_insights(self) -> list[Insight]:
        """The latest active insight of each symbol that passes ``should_create_target_for_insight``."""
        algorithm = self.algorithm
        latest: dict[Any, Insight] = {}
        for insight in algorithm.insights.get_active_insights(algorithm.utc_time):
            if not self.should_create_target_for_insight(insight):
                continue
            known = latest.get(insight.symbol)
            if known is None or insight.generated_time_utc >= known.generated_time_utc:
                latest[insight.symbol] = insight
        return list(latest.values())

    def should_create_target_for_insight(self, insight: Insight) -> bool:
        return True

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        raise NotImplementedError("Types deriving from 'PortfolioConstructionModel' must implement the "
                                  "'Dictionary<Insight, double> DetermineTargetPercent(ICollection<Insight>)' method.")

    def is_rebalance_due(self, insights: list[Insight], algorithm_utc: datetime) -> bool:
        """LEAN's rule: the rebalance time has come, or the universe changed, or insights arrived or expired."""
        self._state()
        if self._rebalancing_func is None:
            self.refresh_rebalance(algorithm_utc)
            return True
        next_expiry = self.algorithm.insights.get_next_expiry_time()
        if self._rebalancing_time is None:
            self._rebalancing_time = self._rebalancing_func(algorithm_utc)
            if self._rebalancing_time is not None and self._rebalancing_time <= algorithm_utc:
                # ask the function again on the next call, not twice in this one
                self._rebalancing_time = None
                self._security_changes = False
                return True
        if (self._rebalancing_time is not None and self._rebalancing_time <= algorithm_utc) \
                or (self.rebalance_on_security_changes and self._security_changes) \
                or (self.rebalance_on_insight_changes
                    and (len(insights) != 0 or (next_expiry is not None and next_expiry < algorithm_utc))):
            self.refresh_rebalance(algorithm_utc)
            return True
        return False

    def refresh_rebalance(self, algorithm_utc: datetime) -> None:
        if self._rebalancing_func is not None:
            self._rebalancing_time = self._rebalancing_func(algorithm_utc)
        self._security_changes = False


class NullPortfolioConstructionModel(PortfolioConstructionModel):
    """Creates no targets (the algorithm's default)."""

    def create_targets(self, algorithm: Any, insights: list[Insight]) -> list[PortfolioTarget]:
        return []

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        pass


class EqualWeightingPortfolioConstructionModel(PortfolioConstructionModel):
    """Each symbol with an active non-flat insight gets ``1 / count`` of the portfolio in the
    insight's direction (insights against ``portfolio_bias`` count as flat).

    Parameters
    ----------
    rebalance
        ``Resolution`` (default ``DAILY``: one day after the last rebalance), ``timedelta``, date
        rule or function ``utc_time -> datetime | None``.
    portfolio_bias
        :class:`PortfolioBias`.
    """

    def __init__(self, rebalance: Any = Resolution.DAILY, portfolio_bias: PortfolioBias = PortfolioBias.LONG_SHORT) -> None:
        super().__init__(rebalance)
        self.portfolio_bias = PortfolioBias(portfolio_bias)

    def respect_portfolio_bias(self, insight: Insight) -> bool:
        bias = self.__dict__.get("portfolio_bias", PortfolioBias.LONG_SHORT)
        return bias == PortfolioBias.LONG_SHORT or int(insight.direction) == int(bias)

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        count = sum(1 for i in active_insights if i.direction != InsightDirection.FLAT and self.respect_portfolio_bias(i))
        percent = 0.0 if count == 0 else 1.0 / count
        return {insight: (int(insight.direction) if self.respect_portfolio_bias(insight) else 0) * percent
                for insight in active_insights}


class InsightWeightingPortfolioConstructionModel(EqualWeightingPortfolioConstructionModel):
    """Weights are the insights' ``abs(weight)`` in their direction, scaled down to sum to 1 when
    they sum to more; insights without a weight get no target."""

    def should_create_target_for_insight(self, insight: Insight) -> bool:
        return insight.weight is not None

    def get_value(self, insight: Insight) -> float:
        return abs(float(insight.weight)) if insight.weight is not None else 0.0

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        total = sum(self.get_value(i) for i in active_insights if self.respect_portfolio_bias(i))
        factor = 1.0 / total if total > 1 else 1.0
        return {insight: (int(insight.direction) if self.respect_portfolio_bias(insight) else 0)
                * self.get_value(insight) * factor for insight in active_insights}


class ConfidenceWeightedPortfolioConstructionModel(InsightWeightingPortfolioConstructionModel):
    """As insight weighting, with the insights' ``confidence`` as the weight."""

    def should_create_target_for_insight(self, insight: Insight) -> bool:
        return insight.confidence is not None

    def get_value(self, insight: Insight) -> float:
        return float(insight.confidence) if insight.confidence is not None else 0.0


class SectorWeightingPortfolioConstructionModel(EqualWeightingPortfolioConstructionModel):
    """Equal weight per sector (Morningstar ``industry_template_code``), then equal weight per
    security within its sector; securities without a sector code get no target."""

    def __init__(self, rebalance: Any = Resolution.DAILY) -> None:
        super().__init__(rebalance)
        self._sector_by_symbol: dict[Any, str] = {}

    def should_create_target_for_insight(self, insight: Insight) -> bool:
        return insight.symbol in self._sector_by_symbol

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        result: dict[Insight, float] = {}
        by_sector: dict[str, list[Insight]] = {}
        for insight in active_insights:
            if insight.direction == InsightDirection.FLAT:
                result[insight] = 0.0
                continue
            by_sector.setdefault(self._sector_by_symbol[insight.symbol], []).append(insight)
        sector_percent = 0.0 if not by_sector else 1.0 / len(by_sector)
        for members in by_sector.values():
            percent = sector_percent / len(members)
            for insight in members:
                result[insight] = int(insight.direction) * percent
        return result

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        for security in changes.removed_securities:
            self._sector_by_symbol.pop(security.symbol, None)
        for security in changes.added_securities:
            code = self.get_sector_code(security)
            if code:
                self._sector_by_symbol[security.symbol] = code
        super().on_securities_changed(algorithm, changes)

    def get_sector_code(self, security: Any) -> str | None:
        return security.fundamentals.company_reference.industry_template_code
