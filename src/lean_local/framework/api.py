"""The framework members of ``QCAlgorithm`` (``Algorithm/QCAlgorithm.Framework.cs``), mixed into
the runtime's ``QCAlgorithm``.

Until an algorithm calls one of them its framework stays inactive and the engine skips it.
"""

from __future__ import annotations

from typing import Any

from lean_local.framework.driver import EventHandlers, Framework
from lean_local.framework.insight_collection import InsightManager
from lean_local.framework.insights import Insight


class FrameworkAlgorithm:
    """``set_alpha``, ``add_alpha``, ``set_portfolio_construction``, ``set_execution``,
    ``set_risk_management``, ``add_risk_management``, ``set_universe_selection``,
    ``add_universe_selection``, ``emit_insights``, ``insights`` and ``insights_generated``."""

    @property
    def _framework(self) -> Framework:
        framework = self.__dict__.get("_framework_state")
        if framework is None:
            framework = self.__dict__["_framework_state"] = Framework(self)
        return framework

    def _framework_activate(self) -> Framework:
        framework = self._framework
        framework.active = True
        return framework

    def _framework_for_run(self) -> Framework | None:
        """Called when the run starts: the active framework, post-initialized, or None."""
        framework = self.__dict__.get("_framework_state")
        if framework is None or not framework.active:
            return None
        framework.post_initialize()
        return framework

    # --- models ----------------------------------------------------------------------------
    @property
    def alpha(self) -> Any:
        return self._framework.alpha

    @property
    def portfolio_construction(self) -> Any:
        return self._framework.portfolio_construction

    @property
    def execution(self) -> Any:
        return self._framework.execution

    @property
    def risk_management(self) -> Any:
        return self._framework.risk_management

    @property
    def universe_selection(self) -> Any:
        return self._framework.universe_selection

    def set_alpha(self, alpha: Any) -> None:
        self._framework_activate().alpha = alpha

    def add_alpha(self, alpha: Any) -> None:
        self._framework_activate().add_alpha(alpha)

    def set_portfolio_construction(self, portfolio_construction: Any) -> None:
        self._framework_activate().portfolio_construction = portfolio_construction

    def set_execution(self, execution: Any) -> None:
        self._framework_activate().execution = execution

    def set_risk_management(self, risk_management: Any) -> None:
        self._framework_activate().risk_management = risk_management

    def add_risk_management(self, risk_management: Any) -> None:
        self._framework_activate().add_risk_management(risk_management)

    def set_universe_selection(self, universe_selection: Any) -> None:
        self._framework_activate().universe_selection = universe_selection

    def add_universe_selection(self, universe_selection: Any) -> None:
        self._framework_activate().add_universe_selection(universe_selection)

    # --- insights --------------------------------------------------------------------------
    @property
    def insights(self) -> InsightManager:
        return self._framework.insights

    @property
    def insights_generated(self) -> EventHandlers:
        self._framework_activate()
        return self._framework.insights_generated

    @insights_generated.setter
    def insights_generated(self, handlers: EventHandlers) -> None:
        self._framework.insights_generated = handlers

    def emit_insights(self, *insights: Any) -> None:
        """Emit insights from algorithm code: they go through portfolio construction, risk and
        execution at once (ignored during warm-up)."""
        members: list[Insight] = []
        for item in insights:
            members.extend(item if isinstance(item, list | tuple) else [item])
        self._framework_activate().emit_insights(members)

    def _add_framework_universe(self, universe: Any) -> None:
        """Run a selection model's universe as ``add_universe`` runs its own (a universe the model
        made through ``add_universe`` is there already)."""
        if universe not in self._universes:
            if universe._default_settings:  # LEAN: the model's settings, else the algorithm's
                universe.universe_settings = self.universe_settings
            self._universes.append(universe)
