"""Securities: symbol properties, holdings, the ``Security`` object and the ``SecurityManager``.

A :class:`Security` is a thin view: its prices come from the feed's current bar (read on access),
its holdings from the portfolio's arrays. Leverage per class follows LEAN's defaults for a margin
account: equity 2, forex 50, index and custom data 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lean_local.engine.buying_power import SecurityMarginModel
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.fees import FeeModel, default_fee_model
from lean_local.engine.fundamental_universe import Fundamental, fundamentals_at
from lean_local.engine.intraday import cached_quote
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members
from lean_local.engine.shortable import NullShortableProvider
from lean_local.engine.slippage import NullSlippageModel
from lean_local.engine.subscription_data import BarView, SubscriptionData
from lean_local.engine.volatility import NULL_VOLATILITY_MODEL

if TYPE_CHECKING:
    from lean_local.engine.exchange_hours import Exchange
    from lean_local.engine.portfolio import Cash, SecurityPortfolioManager

DEFAULT_LEVERAGE = {SecurityType.EQUITY: 2.0, SecurityType.FOREX: 50.0, SecurityType.INDEX: 1.0,
                    SecurityType.BASE: 1.0}


class SymbolProperties:
    """Lot size, tick size, contract multiplier and quote currency of a security."""

    def __init__(self, lot_size: float = 1.0, minimum_price_variation: float = 0.01,
                 contract_multiplier: float = 1.0, quote_currency: str = "USD", description: str = "") -> None:
        self.lot_size = float(lot_size)
        self.minimum_price_variation = float(minimum_price_variation)
        self.contract_multiplier = float(contract_multiplier)
        self.quote_currency = quote_currency
        self.description = description


class SecurityHolding:
    """LEAN's ``SecurityHolding``: a view on the portfolio's arrays for one security."""

    def __init__(self, security: Security) -> None:
        self._security = security

    @property
    def _book(self) -> SecurityPortfolioManager:
        return self._security._portfolio

    @property
    def symbol(self) -> Symbol:
        return self._security.symbol

    @property
    def quantity(self) -> float:
        security = self._security
        return float(security._portfolio.quantity[security.column])

    @property
    def absolute_quantity(self) -> float:
        return abs(self.quantity)

    @property
    def average_price(self) -> float:
        return float(self._book.average_price[self._security.column])

    @property
    def invested(self) -> bool:
        return self.quantity != 0

    @property
    def is_long(self) -> bool:
        return self.quantity > 0

    @property
    def is_short(self) -> bool:
        return self.quantity < 0

    @property
    def price(self) -> float:
        return self._security.price

    @property
    def holdings_cost(self) -> float:
        s = self._security
        return self.average_price * self.quantity * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def absolute_holdings_cost(self) -> float:
        return abs(self.holdings_cost)

    @property
    def holdings_value(self) -> float:
        s = self._security
        return s.price * self.quantity * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def absolute_holdings_value(self) -> float:
        return abs(self.holdings_value)

    @property
    def unrealized_profit(self) -> float:
        """Profit if closed now, before fees; forex longs close at the bid, shorts at the ask."""
        s = self._security
        q = self.quantity
        if q == 0:
            return 0.0
        price = s.price
        bar = s.last_bar()
        if s.type == SecurityType.FOREX and bar is not None:
            price = bar.bid.close if q > 0 else bar.ask.close
        elif s.quoted:  # LEAN's TotalCloseProfit: a long sells at the bid, a short buys at the ask
            price = cached_quote(s.feed, s.column, bid=q > 0) or price
        return (price - self.average_price) * q * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def unrealized_profit_percent(self) -> float:
        cost = self.absolute_holdings_cost
        return self.unrealized_profit / cost if cost else 0.0

    @property
    def net_profit(self) -> float:
        return self.profit - self.total_fees

    @property
    def profit(self) -> float:
        return float(self._book.realized_profit[self._security.column])

    @property
    def total_fees(self) -> float:
        return float(self._book.fees_paid[self._security.column])

    @property
    def leverage(self) -> float:
        return self._security.leverage


# LEAN's members of ``SecurityHolding`` (not ``__getattr__``: CPython specialises the reads on a holding)
name_lean_members(SecurityHolding, "SecurityHolding", (
    "absolute_holdings_cost", "absolute_holdings_value", "absolute_quantity", "average_price", "holdings_cost",
    "holdings_value", "invested", "is_long", "is_short", "leverage", "net_profit", "price", "profit", "quantity",
    "symbol", "total_fees", "unrealized_profit", "unrealized_profit_percent"), (
    "add_new_dividend", "add_new_fee", "add_new_profit", "add_new_sale", "get_quantity_value", "hold_stock",
    "last_trade_profit", "on_quantity_changed", "quantity_changed", "security", "set_holdings",
    "set_last_trade_profit", "target", "total_close_profit", "total_dividends", "total_sale_volume", "type",
    "unlevered_absolute_holdings_cost", "unlevered_holdings_cost", "update_market_price", *OBJECT_MEMBERS))


class Security:
    """One security: its symbol, models, exchange, current bar and holdings.

    Beside LEAN's members, the engine's (no LEAN ``Security`` member has their names): ``column`` (its
    subscription's column in the feed and the portfolio's arrays), ``feed``, ``loader`` (reads its
    subscription), ``quoted``, ``stream_ended``; ``is_fill_data_forward`` is LEAN's (obsolete) member.
    """

    volatility_models_set = 0  # counts set_volatility_model calls (algorithms refresh their list on change)
    quoted = False  # has quote bars beside its trade bars (a minute equity): bid/ask come from them
    stream_ended = False  # its subscription had no data and ended (the fill-forward resolution no longer counts it)
    is_fill_data_forward = False  # its subscription fills forward
    loader: Callable[[], SubscriptionData] | None = None  # reads its subscription's data (set when subscribed)

    def __init__(self, symbol: Symbol, column: int, feed: Any, exchange: Exchange,
                 properties: SymbolProperties, quote_currency: Cash, portfolio: SecurityPortfolioManager,
                 resolution: Resolution = Resolution.DAILY,
                 normalization: DataNormalizationMode = DataNormalizationMode.ADJUSTED,
                 leverage: float | None = None, base_currency: Cash | None = None,
                 data_folder: Path | None = None) -> None:
        self.symbol = symbol
        self._data_folder = data_folder
        self.type = symbol.security_type
        self.column = column
        self.feed = feed
        self._portfolio = portfolio
        self.exchange = exchange
        self.symbol_properties = properties
        self.quote_currency = quote_currency
        self.base_currency = base_currency
        self.resolution = resolution
        self.data_normalization_mode = normalization
        self.leverage = float(leverage if leverage is not None else DEFAULT_LEVERAGE.get(self.type, 1.0))
        self.fee_model: FeeModel = default_fee_model(self.type)
        self.slippage_model: Any = NullSlippageModel()
        self.shortable_provider: Any = NullShortableProvider()
        self.is_tradable = self.type != SecurityType.INDEX
        self.holdings = SecurityHolding(self)
        self.volatility_model: Any = NULL_VOLATILITY_MODEL

    # --- current data -------------------------------------------------------------------------
    def last_bar(self) -> BarView | None:
        """The latest bar delivered to this security (None before its first bar)."""
        return self.feed.current_bar(self.column)

    @property
    def has_data(self) -> bool:
        return self.last_bar() is not None or self.feed.is_seeded(self.column)

    def set_market_price(self, data: Any) -> None:
        """Seed the price with a data point's close (shown until the first bar arrives); None (no
        known price) changes nothing, as LEAN's ``SetMarketPrice``."""
        if data is None:
            return
        self.feed.seed(self.column, float(getattr(data, "close", getattr(data, "value", 0.0))))

    @property
    def price(self) -> float:
        return self.feed.current_close(self.column)

    close = property(lambda self: self.price)

    def _field(self, name: str) -> float:
        bar = self.last_bar()
        return getattr(bar, name) if bar is not None else 0.0

    open = property(lambda self: self._field("open"))
    high = property(lambda self: self._field("high"))
    low = property(lambda self: self._field("low"))
    volume = property(lambda self: self._field("volume"))

    @property
    def bid_price(self) -> float:
        if self.quoted:
            return cached_quote(self.feed, self.column, bid=True) or self.price
        bar = self.last_bar()
        return bar.bid.close if bar is not None and self.type == SecurityType.FOREX else self.price

    @property
    def ask_price(self) -> float:
        if self.quoted:
            return cached_quote(self.feed, self.column, bid=False) or self.price
        bar = self.last_bar()
        return bar.ask.close if bar is not None and self.type == SecurityType.FOREX else self.price

    @property
    def local_time(self) -> datetime:
        return self.feed.clock.time

    @property
    def fundamentals(self) -> Fundamental:
        """LEAN ``Security.Fundamentals``: the security's fundamentals at its local time (the coarse file's
        fields of that date, the rest from the fundamental data provider)."""
        if self._data_folder is None:
            raise not_supported("Security", "fundamentals of a security made outside an algorithm")
        return fundamentals_at(self._data_folder, self.local_time, [self.symbol])[0]

    @property
    def invested(self) -> bool:
        return self.holdings.invested

    @property
    def is_delisted(self) -> bool:
        return self.feed.is_delisted(self.column)

    # --- models -------------------------------------------------------------------------------
    def set_fee_model(self, model: Any) -> None:
        self.fee_model = model

    def set_slippage_model(self, model: Any) -> None:
        self.slippage_model = model

    def set_shortable_provider(self, provider: Any) -> None:
        self.shortable_provider = provider

    def set_leverage(self, leverage: float) -> None:
        self.leverage = float(leverage)
        self._portfolio.update_leverage(self)

    def set_data_normalization_mode(self, mode: DataNormalizationMode) -> None:
        self.feed.set_normalization(self, mode)

    def set_volatility_model(self, model: Any) -> None:
        """Use ``model`` (updated with each bar before ``on_data``) as ``volatility_model``."""
        self.volatility_model = model
        Security.volatility_models_set += 1

    def set_fill_model(self, model: Any) -> None:
        raise not_supported("Security", "set_fill_model")

    def set_buying_power_model(self, model: Any) -> None:
        raise not_supported("Security", "set_buying_power_model")

    @property
    def buying_power_model(self) -> SecurityMarginModel:
        return SecurityMarginModel(self)

    margin_model = buying_power_model

    def __repr__(self) -> str:
        return f"Security({self.symbol})"


