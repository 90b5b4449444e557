"""The ``QCAlgorithm`` order members: market, market-on-open/close, limit and stop orders,
``set_holdings`` (a weight or a list of portfolio targets), ``calculate_order_quantity``, ``liquidate``."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

from lean_local.engine.common import Market, Resolution, not_supported
from lean_local.engine.orders import OrderTicket, OrderType
from lean_local.engine.portfolio import target_order_quantity, within_moc_buffer
from lean_local.engine.securities import Security
from lean_local.engine.target_sizing import SizedOrders, array_sizable, target_order_quantities

_SYMBOL, _QUANTITY, _IS_TRADABLE = attrgetter("symbol"), attrgetter("quantity"), attrgetter("is_tradable")
_EXCHANGE, _HOURS = attrgetter("exchange"), attrgetter("exchange.hours")


class OrdersApi:
    """Order placement and sizing (a mixin of :class:`lean_local.engine.algorithm.QCAlgorithm`)."""

    def _security_for_order(self, symbol: Any) -> Security:
        if self.portfolio.cash_book.account_currency != "USD":
            raise not_supported("QCAlgorithm", f"orders in a {self.portfolio.cash_book.account_currency} account "
                                               "(the fee models charge USD)")
        security = self.securities.get(symbol)
        if security is None:
            raise KeyError(f"{symbol} not found in the securities: add it with add_equity/add_forex first")
        if security.symbol.market == Market.INDIA:
            raise not_supported("QCAlgorithm", "orders on India equities (the order checks read New York days and the "
                                               "India fee model is not modelled)")
        return security

    def _daily_only(self, security: Security) -> bool:
        return security.resolution == Resolution.DAILY

    def market_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                     order_properties: Any = None) -> OrderTicket:
        """A market order, converted as LEAN (PR #9534) does for daily data.

        Exchange closed: market-on-open. Exchange open and the security has only daily data:
        market-on-close (today's close), or market-on-open within the 15.5-minute MOC buffer.
        """
        security = self._security_for_order(symbol)
        hours = security.exchange.hours
        if not hours.always_open:
            if not security.exchange.exchange_open:
                if not self._moo_warned:
                    self.debug("Warning: market orders submitted while the market is closed are automatically "
                               "converted into MarketOnOpen orders to fill at the next market open.")
                    self._moo_warned = True
                return self.market_on_open_order(symbol, quantity, asynchronous, tag, order_properties)
            if not self.live_mode and self._daily_only(security):
                if not self._moc_warned:
                    self.debug("Warning: market orders on daily resolution data sent during market hours are "
                               "automatically converted into MarketOnClose orders (or MarketOnOpen near the close)"
                               " to avoid filling at the stale previous close.")
                    self._moc_warned = True
                if within_moc_buffer(security, self.time):
                    return self.market_on_open_order(symbol, quantity, asynchronous, tag, order_properties)
                return self.market_on_close_order(symbol, quantity, asynchronous, tag, order_properties)
        return self.transactions.submit(security, OrderType.MARKET, float(quantity), tag or "")

    def order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
              order_properties: Any = None) -> OrderTicket:
        return self.market_order(symbol, quantity, asynchronous, tag, order_properties)

    def buy(self, symbol: Any, quantity: float) -> OrderTicket:
        """``order(symbol, |quantity|)`` (LEAN ``QCAlgorithm.Buy``)."""
        return self.order(symbol, abs(float(quantity)))

    def sell(self, symbol: Any, quantity: float) -> OrderTicket:
        """``order(symbol, -|quantity|)`` (LEAN ``QCAlgorithm.Sell``)."""
        return self.order(symbol, -abs(float(quantity)))

    def market_on_open_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                             order_properties: Any = None) -> OrderTicket:
        return self.transactions.submit(self._security_for_order(symbol), OrderType.MARKET_ON_OPEN, float(quantity),
                                        tag or "")

    def market_on_close_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                              order_properties: Any = None) -> OrderTicket:
        return self.transactions.submit(self._security_for_order(symbol), OrderType.MARKET_ON_CLOSE,
                                        float(quantity), tag or "")

    def limit_order(self, symbol: Any, quantity: float, limit_price: float, asynchronous: bool = False,
                    tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self.transactions.submit(self._security_for_order(symbol), OrderType.LIMIT, float(quantity),
                                        tag or "", limit_price=float(limit_price))

    def stop_market_order(self, symbol: Any, quantity: float, stop_price: float, asynchronous: bool = False,
                          tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self.transactions.submit(self._security_for_order(symbol), OrderType.STOP_MARKET, float(quantity),
                                        tag or "", stop_price=float(stop_price))

    def stop_limit_order(self, symbol: Any, quantity: float, stop_price: float, limit_price: float,
                         asynchronous: bool = False, tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self.transactions.submit(self._security_for_order(symbol), OrderType.STOP_LIMIT, float(quantity),
                                        tag or "", limit_price=float(limit_price), stop_price=float(stop_price))

    def _order_quantity(self, security: Security, percent: float) -> tuple[float, str]:
        settings = self.settings
        free = settings.free_portfolio_value_percentage
        if settings.free_portfolio_value is not None:
            tpv = self.portfolio.total_portfolio_value
            free = settings.free_portfolio_value / tpv if tpv else 0.0
        return target_order_quantity(self.portfolio, security, float(percent), free,
                                     settings.minimum_order_margin_portfolio_percentage)

    def calculate_order_quantity(self, symbol: Any, target: float) -> float:
        return self._calculate_order_quantity(self._security_for_order(symbol), target)

    def _calculate_order_quantity(self, security: Security, target: float) -> float:
        quantity, reason = self._order_quantity(security, target)
        if reason and quantity == 0 and not self._sizing_warned:
            # LEAN sends this warning once (PortfolioTarget.MinimumOrderMarginPercentageWarningSent)
            self._sizing_warned = True
            self.debug(f"{reason}. This warning is shown once.")
        return quantity

    def set_holdings(self, symbol: Any, percentage: float | None = None, liquidate_existing_holdings: bool = False,
                     asynchronous: bool = False, tag: str = "", order_properties: Any = None) -> list[OrderTicket]:
        """Target ``percentage`` of the portfolio value in ``symbol``, or a list of ``PortfolioTarget``
        weights (ordered so that position-reducing orders go first, as LEAN)."""
        if isinstance(symbol, list | tuple):
            targets = list(symbol)
            tickets: list[OrderTicket] = []
            if liquidate_existing_holdings:
                keep = {str(t.symbol) for t in targets}
                tickets += self.liquidate([s for s in sorted(self.portfolio.keys()) if s not in keep], tag=tag)
            if self.is_warming_up:
                return tickets
            return tickets + self._set_holdings_many(self._ordered_targets(self._target_quantities(targets)), tag)
        if percentage is None:
            raise TypeError("set_holdings(symbol, percentage) needs a percentage")
        security = self._security_for_order(symbol)
        quantity = self._calculate_order_quantity(security, float(percentage))
        tickets = []
        if liquidate_existing_holdings:
            tickets += self.liquidate([s for s in sorted(self.portfolio.keys()) if s != security.symbol], tag=tag)
        return tickets + self._set_holdings_impl(security, quantity, tag)

    def _target_quantities(self, targets: list[Any]) -> SizedOrders:
        """Each target's security and order quantity (``_calculate_order_quantity``), sized as arrays
        (:mod:`lean_local.engine.target_sizing`) when the securities allow it."""
        symbols = list(map(_SYMBOL, targets))
        try:
            securities: list[Security | None] = self.securities.all_of(symbols)  # one C-level pass
        except KeyError:  # a symbol not added: sized one by one below, which raises LEAN's error
            securities = list(map(self.securities.get, symbols))
        sized = None
        if self.portfolio.cash_book.account_currency == "USD" and array_sizable(self.portfolio, securities):
            settings = self.settings
            free = settings.free_portfolio_value_percentage
            if settings.free_portfolio_value is not None:
                tpv = self.portfolio.total_portfolio_value
                free = settings.free_portfolio_value / tpv if tpv else 0.0
            orders = SizedOrders.of(securities, np.fromiter(map(_QUANTITY, targets), dtype=np.float64,
                                                            count=len(targets)), sizable=True)
            prices = self.portfolio.feed.current_closes_of(orders.columns)
            fees = np.full(len(securities), np.nan)  # (the sizing's fees of the quantities it settles on)
            sized = target_order_quantities(self.portfolio, securities, orders.quantities, free,
                                            settings.minimum_order_margin_portfolio_percentage, orders.columns,
                                            orders.lots, prices, fees)
        if sized is None:  # one by one (their errors are raised there)
            securities, quantities = [], []
            for target in targets:
                security = self._security_for_order(target.symbol)
                securities.append(security)
                quantities.append(self._calculate_order_quantity(security, target.quantity))
            return SizedOrders.of(securities, quantities)
        quantities, reasons = sized
        if not self._sizing_warned and any(reasons):
            for quantity, reason in zip(quantities.tolist(), reasons, strict=True):
                if reason and quantity == 0:  # _calculate_order_quantity's warning, once
                    self._sizing_warned = True
                    self.debug(f"{reason}. This warning is shown once.")
                    break
        # the orders made once with what the sizing read (a NamedTuple's _replace is a Python-level remake)
        return SizedOrders(securities, quantities, orders.columns, orders.lots, True, prices, False, fees)

    def _ordered_targets(self, sized: SizedOrders) -> SizedOrders:
        """The sized targets that make an order (the security has data and is tradable, at least a lot),
        position-reducing ones first, then by value, largest first (LEAN's ``SetHoldings`` over targets)."""
        securities, quantities, columns, lots = sized.securities, sized.quantities, sized.columns, sized.lots
        if not securities:
            return sized
        tradable = np.fromiter(map(_IS_TRADABLE, securities), dtype=bool, count=len(securities))
        prices = sized.current_prices(self.portfolio.feed)  # Security.price
        existing = self.portfolio.quantity[columns]
        if self.transactions.get_open_orders():
            remaining = self.transactions.get_open_orders_remaining_quantity
            existing = existing + np.array([remaining(security.symbol) for security in securities])
        reducing = (existing != 0) & (np.abs(quantities + existing) < np.abs(existing))
        due = self.portfolio.feed.has_data(columns) & tradable & (np.abs(quantities) >= lots)
        order = np.lexsort((-np.abs(quantities * prices), ~reducing))
        return sized.take(order[due[order]], tradable=True)

    def _set_holdings_many(self, orders: SizedOrders, tag: str) -> list[OrderTicket]:
        """:meth:`_set_holdings_impl` for each of ``orders`` in order; market-on-open orders (every
        exchange closed) are submitted together (``TransactionManager.submit_market_on_open``)."""
        # an open exchange (market orders, which may fill at once) or a symbol twice (its second order
        # counts the first as pending): one by one
        # every exchange reads the feed's clock, so whether one is open depends on its hours only (a few, shared)
        securities = orders.securities
        if not securities:
            return []
        all_hours = list(map(_HOURS, securities))  # (carried to the submission: its checks and the fill scan)
        if all_hours.count(all_hours[0]) == len(all_hours):  # one exchange's hours (list.count: identity first)
            exchange_open = securities[0].exchange.exchange_open
        else:
            exchanges = dict(zip(map(id, all_hours), map(_EXCHANGE, securities), strict=True))
            exchange_open = any(exchange.exchange_open for exchange in exchanges.values())
        if exchange_open or len(set(orders.columns.tolist())) < len(securities):  # a security's column is its symbol's
            return [ticket for security, quantity in zip(securities, orders.quantities.tolist(), strict=True)
                    for ticket in self._set_holdings_impl(security, quantity, tag)]
        if self.transactions.get_open_orders():
            pending = np.array([self._pending_market_quantity(security) for security in securities], dtype=np.float64)
            orders = orders.with_quantities(orders.quantities - pending)
        due = np.abs(orders.quantities) > 0
        if np.count_nonzero(due) < len(securities):
            kept = due.nonzero()[0]
            orders = orders.take(kept)
            all_hours = list(map(all_hours.__getitem__, kept.tolist()))
        return self.transactions.submit_market_on_open(orders, tag or "", all_hours)

    def _pending_market_quantity(self, security: Security) -> float:
        """The remaining quantity of ``security``'s open market and market-on-open orders."""
        return sum(t.quantity_remaining for t in self.transactions.get_open_order_tickets(security.symbol)
                   if t.order_type in (OrderType.MARKET, OrderType.MARKET_ON_OPEN))

    def _set_holdings_impl(self, security: Security, order_quantity: float, tag: str) -> list[OrderTicket]:
        symbol = security.symbol
        quantity = order_quantity - self._pending_market_quantity(security)
        if abs(quantity) <= 0:
            return []
        if security.exchange.exchange_open:
            return [self.market_order(symbol, quantity, tag=tag)]
        # LEAN's SetHoldings places a MarketOnOpenOrder (market_on_open_order without its security look-up)
        return [self.transactions.submit(security, OrderType.MARKET_ON_OPEN, float(quantity), tag or "")]

    def liquidate(self, symbol: Any = None, asynchronous: bool = False, tag: str = "Liquidated",
                  order_properties: Any = None) -> list[OrderTicket]:
        """Close positions (all, one symbol, or a list) and cancel their non-market open orders."""
        if not self.settings.liquidate_enabled:
            self.debug("Liquidate() is currently disabled by settings.")
            return []
        if symbol is None:
            symbols = sorted(self.portfolio.keys())
        elif isinstance(symbol, list | tuple | set):
            symbols = list(symbol)
        else:
            symbols = [symbol]
        tag = tag or "Liquidated"
        tickets = []
        for sym in symbols:
            if sym not in self.securities:
                continue
            orders = self.transactions.get_open_orders(sym)
            quantity = self.portfolio[sym].quantity
            if len(orders) == 1 and quantity != 0 and orders[0].quantity == -quantity \
                    and orders[0].type == OrderType.MARKET:
                continue
            market_quantity = 0.0
            for order in orders:
                if order.type == OrderType.MARKET:
                    market_quantity += self.transactions.get_order_ticket(order.id).quantity_remaining
                else:
                    self.transactions.cancel_order(order, tag)
            if quantity != 0:
                tickets.append(self.market_order(sym, -quantity - market_quantity, tag=tag))
        return tickets
