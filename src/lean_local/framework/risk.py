"""Risk management models (``Algorithm/Risk/*.cs``, ``Algorithm.Framework/Risk/*.cs``):
``manage_risk(algorithm, targets)`` returns targets that override the portfolio construction's."""

from __future__ import annotations

from typing import Any

from lean_local.framework.targets import PortfolioTarget, PortfolioTargetCollection


class RiskManagementModel:
    """Base class."""

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        raise NotImplementedError("Types deriving from 'RiskManagementModel' must implement the "
                                  "'IEnumerable<IPortfolioTarget> ManageRisk(QCAlgorithm, IPortfolioTarget[]) method.")

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        pass


class NullRiskManagementModel(RiskManagementModel):
    """Changes nothing (the algorithm's default)."""

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        return []


def distinct_by_symbol(*groups: list[Any]) -> list[Any]:
    """The targets of all groups, the first one per symbol kept (LEAN's ``Concat().DistinctBy``)."""
    seen, out = set(), []
    for group in groups:
        for target in group:
            if target.symbol not in seen:
                seen.add(target.symbol)
                out.append(target)
    return out


class CompositeRiskManagementModel(RiskManagementModel):
    """Several risk models in turn; each sees the targets the previous ones adjusted."""

    def __init__(self, *models: Any) -> None:
        if len(models) == 1 and isinstance(models[0], list | tuple):
            models = tuple(models[0])
        if not models:
            raise ValueError("Must specify at least 1 risk management model for the CompositeRiskManagementModel")
        self._models = list(models)

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        for model in self._models:
            targets = distinct_by_symbol(list(model.manage_risk(algorithm, targets) or []), targets)
        return targets

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        for model in self._models:
            model.on_securities_changed(algorithm, changes)

    def add_risk_management(self, model: Any) -> None:
        self._models.append(model)


class MaximumDrawdownPercentPerSecurity(RiskManagementModel):
    """Liquidate a position (and cancel its insights) whose unrealized loss exceeds
    ``maximum_drawdown_percent`` of its cost (0.05 = 5%)."""

    def __init__(self, maximum_drawdown_percent: float = 0.05) -> None:
        self._limit = -abs(float(maximum_drawdown_percent))

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        out = []
        for security in algorithm.securities.values():
            if not security.invested:
                continue
            if security.holdings.unrealized_profit_percent < self._limit:
                algorithm.insights.cancel([security.symbol])
                out.append(PortfolioTarget(security.symbol, 0))
        return out


class MaximumDrawdownPercentPortfolio(RiskManagementModel):
    """Liquidate everything when the portfolio falls ``maximum_drawdown_percent`` below its start
    value (or, ``is_trailing``, below its highest value)."""

    def __init__(self, maximum_drawdown_percent: float = 0.05, is_trailing: bool = False) -> None:
        self._limit = -abs(float(maximum_drawdown_percent))
        self._trailing = is_trailing
        self._initialised = False
        self._high = 0.0

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        value = algorithm.portfolio.total_portfolio_value
        if not self._initialised:
            self._high = value
            self._initialised = True
        if self._trailing and self._high < value:
            self._high = value
            return []
        drawdown = value / self._high - 1.0 if self._high else 0.0
        if drawdown < self._limit:
            self._initialised = False
            out = []
            for security in algorithm.securities.values():
                if security.invested:
                    algorithm.insights.cancel([security.symbol])
                    out.append(PortfolioTarget(security.symbol, 0))
            return out
        return []


class MaximumUnrealizedProfitPercentPerSecurity(RiskManagementModel):
    """Take profit: liquidate a position whose unrealized profit exceeds ``maximum_unrealized_profit_percent``."""

    def __init__(self, maximum_unrealized_profit_percent: float = 0.05) -> None:
        self._limit = abs(float(maximum_unrealized_profit_percent))

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        out = []
        for security in algorithm.securities.values():
            if security.invested and security.holdings.unrealized_profit_percent > self._limit:
                algorithm.insights.cancel([security.symbol])
                out.append(PortfolioTarget(security.symbol, 0))
        return out


class MaximumSectorExposureRiskManagementModel(RiskManagementModel):
    """Scale down every security of a sector (Morningstar ``industry_template_code``) whose absolute
    holdings value, at the targets where there are targets, exceeds ``maximum_sector_exposure`` of
    the portfolio value."""

    def __init__(self, maximum_sector_exposure: float = 0.20) -> None:
        if maximum_sector_exposure <= 0:
            raise ValueError("MaximumSectorExposureRiskManagementModel: the maximum sector exposure cannot be a "
                             "non-positive value.")
        self._maximum = float(maximum_sector_exposure)
        self._targets = PortfolioTargetCollection()

    def manage_risk(self, algorithm: Any, targets: list[Any]) -> list[Any]:
        limit = algorithm.portfolio.total_portfolio_value * self._maximum
        self._targets.add_range(targets)
        by_sector: dict[str, list[Any]] = {}
        for security in algorithm.universe_manager.active_securities.values():
            fundamentals = security.fundamentals
            if not fundamentals.has_fundamental_data:
                continue
            by_sector.setdefault(fundamentals.company_reference.industry_template_code, []).append(security)
        out = []
        for members in by_sector.values():
            exposure = 0.0
            for security in members:
                found, target = self._targets.try_get_value(security.symbol)
                if found:
                    exposure += security.price * abs(target.quantity) * security.symbol_properties.contract_multiplier \
                        * security.quote_currency.conversion_rate
                else:
                    exposure += security.holdings.absolute_holdings_value
            ratio = exposure / limit
            if ratio <= 1:
                continue
            for security in members:
                found, target = self._targets.try_get_value(security.symbol)
                quantity = target.quantity if found else security.holdings.quantity
                if quantity != 0:
                    out.append(PortfolioTarget(security.symbol, quantity / ratio))
        return out

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        if not any(s.fundamentals.has_fundamental_data for s in algorithm.active_securities.values()):
            raise RuntimeError("MaximumSectorExposureRiskManagementModel.OnSecuritiesChanged: Please select a "
                               "portfolio selection model that selects securities with fundamental data.")
