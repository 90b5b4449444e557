"""Fee models (LEAN ``QuantConnect.Orders.Fees``).

An algorithm may subclass :class:`FeeModel` and override ``get_order_fee(parameters)``; the runtime
calls it with an :class:`OrderFeeParameters` holding the security and the order, as LEAN does.
"""

from __future__ import annotations

from typing import Any

from lean_local.engine.common import Market, SecurityType
from lean_local.engine.orders import CashAmount, OrderFee


class OrderFeeParameters:
    """What a fee model sees: the security and the order (LEAN ``OrderFeeParameters``)."""

    def __init__(self, security: Any, order: Any) -> None:
        self.security = security
        self.order = order


class FeeModel:
    """Base fee model: zero fees. Subclass and override :meth:`get_order_fee`."""

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        return OrderFee(CashAmount(0.0, "USD"))


class ConstantFeeModel(FeeModel):
    """A fixed fee per order, in ``currency`` (LEAN ``ConstantFeeModel``)."""

    def __init__(self, fee: float, currency: str = "USD") -> None:
        self.fee = float(fee)
        self.currency = currency

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        return OrderFee(CashAmount(abs(self.fee), self.currency))


class InteractiveBrokersFeeModel(FeeModel):
    """Interactive Brokers' fixed US equity plan (LEAN ``InteractiveBrokersFeeModel``).

    $0.005 a share; an order below the $1.00 minimum pays $1.00, otherwise the fee is capped at 0.5% of
    the order value (``order quantity x security price`` at the time the fee is computed, as LEAN's
    ``Order.GetValue``). Other security types: zero here (the project trades IB fees on equities only).
    """

    FEE_PER_SHARE = 0.005
    MINIMUM_FEE = 1.0
    MAXIMUM_FEE_RATE = 0.005

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        security = parameters.security
        order = parameters.order
        if security.type != SecurityType.EQUITY:
            return OrderFee(CashAmount(0.0, "USD"))
        if security.symbol.market != Market.USA:
            raise ValueError(f"InteractiveBrokersFeeModel: unsupported equity market {security.symbol.market}")
        quantity = abs(order.quantity)
        trade_value = quantity * security.price * security.quote_currency.conversion_rate
        fee = self.FEE_PER_SHARE * quantity
        # LEAN applies the minimum, and only otherwise the cap (an if / else-if, not both).
        if fee < self.MINIMUM_FEE:
            fee = self.MINIMUM_FEE
        elif fee > self.MAXIMUM_FEE_RATE * trade_value:
            fee = self.MAXIMUM_FEE_RATE * trade_value
        return OrderFee(CashAmount(abs(fee), "USD"))


def default_fee_model(security_type: SecurityType) -> FeeModel:
    """LEAN's ``DefaultBrokerageModel.GetFeeModel``: IB for equities, zero for forex, index, custom data."""
    if security_type == SecurityType.EQUITY:
        return InteractiveBrokersFeeModel()
    return ConstantFeeModel(0.0)
