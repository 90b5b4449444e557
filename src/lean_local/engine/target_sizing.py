"""``set_holdings`` over a list of targets sized as arrays: :func:`~lean_local.engine.buying_power.target_order_quantity`
for every target at once (LEAN ``PortfolioTarget.Percent`` and
``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower``).

The securities must be US equities with the runtime's Interactive Brokers fee model, in an
account-currency-only book (:func:`array_sizable`); each figure is computed with the scalar function's
operations in its order, so every quantity is the one it gives. The fee loop runs over the targets
still unsettled until each settles; a target whose loop would not converge (LEAN's ``ArgumentException``)
makes the whole call answer None, and the caller sizes the targets one by one, which raises as LEAN does.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from lean_local.engine.common import Market, SecurityType
from lean_local.engine.fees import InteractiveBrokersFeeModel, in_account, interactive_brokers_fees

if TYPE_CHECKING:
    from lean_local.engine.securities import Security


class SizedOrders(NamedTuple):
    """The orders ``set_holdings`` over targets places, one entry per order in order: each security,
    order quantity (float64), feed column (int64) and lot size (float64), read once per call; ``sizable``:
    the securities are known :func:`array_sizable` (False: not asked); ``prices``: the securities'
    current prices (``Security.price``; None: not read), which stay while ``set_holdings`` runs (no bar
    arrives and nothing fills while the market is closed); ``tradable``: every security is known
    tradable (False: not asked); ``fees``: each order's fee in account currency at those prices where
    the sizing computed it for the quantity it settled on (NaN where it did not; None: not known)."""

    securities: list[Security]
    quantities: np.ndarray
    columns: np.ndarray
    lots: np.ndarray
    sizable: bool = False
    prices: np.ndarray | None = None
    tradable: bool = False
    fees: np.ndarray | None = None

    @classmethod
    def of(cls, securities: list[Security], quantities: list[float] | np.ndarray, sizable: bool = False) -> SizedOrders:
        """The orders of ``securities`` and ``quantities`` (their columns and lot sizes read here)."""
        n = len(securities)
        return cls(securities, np.asarray(quantities, dtype=np.float64),
                   np.fromiter(map(_COLUMN, securities), dtype=np.int64, count=n),
                   np.fromiter(map(_LOT_SIZE, securities), dtype=np.float64, count=n), sizable)

    def current_prices(self, feed: Any) -> np.ndarray:
        """The securities' current prices (``Security.price``), read from ``feed`` when not known."""
        return feed.current_closes_of(self.columns) if self.prices is None else self.prices

    def with_quantities(self, quantities: np.ndarray, fees: np.ndarray | None = None) -> SizedOrders:
        """The same orders of other ``quantities`` (float64); ``fees``: their fees where known (see the class)."""
        return self._replace(quantities=quantities, fees=fees)

    def take(self, indices: np.ndarray, tradable: bool = False) -> SizedOrders:
        """The orders at ``indices`` (int array), in that order; ``tradable``: their securities are
        known tradable."""
        return SizedOrders(list(map(self.securities.__getitem__, indices.tolist())), self.quantities[indices],
                           self.columns[indices], self.lots[indices], self.sizable,
                           None if self.prices is None else self.prices[indices], tradable or self.tradable,
                           None if self.fees is None else self.fees[indices])


_COLUMN, _LOT_SIZE = attrgetter("column"), attrgetter("symbol_properties.lot_size")
_FEE_MODEL, _TYPE, _MARKET = attrgetter("fee_model"), attrgetter("type"), attrgetter("symbol.market")


def array_sizable(portfolio: Any, securities: list[Security | None]) -> bool:
    """Can :func:`target_order_quantities` size these securities (see the module's docstring)?"""
    if len(portfolio.cash_book) != 1:
        return False
    if not securities:
        return True
    if None in securities:
        return False
    # each field read over all the securities by one C-level pass (map with attrgetter)
    return set(map(type, map(_FEE_MODEL, securities))) == {InteractiveBrokersFeeModel} \
        and set(map(_TYPE, securities)) == {SecurityType.EQUITY} and set(map(_MARKET, securities)) == {Market.USA}


