"""Order sizing, the buying power check and ``security.buying_power_model`` (LEAN ``BuyingPowerModel``,
``SecurityMarginModel``, ``Common/Securities/BuyingPowerModel.cs``).

* margin: initial = maintenance = 1 / leverage (``SecurityMarginModel``);
* sizing: ``PortfolioTarget.Percent`` then ``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower``
  (free-portfolio buffer, minimum order margin, the fee loop, lot-size rounding);
* the check before an order is accepted and again before it fills:
  ``BuyingPowerModel.HasSufficientBuyingPowerForOrder``.

The fee model is asked as LEAN asks it (the sizing probe, the check at submission, the fill); the
runtime's own models answer through :meth:`~lean_local.engine.fees.FeeModel.fee_amount` without the
parameter and probe-order objects, a user's model through ``get_order_fee(OrderFeeParameters)``.

``security.buying_power_model`` (:class:`SecurityMarginModel`) is a read-only view of the same margin
terms, for algorithms that ask it about a position.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from lean_local.engine.fees import BUILTIN_FEE_MODELS, OrderFeeParameters, in_account
from lean_local.engine.orders import CashAmount, Order, OrderFee, OrderType

if TYPE_CHECKING:
    from lean_local.engine.securities import Security


class ArgumentError(ValueError):
    """LEAN's ``ArgumentException`` from the sizing loop."""


def order_fee(security: Security, order: Order) -> OrderFee:
    """Ask the security's fee model, as LEAN does, with an :class:`OrderFeeParameters`."""
    model = security.fee_model
    if type(model) in BUILTIN_FEE_MODELS:
        return OrderFee(CashAmount(*model.fee_amount(security, order.quantity)))
    fee = model.get_order_fee(OrderFeeParameters(security, order))
    if not isinstance(fee, OrderFee):
        raise TypeError(f"{type(model).__name__}.get_order_fee must return an OrderFee, got {fee!r}")
    return fee


def fee_in_account_currency(cash_book: Any, security: Security, quantity: float, order_type: OrderType,
                            time: datetime) -> float:
    """The fee of a ``quantity`` order of ``order_type`` placed at ``time``, in the account currency.

    A user's fee model gets a probe order (id 0) as LEAN's sizing builds one; the runtime's own
    models need none. The fee's currency must be in the cash book (``KeyError`` otherwise, as LEAN).
    """
    model = security.fee_model
    if type(model) in BUILTIN_FEE_MODELS:
        amount, currency = model.fee_amount(security, quantity)
    else:
        value = order_fee(security, Order(0, security.symbol, order_type, quantity, time)).value
        amount, currency = value.amount, value.currency
    return amount * cash_book[currency].conversion_rate


def initial_margin(quantity: float, price: float, conversion_rate: float, multiplier: float,
                   leverage: float) -> float:
    """LEAN's initial margin: ``quantity x price x quote rate x multiplier / leverage`` (signed), account currency.

    Takes the security's values rather than the security, so a caller that needs several margins reads
    them once.
    """
    return quantity * price * conversion_rate * multiplier / leverage


def margin_terms(security: Security) -> tuple[float, float, float, float]:
    """``(price, quote rate, multiplier, leverage)`` of ``security`` for :func:`initial_margin`."""
    return (security.price, security.quote_currency.conversion_rate,
            security.symbol_properties.contract_multiplier, security.leverage)


def target_order_quantity(portfolio: Any, security: Security, percent: float,
                          free_percentage: float, minimum_order_margin_percentage: float) -> tuple[float, str]:
    """The order quantity that moves ``security`` to ``percent`` of the portfolio value.

    ``PortfolioTarget.Percent`` and ``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower``:
    the target margin is ``percent x (TPV - free buffer) / leverage``; no order when the margin
    change is below ``minimum_order_margin_percentage x TPV``; the quantity is rounded toward
    zero to the lot size and reduced until target holdings plus the estimated fee fit.

    Returns
    -------
    (quantity, reason)
        The signed order quantity (0 with a reason when no order is due).
    """
    tpv = portfolio.total_portfolio_value
    # the terms of initial_margin, read once (the products below are initial_margin's, in its order)
    price, rate, multiplier, leverage = margin_terms(security)
    if price == 0:
        return 0.0, f"The security {security.symbol} does not have a price yet"
    if tpv == 0:
        return 0.0, "total portfolio value is zero"
    adjusted = percent * (tpv - tpv * free_percentage) / tpv
    target_buying_power = adjusted / security.leverage
    target_margin = target_buying_power * tpv
    holdings = security.holdings.quantity
    if target_margin == 0:
        return -holdings, ""
    current_margin = holdings * price * rate * multiplier / leverage
    unit_margin = abs(1.0 * price * rate * multiplier / leverage)
    if unit_margin == 0:
        return 0.0, "zero price"
    if abs(target_margin - current_margin) < tpv * minimum_order_margin_percentage \
            and portfolio.margin_remaining > 0:
        return 0.0, "order margin below the minimum order margin portfolio percentage"
    lot = security.symbol_properties.lot_size
    cash_book = portfolio.cash_book
    model = security.fee_model
    builtin = type(model) in BUILTIN_FEE_MODELS
    last = None
    while True:
        size = -holdings + target_margin / unit_margin
        size = (math.floor if target_margin > 0 else math.ceil)(round(size / lot, 10)) * lot
        final = (size + holdings) * price * rate * multiplier / leverage
        while (target_margin < 0 and final < target_margin) or (target_margin > 0 and final > target_margin):
            size += lot if target_margin < 0 else -lot
            final = (size + holdings) * price * rate * multiplier / leverage
        if size == 0:
            return 0.0, "order quantity below the lot size"
        # LEAN's probe: a market order of ``size`` at the security's local time
        if builtin:  # fee_in_account_currency's arithmetic, without its call
            amount, currency = model.fee_amount(security, size)
            fee_account = amount * cash_book[currency].conversion_rate
        else:
            fee_account = fee_in_account_currency(cash_book, security, size, OrderType.MARKET, security.local_time)
        target_margin = (tpv - fee_account) * target_buying_power
        if last == size:
            raise ArgumentError(f"GetMaximumOrderQuantityForTargetBuyingPower failed to converge for {security.symbol}")
        last = size
        if abs(final) <= abs(target_margin):
            return float(size), ""