# LEAN's members of ``Security`` and of the ``Equity`` and ``Forex`` it makes
name_lean_members(Security, "Security", (
    "ask_price", "base_currency", "bid_price", "buying_power_model", "close", "data_normalization_mode", "exchange",
    "fee_model", "fundamentals", "has_data", "high", "holdings", "invested", "is_delisted", "is_fill_data_forward",
    "is_tradable", "leverage", "local_time", "low", "margin_model", "open", "price", "quote_currency", "resolution",
    "set_buying_power_model", "set_data_normalization_mode", "set_fee_model", "set_fill_model", "set_leverage",
    "set_market_price", "set_shortable_provider", "set_slippage_model", "set_volatility_model", "shortable_provider",
    "slippage_model", "symbol", "symbol_properties", "type", "volatility_model", "volume"), (
    "DEFAULT_SETTLEMENT_TIME", "NULL_LEVERAGE", "add", "ask_size", "bid_size", "cache", "clear", "data", "data_filter",
    "decompose_currency_pair", "default_settlement_days", "fill_model", "get", "get_last_data", "hold_stock",
    "is_custom_data", "is_extended_market_hours", "margin_interest_rate_model", "open_interest", "portfolio_model",
    "price_variation_model", "primary_exchange", "refresh_data_normalization_mode_property", "remove", "reset",
    "session", "set", "set_data_filter", "set_local_time_keeper", "set_margin_interest_rate_model",
    "set_margin_model", "set_settlement_model", "settlement_model", "shortable", "subscription_data_config",
    "subscriptions", "total_shortable_quantity", "try_get", "try_get_member", "try_invoke_member", "try_set_member",
    "update", "update_consumers_market_price", *OBJECT_MEMBERS))


