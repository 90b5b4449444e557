"""Fee models (LEAN ``QuantConnect.Orders.Fees``).

An algorithm may subclass :class:`FeeModel` and override ``get_order_fee(parameters)``; the runtime
calls it with an :class:`OrderFeeParameters` holding the security and the order, as LEAN does.
The runtime's own models depend only on the order's quantity and the security's current price, so
the order path asks their :meth:`FeeModel.fee_amount` directly (no parameter, order or fee objects;
the same arithmetic as ``get_order_fee``); :data:`BUILTIN_FEE_MODELS` names them (exact types: a
subclass may override ``get_order_fee``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
        return OrderFee(CashAmount(*self.fee_amount(parameters.security, parameters.order.quantity)))

    def fee_amount(self, security: Any, quantity: float) -> tuple[float, str]:
        """``(amount, currency)`` of an order of ``quantity`` at the security's current price."""
        return 0.0, "USD"


class ConstantFeeModel(FeeModel):
    """A fixed fee per order, in ``currency`` (LEAN ``ConstantFeeModel``)."""

    def __init__(self, fee: float, currency: str = "USD") -> None:
        self.fee = float(fee)
        self.currency = currency

    def fee_amount(self, security: Any, quantity: float) -> tuple[float, str]:
        return abs(self.fee), self.currency


class InteractiveBrokersFeeModel(FeeModel):
    """Interactive Brokers' fixed US equity plan (LEAN ``InteractiveBrokersFeeModel``).

    $0.005 a share; an order below the $1.00 minimum pays $1.00, otherwise the fee is capped at 0.5% of
    the order value (``order quantity x security price`` at the time the fee is computed, as LEAN's
    ``Order.GetValue``). Other security types: zero here (the project trades IB fees on equities only).
    """

    FEE_PER_SHARE = 0.005
    MINIMUM_FEE = 1.0
    MAXIMUM_FEE_RATE = 0.005

    def fee_amount(self, security: Any, quantity: float) -> tuple[float, str]:
        if security.type != SecurityType.EQUITY:
            return 0.0, "USD"
        if security.symbol.market != Market.USA:
            raise ValueError(f"InteractiveBrokersFeeModel: unsupported equity market {security.symbol.market}")
        quantity = abs(quantity)
        trade_value = quantity * security.price * security.quote_currency.conversion_rate
        fee = self.FEE_PER_SHARE * quantity
        # LEAN applies the minimum, and only otherwise the cap (an if / else-if, not both).
        if fee < self.MINIMUM_FEE:
            fee = self.MINIMUM_FEE
        elif fee > self.MAXIMUM_FEE_RATE * trade_value:
            fee = self.MAXIMUM_FEE_RATE * trade_value
        return abs(fee), "USD"


def in_account(values: np.ndarray, rate: float) -> np.ndarray:
    """``values * rate`` (quote-currency amounts converted at ``rate``), or ``values`` themselves at a rate of
    exactly 1.0 (the account currency's own: ``x * 1.0`` is ``x``, bit for bit, so the pass over the array is
    skipped). Callers build their products in the scalar path's order, so skipping the factor skips one
    step of it."""
    return values if rate == 1.0 else values * rate


def interactive_brokers_fees(quantities: np.ndarray, prices: np.ndarray, rate: float) -> np.ndarray:
    """:meth:`InteractiveBrokersFeeModel.fee_amount` (USD) of US equity orders of ``quantities`` (signed)
    at ``prices`` (the securities' current prices) and quote rate ``rate``, the same operations as arrays."""
    shares = np.abs(quantities)
    fees = InteractiveBrokersFeeModel.FEE_PER_SHARE * shares
    cap = InteractiveBrokersFeeModel.MAXIMUM_FEE_RATE * in_account(shares * prices, rate)
    return np.abs(np.where(fees < InteractiveBrokersFeeModel.MINIMUM_FEE, InteractiveBrokersFeeModel.MINIMUM_FEE,
                           np.where(fees > cap, cap, fees)))


#: The runtime's own models, whose ``get_order_fee`` is their :meth:`FeeModel.fee_amount`.
BUILTIN_FEE_MODELS = frozenset({FeeModel, ConstantFeeModel, InteractiveBrokersFeeModel})


def default_fee_model(security_type: SecurityType) -> FeeModel:
    """LEAN's ``DefaultBrokerageModel.GetFeeModel``: IB for equities, zero for forex, index, custom data."""
    if security_type == SecurityType.EQUITY:
        return InteractiveBrokersFeeModel()
    return ConstantFeeModel(0.0)
