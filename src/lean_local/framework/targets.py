"""``PortfolioTarget``, ``PortfolioTargetCollection`` and the order-sizing helpers execution
models use (``Common/Algorithm/Framework/Portfolio/PortfolioTarget*.cs``, ``Common/Orders/OrderSizing.cs``,
``Extensions.OrderTargetsByMarginImpact``, ``BuyingPowerModelExtensions.AboveMinimumOrderMarginPortfolioPercentage``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lean_local.framework.insights import InsightDirection


class PortfolioTarget:
    """A target holding quantity for one symbol (``set_holdings`` also reads ``quantity`` as a weight).

    ``PortfolioTarget(symbol, quantity | InsightDirection, tag="")``; ``PortfolioTarget.percent``
    sizes a weight into a quantity as ``set_holdings`` does.
    """

    # LEAN's PortfolioTarget.MinimumOrderMarginPercentageWarningSent: None until an execution model
    # skips a target below the minimum order margin, then False until the warning is sent once
    minimum_order_margin_percentage_warning_sent: bool | None = None

    def __init__(self, symbol: Any, quantity: Any, tag: str = "") -> None:
        self.symbol = symbol
        if isinstance(quantity, InsightDirection):
            quantity = int(quantity)
        self.quantity = float(quantity)
        self.tag = tag

    @staticmethod
    def percent(algorithm: Any, symbol: Any, percent: float, return_delta_quantity: bool = False,
                tag: str = "") -> PortfolioTarget | None:
        """The quantity that holds ``percent`` of the portfolio value in ``symbol`` (LEAN
        ``PortfolioTarget.Percent``): None, with an error logged, for an unknown symbol, a security
        without a price or a percent outside the settings' bounds."""
        percent = float(percent)
        settings = algorithm.settings
        magnitude = abs(percent)
        if magnitude > settings.max_absolute_portfolio_target_percentage or \
                (magnitude != 0 and magnitude < settings.min_absolute_portfolio_target_percentage):
            algorithm.error(f"The portfolio target percent: {percent}, does not comply with the current "
                            f"'Algorithm.Settings' 'MaxAbsolutePortfolioTargetPercentage': "
                            f"{settings.max_absolute_portfolio_target_percentage} or "
                            f"'MinAbsolutePortfolioTargetPercentage': "
                            f"{settings.min_absolute_portfolio_target_percentage}. Skipping")
            return None
        if symbol not in algorithm.securities:
            algorithm.error(f"{symbol} not found in portfolio. Request this data when initializing the algorithm.")
            return None
        security = algorithm.securities[symbol]
        if security.price == 0:
            algorithm.error(f"The order quantity for {security.symbol.value} cannot be calculated: the price of the "
                            "security is zero.")
            return None
        quantity, _reason = algorithm._order_quantity(security, percent)
        if PortfolioTarget.minimum_order_margin_percentage_warning_sent is False:
            PortfolioTarget.minimum_order_margin_percentage_warning_sent = True
            algorithm.debug("Warning: Portfolio target order margin was below the minimum order margin portfolio "
                            "percentage. The order will be ignored. To avoid this warning, adjust "
                            "'Algorithm.Settings.MinimumOrderMarginPortfolioPercentage'. This warning is shown once.")
        if not return_delta_quantity:
            quantity += security.holdings.quantity
        return PortfolioTarget(security.symbol, quantity, tag)

    def __repr__(self) -> str:
        text = f"{self.symbol}: {self.quantity:g}"
        return f"{text} ({self.tag})" if self.tag else text


def adjust_by_lot_size(security: Any, quantity: float) -> float:
    """``OrderSizing.AdjustByLotSize``: toward zero to a whole lot; a quantity short of a lot by
    less than a millionth of it rounds up (a floating-point remainder)."""
    lot = security.symbol_properties.lot_size
    magnitude = abs(quantity)
    remainder = magnitude % lot
    if lot - remainder < lot / 1_000_000:
        remainder -= lot
    magnitude -= remainder
    return magnitude if quantity >= 0 else -magnitude


def projected_quantity(algorithm: Any, security: Any) -> float:
    """Holdings plus the open orders' remaining quantity (``GetProjectedHoldings``)."""
    return security.holdings.quantity + algorithm.transactions.get_open_orders_remaining_quantity(security.symbol)


