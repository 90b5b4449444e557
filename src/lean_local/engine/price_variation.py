"""Order prices rounded to the security's minimum price variation, as LEAN rounds them at submission.

``BrokerageTransactionHandler.RoundOrderPrices`` rounds a limit order's limit price, a stop-market
order's stop price and both prices of a stop-limit order, when an order is submitted and when it is
updated: ``Math.Round(price / increment) * increment`` (decimal, half to even). When a price
changes it reports once per run, through ``algorithm.Error``:
``Warning: To meet brokerage precision requirements, order StopPrice was rounded to 95.24 from 95.2381``.

The increment is the security's ``PriceVariationModel``:

* equities in ``ADJUSTED`` mode (the default) in a backtest: ``AdjustedPriceVariationModel``, 0, so
  no rounding (adjusted prices are not prices a brokerage quotes);
* equities in ``RAW`` mode, or live: ``EquityPriceVariationModel``, $0.0001 below $1 (SEC rule 612),
  else the symbol properties' minimum price variation ($0.01);
* every other type: ``SecurityPriceVariationModel``, the symbol properties' minimum price variation
  (EURUSD 0.00001, USDJPY 0.001).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from lean_local.engine.common import DataNormalizationMode, SecurityType
from lean_local.engine.orders import Order, OrderType

if TYPE_CHECKING:
    from lean_local.engine.securities import Security

# order type -> the price fields LEAN rounds, with the names its warning uses
ROUNDED_PRICES: dict[OrderType, tuple[tuple[str, str], ...]] = {
    OrderType.LIMIT: (("limit_price", "LimitPrice"),),
    OrderType.STOP_MARKET: (("stop_price", "StopPrice"),),
    OrderType.STOP_LIMIT: (("limit_price", "LimitPrice"), ("stop_price", "StopPrice")),
}


def minimum_price_variation(security: Security, reference_price: float, live_mode: bool = False) -> Decimal:
    """The tick LEAN rounds ``reference_price`` to for ``security`` (0: no rounding)."""
    tick = _decimal(security.symbol_properties.minimum_price_variation)
    if security.type != SecurityType.EQUITY:
        return tick
    if security.data_normalization_mode != DataNormalizationMode.RAW and not live_mode:
        return Decimal(0)
    return Decimal("0.0001") if reference_price < 1 else tick


def round_order_prices(order: Order, security: Security, warn: Callable[[str], None], live_mode: bool = False) -> None:
    """Round ``order``'s limit/stop prices in place; ``warn(message)`` for each price that changed."""
    for field, name in ROUNDED_PRICES.get(order.type, ()):
        price = getattr(order, field)
        increment = minimum_price_variation(security, price, live_mode)
        if increment <= 0:
            continue
        original = _decimal(price)
        rounded = (original / increment).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * increment
        setattr(order, field, float(rounded))
        if rounded != original:
            warn(f"Warning: To meet brokerage precision requirements, order {name} was rounded to {rounded} "
                 f"from {original}")


def _decimal(value: float) -> Decimal:
    """A float as .NET's ``(decimal)double`` sees it: 15 significant digits, no trailing zeros."""
    return Decimal(f"{value:.15g}")
