"""The framework's place in each time step (``Algorithm/QCAlgorithm.Framework.cs``,
``Engine/AlgorithmManager.cs``).

Per time step, after ``on_securities_changed`` the models see the universe changes
(``OnFrameworkSecuritiesChanged``: alpha, portfolio construction, execution, risk); after
``on_data`` comes ``OnFrameworkData``: the insight manager scores (``insights.step``); then, when the
slice has data, the alpha model's ``update``, the new insights are stamped and stored
(``insights_generated`` fires), and ``ProcessInsights`` runs portfolio construction, risk
management (its targets override the construction's per symbol) and execution.
"""

from __future__ import annotations

from typing import Any

from lean_local.framework.alphas import CompositeAlphaModel, NullAlphaModel, model_name
from lean_local.framework.execution import ImmediateExecutionModel
from lean_local.framework.insight_collection import InsightManager
from lean_local.framework.insights import GeneratedInsightsCollection, Insight
from lean_local.framework.portfolio_construction import (
    NullPortfolioConstructionModel,
    PortfolioConstructionModel,
)
from lean_local.framework.risk import (
    CompositeRiskManagementModel,
    NullRiskManagementModel,
    distinct_by_symbol,
)
from lean_local.framework.selection import CompositeUniverseSelectionModel, NullUniverseSelectionModel


class EventHandlers:
    """A .NET event as pythonnet exposes it: ``event += handler``, ``event -= handler``."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def __iadd__(self, handler: Any) -> EventHandlers:
        self.handlers.append(handler)
        return self

    def __isub__(self, handler: Any) -> EventHandlers:
        if handler in self.handlers:
            self.handlers.remove(handler)
        return self

    def fire(self, *args: Any) -> None:
        for handler in list(self.handlers):
            handler(*args)


class Framework:
    """The algorithm's framework models and insight manager (LEAN's defaults until set)."""

    def __init__(self, algorithm: Any) -> None:
        self.algorithm = algorithm
        self.alpha: Any = NullAlphaModel()
        self.portfolio_construction: Any = NullPortfolioConstructionModel()
        self.execution: Any = ImmediateExecutionModel()
        self.risk_management: Any = NullRiskManagementModel()
        self.universe_selection: Any = NullUniverseSelectionModel()
        self.insights = InsightManager(algorithm)
        self.insights_generated = EventHandlers()
        # set by any framework call: an algorithm that makes none costs one check per step
        self.active = False
        self._warned_warmup = False
        self._warned_delisted = False

    # --- set-up -----------------------------------------------------------------------------
    def add_alpha(self, model: Any) -> None:
        if isinstance(self.alpha, NullAlphaModel):
            self.alpha = model
        elif isinstance(self.alpha, CompositeAlphaModel):
            self.alpha.add_alpha(model)
        else:
            self.alpha = CompositeAlphaModel(self.alpha, model)

    def add_risk_management(self, model: Any) -> None:
        if isinstance(self.risk_management, NullRiskManagementModel):
            self.risk_management = model
        elif isinstance(self.risk_management, CompositeRiskManagementModel):
            self.risk_management.add_risk_management(model)
        else:
            self.risk_management = CompositeRiskManagementModel(self.risk_management, model)

    def add_universe_selection(self, model: Any) -> None:
        if isinstance(self.universe_selection, NullUniverseSelectionModel):
            self.universe_selection = model
        elif isinstance(self.universe_selection, CompositeUniverseSelectionModel):
            self.universe_selection.add_universe_selection(model)
        else:
            self.universe_selection = CompositeUniverseSelectionModel(self.universe_selection, model)

    def post_initialize(self) -> None:
        """``QCAlgorithm.PostInitialize``: the rebalance settings reach the portfolio construction
        model, then the universe selection model creates its universes."""
        algorithm = self.algorithm
        settings = algorithm.settings
        on_security = getattr(settings, "rebalance_portfolio_on_security_changes", None)
        on_insight = getattr(settings, "rebalance_portfolio_on_insight_changes", None)
        pcm = self.portfolio_construction
        if isinstance(pcm, PortfolioConstructionModel) and not isinstance(pcm, NullPortfolioConstructionModel):
            pcm._state()
            if on_security is not None:
                pcm.rebalance_on_security_changes = bool(on_security)
            if on_insight is not None:
                pcm.rebalance_on_insight_changes = bool(on_insight)
        elif on_security is not None or on_insight is not None:
            algorithm.debug("Warning: rebalance portfolio settings are set but not supported by the current "
                            f"IPortfolioConstructionModel type: {type(pcm).__name__}")
        for universe in self.universe_selection.create_universes(algorithm):
            algorithm._add_framework_universe(universe)

    # --- each time step -----------------------------------------------------------------------
    def on_securities_changed(self, changes: Any) -> None:
        algorithm = self.algorithm
        self.alpha.on_securities_changed(algorithm, changes)
        self.portfolio_construction.on_securities_changed(algorithm, changes)
        self.execution.on_securities_changed(algorithm, changes)
        self.risk_management.on_securities_changed(algorithm, changes)

    def on_data(self, data: Any) -> None:
        """``OnFrameworkData``; ``data`` is None on a step without data."""
        algorithm = self.algorithm
        self.insights.step(algorithm.utc_time)
        if data is None:
            return
        insights = list(self.alpha.update(algorithm, data) or [])
        if insights:
            insights = self._initialize(insights)
            self._generated(insights)
        self.process(insights)

    def emit_insights(self, insights: list[Insight]) -> None:
        algorithm = self.algorithm
        if algorithm.is_warming_up:
            if not self._warned_warmup:
                algorithm.error("Warning: insights emitted during algorithm warmup are ignored.")
                self._warned_warmup = True
            return
        insights = self._initialize(insights)
        self._generated(insights)
        self.process(insights)

    def process(self, insights: list[Insight]) -> None:
        """``ProcessInsights``: portfolio construction, risk management, execution."""
        algorithm = self.algorithm
        targets = list(self.portfolio_construction.create_targets(algorithm, insights) or [])
        overrides = list(self.risk_management.manage_risk(algorithm, targets) or [])
        adjusted = distinct_by_symbol(overrides, targets) if (overrides or targets) else []
        self.execution.execute(algorithm, adjusted)

    def _generated(self, insights: list[Insight]) -> None:
        self.insights.add_range(insights)
        self.insights_generated.fire(self.algorithm, GeneratedInsightsCollection(self.algorithm.utc_time, insights))

    def _initialize(self, insights: list[Insight]) -> list[Insight]:
        """``InitializeInsights``: drop insights on delisted securities; stamp the generated time,
        the reference price, the source model and the close time."""
        algorithm = self.algorithm
        now = algorithm.utc_time
        valid = []
        for insight in insights:
            security = algorithm.securities[insight.symbol]
            if security.is_delisted:
                if not self._warned_delisted:
                    algorithm.error("QCAlgorithm.EmitInsights(): Warning: cannot emit insights for delisted "
                                    "securities, these will be discarded")
                    self._warned_delisted = True
                continue
            insight.symbol = security.symbol
            insight.generated_time_utc = now
            if int(insight.type) == 0:
                insight.reference_value = security.price
            if not insight.source_model:
                insight.source_model = model_name(self.alpha)
            insight.set_period_and_close_time(security.exchange.hours)
            valid.append(insight)
        return valid
