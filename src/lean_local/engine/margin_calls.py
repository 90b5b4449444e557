"""LEAN's margin calls: ``Common/Securities/DefaultMarginCallModel.cs`` and the check
``Engine/AlgorithmManager.cs`` makes at each time step (every 5 minutes at most, so at every
step of daily data), after the securities' prices are updated and before ``on_data``.

* Margin in use and nothing left (``margin remaining <= 0``) with the margin in use above the
  portfolio value by more than the 10% buffer: one market order per position, sized to free the
  excess (``used - portfolio value``) out of that position's margin
  (``GetMaximumOrderQuantityForDeltaBuyingPower``), tagged ``"Margin Call"``.
* The orders are executed only when every one of their exchanges is open at that time: the
  algorithm's ``on_margin_call(requests)`` sees them first (and may return others), they are then
  submitted losers first until the margin remaining is back at or above zero, each logged as an
  error. A US equity's daily step (16:00, the close) is never inside its market hours, so with daily
  equity data LEAN warns and never liquidates; daily forex steps are inside the 24-hour market.
* Otherwise ``on_margin_call_warning()`` when the margin remaining is 5% of the portfolio value or
  less, or when orders were due but not executed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lean_local.engine.orders import OrderType
from lean_local.engine.portfolio import initial_margin, margin_terms, target_order_quantity

MARGIN_BUFFER = 0.10  # DefaultMarginCallModel's marginBuffer
WARNING_SHARE = 0.05  # a warning at 5% margin remaining
MARGIN_CALL_FREQUENCY_NS = 5 * 60 * 10**9  # AlgorithmManager's marginCallFrequency: a check, then none for 5 minutes
MARGIN_CALL_TAG = "Margin Call"  # Messages.DefaultMarginCallModel.MarginCallOrderTag


@dataclass
class MarginCallRequest:
    """One margin call order (LEAN's ``SubmitOrderRequest`` as ``on_margin_call`` receives it)."""

    symbol: Any
    quantity: float
    order_type: OrderType = OrderType.MARKET
    tag: str = MARGIN_CALL_TAG


def margin_call_orders(portfolio: Any, securities: Callable[[], Iterable[Any]]) -> tuple[list[MarginCallRequest], bool]:
    """``GetMarginCallOrders``: the orders a margin call would place, and whether to warn.

    Parameters
    ----------
    portfolio : SecurityPortfolioManager
        The algorithm's portfolio.
    securities : callable
        Gives the algorithm's securities (asked only when orders are due; those not held are skipped).
    """
    used = portfolio.total_margin_used
    if used <= 0:
        return [], False
    total = portfolio.total_portfolio_value
    remaining = total - used
    warning = remaining <= total * WARNING_SHARE
    orders: list[MarginCallRequest] = []
    if remaining <= 0:
        if used > total * (1 + MARGIN_BUFFER):
            for security in securities():
                if security.holdings.quantity == 0:
                    continue
                request = _position_order(portfolio, security, total, used)
                if request is not None:
                    orders.append(request)
        warning = bool(orders)
    return orders, warning


def _position_order(portfolio: Any, security: Any, total: float, used: float) -> MarginCallRequest | None:
    """``GenerateMarginCallOrders`` for one position: reduce it by the margin in excess."""
    quantity = security.holdings.quantity
    terms = margin_terms(security)
    if terms[1] == 0:  # no conversion rate: no order can be sized
        return None
    excess = used - total
    position_margin = abs(initial_margin(quantity, *terms))
    keep = max(0.0, position_margin - excess)
    side = 1.0 if quantity > 0 else -1.0
    delta = (position_margin - keep) * -side
    target = (position_margin * side + delta) / total if total != 0 else 0.0
    # the target margin fraction as the holdings percent target_order_quantity takes (no free buffer,
    # no minimum order margin: a margin call always reduces)
    lots, _ = target_order_quantity(portfolio, security, target * security.leverage, 0.0, 0.0)
    if lots == 0:
        return None
    return MarginCallRequest(security.symbol, abs(lots) * -side)


def margin_call_clear(portfolio: Any) -> bool:
    """Whether :func:`margin_call_orders` surely finds nothing to do (no margin in use, or a margin
    remaining above 5% of the portfolio value), told from the portfolio value and the long and short
    sums the step's sample takes anyway, without the sum of the margin in use.

    The margin in use sums each position's ``|value| / leverage``: at most the positions' absolute
    sum (``long - short``) over the least leverage. Each sum's rounding is below ``n x 2.2e-16`` of it
    (``n`` values); ``_SLACK`` covers that for any feasible ``n`` and the comparison's own rounding, so
    a portfolio clear here is clear in the exact figures (otherwise they decide).
    """
    least = portfolio.least_leverage()
    if not least > 0:
        return False
    total = portfolio.total_portfolio_value
    long_value, short_value = portfolio.long_short_values()
    bound = (long_value - short_value) / least * (1.0 + _SLACK)
    return total - bound > total * (WARNING_SHARE + _SLACK)


_SLACK = 1e-6


def execute_margin_call(algorithm: Any) -> None:
    """The algorithm manager's margin call step: orders when due and every exchange is open, else
    the warning when due."""
    portfolio = algorithm.portfolio
    orders, warning = margin_call_orders(portfolio, algorithm.securities.values)
    executed = 0
    if orders and all(algorithm.securities[o.symbol].exchange.exchange_open for o in orders):
        replaced = algorithm.on_margin_call(orders)
        if replaced is not None:  # LEAN's Python wrapper takes the list the handler returns
            orders = list(replaced)
        if portfolio.margin_remaining < 0:
            # losers first (ExecuteMarginCall), until the margin remaining is back at zero or above
            for request in sorted(orders, key=lambda o: algorithm.securities[o.symbol].holdings.unrealized_profit):
                ticket = algorithm.market_order(request.symbol, request.quantity, tag=request.tag)
                executed += 1
                algorithm.error(f"{algorithm.time} - Executed MarginCallOrder: {ticket.symbol} - "
                                f"Quantity: {ticket.quantity:g} @ {ticket.average_fill_price:g}")
                if portfolio.margin_remaining >= 0:
                    break
    if executed == 0 and warning:
        algorithm.on_margin_call_warning()