class SecurityManager:
    """``self.securities``: a mapping from symbol (or ticker string) to :class:`Security`."""

    def __init__(self) -> None:
        self._items: dict[str, Security] = {}
        self._added: list[Security] = []
        #: ``get`` without its Python call (the slice's one-symbol checks)
        self.lookup = self._items.get
        self._tickers: set[str] = set()
        #: the tickers of more than one security (a reused ticker): a key may equal several symbols
        self.shared_tickers: set[str] = set()

    def register(self, security: Security) -> None:
        """The engine adds a security (LEAN never removes one from the collection)."""
        if security.symbol not in self._items:
            self._added.append(security)
            ticker = str.__str__(security.symbol)
            if ticker in self._tickers:
                self.shared_tickers.add(ticker)
            self._tickers.add(ticker)
        self._items[security.symbol] = security

    def added_since(self, count: int) -> list[Security]:
        """The securities added after the first ``count`` (in the order they were added; LEAN never
        removes a security from the collection)."""
        return self._added[count:]

    def __getitem__(self, key: str) -> Security:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"'{key}' wasn't found in the Securities collection: add it with add_equity/add_forex "
                           "first") from None

    def all_of(self, keys: list[str]) -> list[Security]:
        """``[self[key] for key in keys]`` in one C-level pass (the engine's look-ups of many orders)."""
        try:
            return list(map(self._items.__getitem__, keys))
        except KeyError:
            return [self[key] for key in keys]  # raises the message of the first key missing

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def contains_key(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str, default: Any = None) -> Security | None:
        return self._items.get(key, default)

    def __iter__(self) -> Iterator[Symbol]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[Symbol]:
        return [s.symbol for s in self._items.values()]

    def values(self) -> list[Security]:
        return list(self._items.values())

    def items(self) -> list[tuple[Symbol, Security]]:
        return [(s.symbol, s) for s in self._items.values()]

    @property
    def count(self) -> int:
        return len(self._items)


# LEAN's members of ``SecurityManager`` and its ``ExtendedDictionary`` (not ``__getattr__``: CPython specialises
# the reads on the collection)
name_lean_members(SecurityManager, "SecurityManager", (
    "contains_key", "count", "get", "items", "keys", "values"), (
    "add", "check_for_implicitly_created_symbol", "clear", "collection_changed", "contains", "copy", "copy_to",
    "create_benchmark_security", "create_security", "fromkeys", "get_items", "get_keys", "get_values",
    "is_read_only", "on_collection_changed", "pop", "popitem", "remove", "set_live_mode", "set_security_service",
    "setdefault", "total", "try_get_value", "update", "utc_time", *OBJECT_MEMBERS))