def target_order_quantities(portfolio: Any, securities: list[Security], percents: np.ndarray,
                            free_percentage: float, minimum_order_margin_percentage: float,
                            columns: np.ndarray | None = None, lots: np.ndarray | None = None,
                            prices: np.ndarray | None = None, fees: np.ndarray | None = None
                            ) -> tuple[np.ndarray, list[str]] | None:
    """``target_order_quantity`` of each security and percent: the quantities and the reasons (``""``
    when an order is due), or None when a fee loop would not converge. ``columns``, ``lots`` and
    ``prices``: the securities' feed columns, lot sizes and current prices when the caller has them
    (:class:`SizedOrders`); ``fees`` (float64, one per security): where the fee loop settles a quantity,
    its fee in account currency at ``prices`` is written there (the submission's checks ask the same)."""
    n = len(securities)
    tpv = portfolio.total_portfolio_value
    if columns is None or lots is None:
        read = SizedOrders.of(securities, np.zeros(n))
        columns, lots = read.columns, read.lots
    if prices is None:
        prices = portfolio.feed.current_closes_of(columns)  # Security.price
    rate = portfolio.cash_book[portfolio.cash_book.account_currency].conversion_rate
    multiplier, leverage = portfolio.column_terms(columns)
    holdings = portfolio.quantity[columns]
    reasons = [""] * n
    quantities = np.zeros(n)
    if tpv == 0:
        return quantities, [f"The security {s.symbol} does not have a price yet" if p == 0
                            else "total portfolio value is zero" for s, p in zip(securities, prices.tolist(),
                                                                                  strict=True)]
    adjusted = percents * (tpv - tpv * free_percentage) / tpv
    target_buying_power = adjusted / leverage
    target_margin = target_buying_power * tpv
    unit_margin = np.abs(in_account(prices, rate) * multiplier / leverage)  # the scalar's 1.0 * price: the same value
    # (on arrays of about a hundred entries np.count_nonzero answers any() without its Python wrapper,
    # and mask.nonzero()[0] is np.flatnonzero without its ravel)
    skipped = unit_margin == 0  # the targets without an order: a zero price, or (below) a margin change too small
    minimum = tpv * minimum_order_margin_percentage
    if minimum > 0:  # else no |change| is below it (the current margins not needed)
        current_margin = in_account(holdings * prices, rate) * multiplier / leverage
        small = np.abs(target_margin - current_margin) < minimum
        if np.count_nonzero(small) and portfolio.margin_remaining > 0:
            skipped |= small
    no_price, flat = prices == 0, target_margin == 0
    inactive = no_price | flat | skipped
    if np.count_nonzero(inactive):  # (none mostly: every target sized)
        closing = flat & ~no_price
        if np.count_nonzero(closing):
            quantities[closing] = -holdings[closing]
        refused = no_price | (~flat & skipped)
        for k in refused.nonzero()[0].tolist():
            reasons[k] = f"The security {securities[k].symbol} does not have a price yet" if no_price[k] \
                else "zero price" if unit_margin[k] == 0 else \
                "order margin below the minimum order margin portfolio percentage"
    active = (~inactive).nonzero()[0]
    # the previous pass's sizes (a target still active was active in every pass before)
    last: np.ndarray | None = None
    while len(active):
        every = len(active) == n  # every target (the first passes mostly): the arrays themselves, no gathers
        if every:
            margin, unit, held, lot, price, mult, lev, buying_power = (target_margin, unit_margin, holdings, lots,
                                                                       prices, multiplier, leverage, target_buying_power)
        else:
            margin, unit, held, lot = target_margin[active], unit_margin[active], holdings[active], lots[active]
            price, mult, lev, buying_power = prices[active], multiplier[active], leverage[active], \
                target_buying_power[active]
        # an active target's margin is not zero: it is a long or a short one (NaN: neither, and never over)
        long = margin > 0
        # every target long (a rebalance's mostly): the long side of each where below, without the where
        all_long = np.count_nonzero(long) == len(long)
        size = _whole_lots(margin / unit - held, lot, long, all_long) * lot  # (x - h is x + -h: the scalar's -h + x)
        final = in_account((size + held) * price, rate) * mult / lev
        over = final > margin if all_long else np.where(long, final > margin, final < margin)
        while np.count_nonzero(over):
            size = np.where(over, size - lot if all_long else size + np.where(long, -lot, lot), size)
            final = np.where(over, in_account((size + held) * price, rate) * mult / lev, final)
            over = final > margin if all_long else np.where(long, final > margin, final < margin)
        zero = size == 0
        zeros = np.count_nonzero(zero)
        if zeros:
            for k in active[zero].tolist():
                reasons[k] = "order quantity below the lot size"
        fee_account = in_account(interactive_brokers_fees(size, price, rate), rate)
        margin = (tpv - fee_account) * buying_power  # the target margin with the fee taken out
        if every:
            target_margin = margin  # (the arrays read above are not written)
        else:
            target_margin[active] = margin
        if last is not None and np.count_nonzero((last[active] == size) & ~zero):
            return None
        if every:
            last = size  # (no pass writes a pass's sizes)
        else:
            if last is None:
                last = np.empty(n)
            last[active] = size
        within = np.abs(final) <= np.abs(margin)
        done = within & ~zero if zeros else within
        if every:
            np.copyto(quantities, size, where=done)
            if fees is not None:
                np.copyto(fees, fee_account, where=done)
        else:
            settled = active[done]
            quantities[settled] = size[done]
            if fees is not None:
                fees[settled] = fee_account[done]
        active = active[~(within | zero) if zeros else ~within]
    return quantities, reasons


def _whole_lots(sizes: np.ndarray, lot: np.ndarray, down: np.ndarray, all_down: bool = False) -> np.ndarray:
    """``math.floor`` (``down``) or ``math.ceil`` of ``round(size / lot, 10)`` for each of ``sizes``;
    ``all_down``: every entry of ``down`` is known True.

    Away from whole numbers the rounding to 10 decimals cannot move a value across one, so floor and
    ceil of the value itself answer; near them Python's ``round`` (correctly rounded, unlike numpy's) decides.
    """
    ratio = sizes / lot
    result = np.floor(ratio) if all_down else np.where(down, np.floor(ratio), np.ceil(ratio))
    near = np.abs(ratio - np.rint(ratio)) < 1e-6
    if np.count_nonzero(near):
        for k in near.nonzero()[0].tolist():
            rounded = round(float(ratio[k]), 10)
            result[k] = math.floor(rounded) if down[k] else math.ceil(rounded)
    return result