def unordered_quantity(algorithm: Any, target: Any, security: Any | None = None) -> float:
    """``OrderSizing.GetUnorderedQuantity``: what is left to order to reach the target."""
    security = security or algorithm.securities[target.symbol]
    return adjust_by_lot_size(security, target.quantity - projected_quantity(algorithm, security))


def above_minimum_order_margin(algorithm: Any, security: Any, quantity: float) -> bool:
    """Is the order's initial margin at least ``minimum_order_margin_portfolio_percentage`` of the
    portfolio value (always True while the margin remaining is not positive)?"""
    minimum = algorithm.settings.minimum_order_margin_portfolio_percentage
    if minimum == 0:
        return True
    portfolio = algorithm.portfolio
    margin = abs(quantity) * security.price * security.quote_currency.conversion_rate \
        * security.symbol_properties.contract_multiplier / security.leverage
    return not (portfolio.total_portfolio_value * minimum > margin and portfolio.margin_remaining > 0)


def order_targets_by_margin_impact(algorithm: Any, targets: Iterable[Any], target_is_delta: bool = False) -> list[Any]:
    """Targets that need an order, position-reducing first, then by decreasing order value;
    none during warm-up, none for securities without data or not tradable."""
    if algorithm.is_warming_up:
        return []
    rows = []
    for target in targets:
        security = algorithm.securities[target.symbol]
        quantity = adjust_by_lot_size(security, target.quantity)
        existing = projected_quantity(algorithm, security)
        change = quantity if target_is_delta else quantity - existing
        if not security.has_data or not getattr(security, "is_tradable", True) \
                or abs(change) < security.symbol_properties.lot_size:
            continue
        final = quantity + existing if target_is_delta else quantity
        reducing = existing != 0 and abs(final) < abs(existing)
        rows.append((not reducing, -abs(change * security.price), len(rows), target))
    rows.sort(key=lambda row: row[:3])
    return [row[3] for row in rows]


class PortfolioTargetCollection:
    """Targets by symbol (a newer target for a symbol replaces the older one)."""

    def __init__(self) -> None:
        self._targets: dict[Any, Any] = {}

    @property
    def count(self) -> int:
        return len(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    @property
    def is_empty(self) -> bool:
        return not self._targets

    def add(self, target: Any) -> None:
        if target is not None:
            self._targets[target.symbol] = target

    def add_range(self, targets: Iterable[Any]) -> None:
        for target in targets:
            self._targets[target.symbol] = target

    def clear(self) -> None:
        self._targets.clear()

    def clear_fulfilled(self, algorithm: Any) -> None:
        """Drop the targets the holdings have reached (within one lot)."""
        for target in list(self._targets.values()):
            security = algorithm.securities[target.symbol]
            if abs(target.quantity - security.holdings.quantity) < security.symbol_properties.lot_size:
                self.remove(target.symbol)

    def contains(self, target: Any) -> bool:
        return target is not None and target.symbol in self._targets

    def contains_key(self, symbol: Any) -> bool:
        return symbol in self._targets

    def __contains__(self, symbol: Any) -> bool:
        return symbol in self._targets

    def remove(self, item: Any) -> bool:
        """Remove by symbol, or remove this very target."""
        if hasattr(item, "quantity") and hasattr(item, "symbol"):
            if self._targets.get(item.symbol) is not item:
                return False
            item = item.symbol
        return self._targets.pop(item, None) is not None

    def __getitem__(self, symbol: Any) -> Any:
        return self._targets[symbol]

    def __setitem__(self, symbol: Any, target: Any) -> None:
        self._targets[symbol] = target

    def try_get_value(self, symbol: Any) -> tuple[bool, Any]:
        return (symbol in self._targets, self._targets.get(symbol))

    @property
    def keys(self) -> list[Any]:
        return list(self._targets)

    @property
    def values(self) -> list[Any]:
        return list(self._targets.values())

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._targets.values()))

    def order_by_margin_impact(self, algorithm: Any) -> list[Any]:
        if not self._targets:
            return []
        return order_targets_by_margin_impact(algorithm, self._targets.values())