def buying_power_error(portfolio: Any, security: Security, order: Order, fee_account: float | None = None) -> str | None:
    """LEAN's ``HasSufficientBuyingPowerForOrder``: None when ``order`` fits, else LEAN's reason.

    An order that reduces the position (without crossing zero) always fits. Otherwise the initial
    margin of the order plus its fee (``fee_account``, account currency; asked of the fee model when
    None) must not exceed the margin remaining for the order's direction (estimated first: see
    ``SecurityPortfolioManager.margin_remaining_estimate``; the exact figure when the estimate is close).
    """
    held = security.holdings.quantity
    quantity = order.quantity
    if held * quantity < 0 and abs(held) >= abs(quantity):
        return None
    if fee_account is None and type(security.fee_model) in BUILTIN_FEE_MODELS:
        fee_account = fee_in_account_currency(portfolio.cash_book, security, quantity, order.type, order.time)
    elif fee_account is None:
        value = order_fee(security, order).value
        fee_account = portfolio.cash_book.convert_to_account_currency(value.amount, value.currency)
    price = security.price
    required = abs(quantity * price * security.quote_currency.conversion_rate
                   * security.symbol_properties.contract_multiplier / security.leverage) + fee_account  # initial_margin
    estimate, bound = portfolio.margin_remaining_estimate(security, quantity > 0)
    if required <= estimate - bound:
        return None
    free = portfolio.get_margin_remaining_for(security, quantity > 0)
    if required > free:
        return (f"Insufficient buying power to complete orders (Value:{abs(quantity * price):.2f}), "
                f"Reason: Id: {order.id}, Initial Margin: {required:.2f}, Free Margin: {free:.2f}.")
    return None


def clear_of_buying_power(portfolio: Any, columns: np.ndarray, quantities: np.ndarray, prices: np.ndarray,
                          fees: np.ndarray, rate: float, tpv: Any, margin: Any,
                          terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Which orders :func:`buying_power_error` certainly lets through, as arrays (False: ask it).

    The orders' securities hold ``portfolio.quantity[columns]`` and trade at ``prices`` (their current
    prices) in an account-currency-only book; ``fees`` are the orders' fees in account currency;
    ``tpv`` and ``margin`` the portfolio value and margin in use each check reads (the running
    estimate of ``SecurityPortfolioManager.margin_remaining_estimate``: scalars, or one per order);
    ``terms``: the columns' contract multipliers, leverages and held quantities when the caller has them.
    """
    if terms is None:
        multiplier, leverage = portfolio.column_terms(columns)
        held = portfolio.quantity[columns]
    else:
        multiplier, leverage, held = terms
    reducing = (held * quantities < 0) & (np.abs(held) >= np.abs(quantities))
    required = np.abs(in_account(quantities * prices, rate) * multiplier / leverage) + fees
    remaining = tpv - margin
    buying = quantities > 0
    against = ((held > 0) & ~buying) | ((held < 0) & buying)
    if np.count_nonzero(against):  # (none: every figure of the unchanged remaining margin is the same)
        value = np.abs(in_account(prices * held, rate) * multiplier)  # SecurityHolding.holdings_value
        remaining = np.where(against, remaining + value / leverage + value / leverage, remaining)
    # (abs: np.abs for arrays, the float's own for a scalar, without numpy's scalar round trip)
    bound = 1e-8 * (abs(tpv) + 100.0 * abs(margin) + np.abs(remaining))
    return reducing | (required <= remaining - bound)


class ReservedBuyingPowerForPositionParameters:
    """``ReservedBuyingPowerForPositionParameters(security)``."""

    def __init__(self, security: Any) -> None:
        self.security = security


class ReservedBuyingPowerForPosition:
    """The buying power a position holds, in account currency."""

    def __init__(self, absolute_used_buying_power: float) -> None:
        self.absolute_used_buying_power = float(absolute_used_buying_power)


class SecurityMarginModel:
    """The margin terms of one security (the portfolio's own sizing and buying-power checks use the same terms)."""

    def __init__(self, security: Any) -> None:
        self._security = security

    def get_leverage(self, security: Any) -> float:
        return security.leverage

    def get_maintenance_margin(self, security: Any) -> float:
        """``|holdings value| x maintenance margin requirement`` (account currency)."""
        return security.holdings.absolute_holdings_value / security.leverage

    def get_reserved_buying_power_for_position(
            self, parameters: ReservedBuyingPowerForPositionParameters) -> ReservedBuyingPowerForPosition:
        return ReservedBuyingPowerForPosition(self.get_maintenance_margin(parameters.security))
