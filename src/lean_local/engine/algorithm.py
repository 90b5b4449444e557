"""``QCAlgorithm``: LEAN's algorithm API in snake_case, backed by the local engine.

Members of LEAN's API that the runtime does not implement raise :class:`NotSupportedError`
naming the member (``__getattr__``), never a silent no-op.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data.market_hours import MarketHoursDatabase
from lean_local.engine import add_security, charting, custom_data, intraday, train
from lean_local.engine import feed as feeds
from lean_local.engine import shortable as shorting
from lean_local.engine.benchmarks import FuncBenchmark, SecurityBenchmark
from lean_local.engine.brokerages import (
    AccountType,
    BrokerageName,
    DefaultBrokerageModel,
    brokerage_model_for,
)
from lean_local.engine.common import (
    DataNormalizationMode,
    Market,
    Resolution,
    SecurityType,
    Symbol,
    not_supported,
)
from lean_local.engine.custom_universe import universe_for_type
from lean_local.engine.fees import ConstantFeeModel, InteractiveBrokersFeeModel
from lean_local.engine.globals import Globals
from lean_local.engine.initializers import run_initializer
from lean_local.engine.interest_rates import InterestRateProvider
from lean_local.engine.orders import OrderEvent, OrderTicket, OrderType
from lean_local.engine.overloads import bind_overload
from lean_local.engine.portfolio import (
    SecurityPortfolioManager,
    TransactionManager,
    target_order_quantity,
    within_moc_buffer,
)
from lean_local.engine.scheduling import DateRule, DateRules, ScheduledEvent, ScheduleManager, TimeRules
from lean_local.engine.securities import (
    Exchange,
    ExchangeHours,
    Security,
    SecurityManager,
    SymbolProperties,
    always_open_hours,
    hours_from_entry,
)
from lean_local.engine.slice import TradeBar
from lean_local.engine.universe import (
    ActiveSecurities,
    CoarseFundamental,
    Fundamental,
    FundamentalFilteredUniverse,
    FundamentalUniverse,
    SecurityChanges,
    Universe,
    UniverseDefinitions,
    UniverseManager,
    UniverseSettings,
    UserDefinedUniverse,
)
from lean_local.framework.api import FrameworkAlgorithm
from lean_local.framework.targets import PortfolioTarget
from lean_local.indicators.base import IndicatorBase
from lean_local.indicators.helpers import IndicatorHelpers

END_OF_DAY = timedelta(hours=23, minutes=59, seconds=59)


class AlgorithmSettings:
    """``self.settings`` (LEAN's defaults)."""

    def __init__(self) -> None:
        self.free_portfolio_value_percentage = 0.0025
        self.free_portfolio_value: float | None = None
        self.minimum_order_margin_portfolio_percentage = 0.001
        self.daily_precise_end_time = True
        self.liquidate_enabled = True
        self.seed_initial_prices = False
        self.warmup_resolution: Resolution | None = None
        # the algorithm framework (None: the portfolio construction model keeps its own setting)
        self.rebalance_portfolio_on_insight_changes: bool | None = None
        self.rebalance_portfolio_on_security_changes: bool | None = None
        self.max_absolute_portfolio_target_percentage = 1_000_000_000.0
        self.min_absolute_portfolio_target_percentage = 0.000_000_000_1


class Chart:
    """A user chart (LEAN ``Chart``): a name and its series."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.series: dict[str, Series] = {}

    def add_series(self, series: Series) -> None:
        self.series[series.name] = series


class SeriesType:
    LINE = 0
    SCATTER = 1
    CANDLE = 2
    BAR = 3
    FLAG = 4
    STACKED_AREA = 5
    PIE = 6
    TREEMAP = 7


class Series:
    """A chart series (LEAN ``Series``)."""

    def __init__(self, name: str, series_type: int = SeriesType.LINE, index: int = 0, unit: str = "$") -> None:
        self.name = name
        self.series_type = series_type
        self.index = index
        self.unit = unit


class QCAlgorithm(IndicatorHelpers, FrameworkAlgorithm):
    """Base class of a LEAN algorithm (indicator and consolidator API: ``IndicatorHelpers``; the
    algorithm framework: ``FrameworkAlgorithm``)."""

    def __init__(self) -> None:
        self._data_folder = Path(os.environ.get("LEAN_DATA_FOLDER", "data"))
        self._mhdb: MarketHoursDatabase | None = None
        self._hours_cache: dict[int, ExchangeHours] = {}
        self._session_closes: dict[tuple[int, datetime, datetime], np.ndarray] = {}
        self._quoted_columns: list[int] = []  # minute equities' columns: the loop counts their quote bars
        self._history_session_closes: dict[int, tuple[date, date, np.ndarray]] = {}
        self._feed = feeds.DataFeed()
        self.securities = SecurityManager()
        self.settings = AlgorithmSettings()
        self.portfolio = SecurityPortfolioManager(self.securities, self._feed, self.settings)
        self.transactions = TransactionManager(self)
        self.universe_settings = UniverseSettings()
        self.schedule = ScheduleManager(self)
        self.date_rules = DateRules(self._hours_for)
        self.time_rules = TimeRules(self._hours_for)
        self.object_store: Any = None
        self.live_mode = False
        self.start_date = datetime(1998, 1, 1)
        self.end_date = datetime.combine(date.today() - timedelta(days=1), time()) + END_OF_DAY
        self._cash_set = False
        self.portfolio.set_cash(100_000.0)
        self._parameters: dict[str, str] = {}
        self._warmup: tuple[Any, Resolution | None] | None = None
        self._run_start = self.start_date
        self._running = False
        self._initializing = False
        self._warming_up = False
        self._benchmark: Any = None  # set_benchmark's, else the brokerage model's once running
        self.brokerage_model: Any = DefaultBrokerageModel()
        self.risk_free_interest_rate_model: Any = InterestRateProvider()
        self._selection_add = False
        self._pending: list[tuple[Security, Callable[[], feeds.SubscriptionData]]] = []
        self.universe_manager = UniverseManager(self._universe_security, self._universe_data_removed,
                                                self._safe_to_remove, lambda: self.active_securities)
        self.universe = UniverseDefinitions(lambda selector, settings: FundamentalUniverse(
            self._data_folder, selector, settings or self.universe_settings))
        self._universe_symbols: set[Symbol] = set()
        self._security_initializer: Any = None
        self._removed: set[int] = set()
        self._pending_removal: set[int] = set()
        self._pending_changes: tuple[list[Security], list[Security]] = ([], [])
        self._history_cache: dict[tuple[str, int], feeds.SubscriptionData] = {}
        self.logs: list[str] = []
        self._user_charts = charting.UserCharts(self.debug)
        self.charts = self._user_charts.charts
        self.name = type(self).__name__
        self._mod_warning = False
        self.runtime_statistics: dict[str, str] = {}
        self._moo_warned = False
        self._sizing_warned = False
        self._moc_warned = False

    # ------------------------------------------------------------------------------------------
    # engine plumbing
    def _attach_engine(self, data_folder: Path, parameters: dict[str, str], object_store: Any) -> None:
        self._data_folder = Path(data_folder)
        Globals.data_folder = str(self._data_folder)
        self._parameters = {k: str(v) for k, v in parameters.items()}
        self.object_store = object_store

    @property
    def _hours_db(self) -> MarketHoursDatabase:
        if self._mhdb is None:
            self._mhdb = MarketHoursDatabase.from_data_folder(self._data_folder)
        return self._mhdb

    def _exchange_hours(self, symbol: Symbol) -> ExchangeHours:
        if symbol.security_type == SecurityType.BASE:
            return always_open_hours()
        kind = {SecurityType.EQUITY: "Equity", SecurityType.FOREX: "Forex", SecurityType.INDEX: "Index"}[
            symbol.security_type]
        entry = self._hours_db.get_entry(kind, symbol.market, symbol.value)
        # securities sharing a database entry (every [*] equity) share one hours object
        hours = self._hours_cache.get(id(entry))
        if hours is None:
            hours = self._hours_cache[id(entry)] = hours_from_entry(entry)
        return hours

    def _hours_for(self, symbol: Any) -> ExchangeHours:
        if symbol in self.securities:
            return self.securities[symbol].exchange.hours
        return self._exchange_hours(Symbol(str(symbol)))

    @property
    def time(self) -> datetime:
        """The algorithm's current time (New York)."""
        return self._feed.clock.time

    @property
    def utc_time(self) -> datetime:
        stamp = pd.Timestamp(self.time).tz_localize(feeds.NEW_YORK).tz_convert("UTC").tz_localize(None)
        return stamp.to_pydatetime()

    @property
    def is_warming_up(self) -> bool:
        return self._warming_up

    @property
    def current_slice(self) -> Any:
        return getattr(self, "_current_slice", None)

    @property
    def benchmark(self) -> Any:
        """The benchmark (an object with ``evaluate(time)``): ``set_benchmark``'s, else the brokerage
        model's ``get_benchmark`` (SPY by default), adopted after ``initialize`` as LEAN's
        ``PostInitialize`` does."""
        if self._benchmark is None and not self._initializing:
            self._benchmark = self.brokerage_model.get_benchmark(self.securities)
        if isinstance(self._benchmark, SecurityBenchmark) and self._benchmark._prices is None:
            self._benchmark._prices = self._benchmark_prices
        return self._benchmark

    def _benchmark_prices(self, symbol: Symbol) -> tuple[np.ndarray, np.ndarray]:
        """End times and closes of a security benchmark's daily bars (adjusted, as LEAN's benchmark)."""
        data, _ = self._history_data(symbol)
        return data.end_time, data.fields["close"]

    # ------------------------------------------------------------------------------------------
    # user hooks (overridden by algorithms)
    def initialize(self) -> None:
        pass

    def on_data(self, data: Any) -> None:
        pass

    def on_order_event(self, order_event: OrderEvent) -> None:
        pass

    def on_securities_changed(self, changes: SecurityChanges) -> None:
        pass

    def on_warmup_finished(self) -> None:
        pass

    def on_splits(self, splits: Any) -> None:
        pass

    def on_dividends(self, dividends: Any) -> None:
        pass

    def on_delistings(self, delistings: Any) -> None:
        pass

    def on_symbol_changed_events(self, symbols_changed: Any) -> None:
        pass

    def on_end_of_algorithm(self) -> None:
        pass

    def on_margin_call(self, requests: list[Any]) -> list[Any]:
        """Called before margin call orders are placed (:mod:`lean_local.engine.margin_calls`); the
        list returned (or ``requests`` changed in place) is what gets executed."""
        return requests

    def on_margin_call_warning(self) -> None:
        """Called when the margin remaining falls to 5% of the portfolio value or less."""

    def _dispatch_order_event(self, event: OrderEvent) -> None:
        self.on_order_event(event)

    # ------------------------------------------------------------------------------------------
    # set-up
    @staticmethod
    def _to_datetime(args: tuple) -> datetime:
        if len(args) == 1:
            value = args[0]
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime.combine(value, time())
            return pd.Timestamp(value).to_pydatetime()
        return datetime(int(args[0]), int(args[1]), int(args[2]))

    @staticmethod
    def _date_argument(method: str, args: tuple, kwargs: dict[str, Any], name: str) -> datetime:
        """``(year, month, day)`` or one date (``start``/``end``), positional or by keyword."""
        def by_parts(year: int, month: int, day: int) -> None: ...
        def by_date(**_: Any) -> None: ...
        by_date.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)])
        _, values = bind_overload(method, args, kwargs, by_parts, by_date)
        if name in values:
            return QCAlgorithm._to_datetime((values[name],))
        return datetime(int(values["year"]), int(values["month"]), int(values["day"]))

    def set_start_date(self, *args: Any, **kwargs: Any) -> None:
        """``set_start_date(year, month, day)`` or ``set_start_date(start)``."""
        self._require_initializing("set_start_date")
        start = self._date_argument("set_start_date", args, kwargs, "start")
        self.start_date = datetime.combine(start.date(), time())
        self._feed.clock.time = self.start_date

    def set_end_date(self, *args: Any, **kwargs: Any) -> None:
        """``set_end_date(year, month, day)`` or ``set_end_date(end)``."""
        self._require_initializing("set_end_date")
        end = self._date_argument("set_end_date", args, kwargs, "end")
        self.end_date = datetime.combine(end.date(), time()) + END_OF_DAY

    def set_cash(self, *args: Any, **kwargs: Any) -> None:
        """``set_cash(starting_cash)`` or ``set_cash(symbol, starting_cash, conversion_rate=0)``."""
        def account(starting_cash: float) -> None: ...
        def currency(symbol: str, starting_cash: float, conversion_rate: float = 0) -> None: ...
        overload, values = bind_overload("set_cash", args, kwargs, account, currency)
        if overload is account:
            self.portfolio.set_cash(float(values["starting_cash"]))
        else:
            code = str(values["symbol"]).upper()
            rate = float(values["conversion_rate"]) or (1.0 if code == "USD" else 0.0)
            self.portfolio.set_cash(float(values["starting_cash"]), code, rate)
        self._cash_set = True

    def set_account_currency(self, account_currency: str, starting_cash: float | None = None) -> None:
        if account_currency.upper() != "USD":
            raise not_supported("QCAlgorithm", "set_account_currency (only USD accounts)")

    def set_time_zone(self, time_zone: Any) -> None:
        if str(time_zone) not in ("America/New_York", "TimeZones.NEW_YORK"):
            raise not_supported("QCAlgorithm", "set_time_zone (the runtime runs in New York time)")

    def set_warm_up(self, *args: Any, **kwargs: Any) -> None:
        """``set_warm_up(time_span, resolution=None)`` or ``set_warm_up(bar_count, resolution=None)``."""
        def span(time_span: timedelta, resolution: Resolution | None = None) -> None: ...
        def count(bar_count: int, resolution: Resolution | None = None) -> None: ...
        _, values = bind_overload("set_warm_up", args, kwargs, span, count)
        self._require_initializing("set_warm_up")
        self._warmup = (values.get("time_span", values.get("bar_count")), values["resolution"])

    set_warmup = set_warm_up

    def set_benchmark(self, benchmark: Any) -> None:
        """``set_benchmark(ticker | symbol)`` or ``set_benchmark(function of the time)``."""
        if self._running:
            raise RuntimeError("Benchmark can't be changed after algorithm initialized.")
        if callable(benchmark) and not isinstance(benchmark, str):
            self._benchmark = FuncBenchmark(benchmark)
            return
        symbol = benchmark if isinstance(benchmark, Symbol) else self.symbol(str(benchmark))
        self._benchmark = SecurityBenchmark(symbol)

    def set_brokerage_model(self, brokerage: Any, account_type: Any = AccountType.MARGIN) -> None:
        """A brokerage model object (``DefaultBrokerageModel`` or a subclass), or a ``BrokerageName``.

        Securities added before keep their leverage and take the model's other models, as in LEAN.
        """
        if hasattr(brokerage, "can_submit_order"):
            self.brokerage_model = brokerage
        else:
            self.brokerage_model = brokerage_model_for(brokerage, account_type)
        for security in self.securities.values():
            self._apply_brokerage(security, keep_leverage=True)

    def _apply_brokerage(self, security: Security, keep_leverage: bool = False) -> None:
        """LEAN's ``BrokerageModelSecurityInitializer``: the model's fee, slippage and shortable models
        and leverage (``keep_leverage``: the security's own, set by ``add_*(leverage=...)``)."""
        model = self.brokerage_model
        leverage = security.leverage
        security.set_fee_model(model.get_fee_model(security))
        security.set_slippage_model(model.get_slippage_model(security))
        security.set_shortable_provider(model.get_shortable_provider(security))
        security.set_leverage(leverage if keep_leverage else model.get_leverage(security))

    def set_risk_free_interest_rate_model(self, model: Any) -> None:
        """The model the statistics take the risk-free rate from (any object with ``get_interest_rate(date)``)."""
        self.risk_free_interest_rate_model = model

    def shortable(self, symbol: Any, short_quantity: float | None = None, update_order_id: int | None = None) -> bool:
        """``QCAlgorithm.Shortable``: can ``short_quantity`` (0 when omitted) more shares be shorted?"""
        security = self.securities[symbol]
        return shorting.is_shortable(security, short_quantity or 0.0,
                                     lambda: self.transactions.open_quantity(security.symbol, update_order_id))

    def shortable_quantity(self, symbol: Any) -> int:
        """``QCAlgorithm.ShortableQuantity``: the provider's quantity now, 0 when it sets no limit."""
        return shorting.shortable_quantity(self.securities[symbol])

    def get_parameter(self, name: str, default_value: Any = None) -> Any:
        """A ``config.json`` parameter as a string, or ``default_value`` converted to its type."""
        value = self._parameters.get(name)
        if value is None:
            return default_value
        if default_value is None or isinstance(default_value, str):
            return value
        if isinstance(default_value, bool):
            return value.strip().lower() in ("1", "true", "yes")
        if isinstance(default_value, int):
            return int(float(value))
        if isinstance(default_value, float):
            return float(value)
        return value

    def _require_initializing(self, name: str) -> None:
        if self._running:
            raise RuntimeError(f"{name} can only be called in initialize()")

    # ------------------------------------------------------------------------------------------
    # securities
    def _check_resolution(self, resolution: Resolution | None, what: str, intraday_ok: bool = False) -> Resolution:
        if resolution is None:  # LEAN's DataManager.Add: the universe settings' resolution
            resolution = self.universe_settings.resolution
        if resolution != Resolution.DAILY and not (intraday_ok and intraday.is_intraday(resolution)):
            supported = "daily, and minute or hour for US equities" if not intraday_ok else "daily, hour and minute"
            raise not_supported("QCAlgorithm", f"{what} with resolution {getattr(resolution, 'name', resolution)} "
                                               f"(lean_local runs {supported} data)")
        return resolution

    def add_equity(self, ticker: str, resolution: Resolution | None = None, market: str = Market.USA,
                   fill_forward: bool = True, leverage: float = 0, extended_market_hours: bool = False,
                   data_normalization_mode: DataNormalizationMode | None = None) -> Security:
        resolution = self._check_resolution(resolution, "add_equity", intraday_ok=True)
        if str(market).lower() != Market.USA:  # the feed reads equity/usa only
            raise not_supported("QCAlgorithm", f"add_equity in market {market!r} (US equities only)")
        if extended_market_hours and resolution != Resolution.DAILY:
            raise not_supported("QCAlgorithm", "add_equity(extended_market_hours=True) (regular hours only)")
        symbol = Symbol(ticker, SecurityType.EQUITY, market)
        if symbol in self.securities:
            return self._existing(symbol)
        mode = DataNormalizationMode.ADJUSTED if data_normalization_mode is None else data_normalization_mode
        if mode not in (DataNormalizationMode.ADJUSTED, DataNormalizationMode.RAW):
            raise not_supported("add_equity", f"data_normalization_mode={mode.name}")
        hours = self._exchange_hours(symbol)
        security = self._new_security(symbol, hours, SymbolProperties(), resolution, mode, leverage)

        # LEAN says nothing of a universe member without data; a missing file of a security the
        # algorithm asked for by name deserves a warning
        by_name = not self._selection_add

        def load() -> feeds.SubscriptionData:
            if intraday.is_intraday(resolution):
                return intraday.load_equity_intraday(self._data_folder, symbol, security.data_normalization_mode, hours,
                                                     resolution, self._run_start, self.end_date, warn_missing=by_name)
            return feeds.load_equity(self._data_folder, symbol, security.data_normalization_mode, hours.session_times,
                                     hours.key, warn_missing=by_name)

        security._fill_forward = fill_forward
        self._subscribe(security, load)
        return security

    def add_security(self, *args: Any, **kwargs: Any) -> Security:
        """LEAN's ``add_security`` overloads (:mod:`lean_local.engine.add_security`)."""
        return add_security.add_security(self, *args, **kwargs)

    def train(self, *args: Any, **kwargs: Any) -> ScheduledEvent:
        """LEAN's training events (:mod:`lean_local.engine.train`)."""
        return train.train(self, *args, **kwargs)

    def add_forex(self, ticker: str, resolution: Resolution | None = None, market: str = Market.OANDA,
                  fill_forward: bool = True, leverage: float = 0) -> Security:
        resolution = self._check_resolution(resolution, "add_forex")
        symbol = Symbol(ticker, SecurityType.FOREX, market)
        if symbol in self.securities:
            return self._existing(symbol)
        pair = symbol.value
        if len(pair) != 6:
            raise ValueError(f"add_forex: {ticker} is not a 6-letter currency pair")
        base, quote = pair[:3], pair[3:]
        properties = SymbolProperties(lot_size=1.0, minimum_price_variation=0.001 if quote == "JPY" else 0.00001,
                                      quote_currency=quote)
        security = self._new_security(symbol, self._exchange_hours(symbol), properties, resolution,
                                      DataNormalizationMode.RAW, leverage)
        security.base_currency = self.portfolio.cash_book.ensure(base)
        security._fill_forward = False
        self._subscribe(security, lambda: feeds.load_forex(self._data_folder, symbol))
        return security

    def add_index(self, ticker: str, resolution: Resolution | None = None, market: str = Market.USA,
                  fill_forward: bool = True) -> Security:
        resolution = self._check_resolution(resolution, "add_index")
        symbol = Symbol(ticker, SecurityType.INDEX, market)
        if symbol in self.securities:
            return self._existing(symbol)
        hours = self._exchange_hours(symbol)
        security = self._new_security(symbol, hours, SymbolProperties(), resolution, DataNormalizationMode.RAW, 0)
        security._fill_forward = False
        self._subscribe(security, lambda: feeds.load_index(self._data_folder, symbol, hours.session_times))
        return security

    def add_data(self, data_type: Any, ticker: Any, resolution: Resolution | None = None,
                 time_zone: Any = None, fill_forward: bool = False, leverage: float = 1.0) -> Security:
        """Subscribe a custom data type (a ``PythonData`` subclass, or ``CBOE``) as a BASE security
        named ``ticker``, read through its ``get_source``/``reader`` (``engine/custom_data.py``)."""
        if time_zone is not None and str(time_zone) not in ("America/New_York", "TimeZones.NEW_YORK"):
            raise not_supported("QCAlgorithm", f"add_data(..., time_zone={time_zone}) (custom data is read in "
                                               "New York time)")
        symbol = ticker if isinstance(ticker, Symbol) else custom_data.custom_symbol(data_type, str(ticker))
        if symbol in self.securities:
            return self._existing(symbol)
        security = self._new_security(symbol, always_open_hours(), SymbolProperties(), Resolution.DAILY,
                                      DataNormalizationMode.RAW, leverage)
        security._fill_forward = fill_forward
        self._subscribe(security, custom_data.subscription_loader(
            self._data_folder, data_type, symbol, resolution, fill_forward,
            lambda: (self.time if self._running else self._run_start, self.end_date)))
        return security

    def _existing(self, symbol: Symbol) -> Security:
        security = self.securities[symbol]
        if security.type != symbol.security_type:
            raise not_supported("QCAlgorithm", f"two securities with the ticker {symbol.value} "
                                               f"({security.type.name} and {symbol.security_type.name}): "
                                               "the runtime keys securities by ticker")
        return security

    def _new_security(self, symbol: Symbol, hours: ExchangeHours, properties: SymbolProperties,
                      resolution: Resolution, mode: DataNormalizationMode, leverage: float) -> Security:
        column = len(self._feed.subs) + len(self._pending)
        quote = self.portfolio.cash_book.ensure(properties.quote_currency)
        security = Security(symbol, column, self._feed, Exchange(hours, self._feed.clock), properties, quote,
                            self.portfolio, resolution, mode, leverage if leverage and leverage > 0 else None)
        self.securities._add(security)
        self.portfolio._register(security)
        self._apply_brokerage(security, keep_leverage=bool(leverage and leverage > 0))
        return security

    def _subscribe(self, security: Security, loader: Callable[[], feeds.SubscriptionData]) -> None:
        security._loader = loader
        if self._running:
            self._activate(security, loader(), int(pd.Timestamp(self.time).value))
        else:
            self._pending.append((security, loader))
        if self._security_initializer is not None:
            run_initializer(self._security_initializer, security)

    def set_security_initializer(self, initializer: Any) -> None:
        """Run ``initializer`` (an object with ``initialize(security)`` or a function) on every
        security added from now on, universes' included (LEAN ``SetSecurityInitializer``)."""
        self._require_initializing("set_security_initializer")
        self._security_initializer = initializer

    def get_last_known_prices(self, security: Any) -> list[Any]:
        """The last bar of the security's history (LEAN reads the last 5 bars, ``seed-lookback-period``,
        and returns the newest of each data type): ``[]`` without one."""
        symbol = security.symbol if isinstance(security, Security) else security
        frame = self.history([symbol], 5, Resolution.DAILY)
        if frame.empty:
            return []
        (_, end_time), row = frame.index[-1], frame.iloc[-1]
        return [TradeBar(end_time - timedelta(days=1), symbol, row["open"], row["high"], row["low"], row["close"],
                         row.get("volume", 0.0))]

    def get_last_known_price(self, security: Any) -> Any:
        """The newest of :meth:`get_last_known_prices` (LEAN's obsolete ``GetLastKnownPrice``), or None."""
        prices = self.get_last_known_prices(security)
        return prices[-1] if prices else None

    def _activate(self, security: Security, data: feeds.SubscriptionData, visible_from: int) -> None:
        if intraday.is_intraday(security.resolution):
            security._quoted = data.quotes is not None
            if security._quoted:
                self._quoted_columns.append(security._column)
            intraday.set_emission_times(data, security.exchange.hours, security.resolution,
                                        getattr(security, "_fill_forward", False), self._run_start, self.end_date)
            self._add_column(security, data, visible_from)
            return
        closes = None
        if getattr(security, "_fill_forward", False):
            hours = security.exchange.hours
            key = (id(hours), self._run_start, self.end_date)
            closes = self._session_closes.get(key)
            if closes is None:
                days = hours.trading_days(self._run_start.date(), self.end_date.date())
                closes = hours.session_times(days)[1] if len(days) else np.empty(0, dtype=np.int64)
                self._session_closes[key] = closes
        data.emit_times = feeds.emission_times(data, closes, int(pd.Timestamp(self.end_date).value))
        self._add_column(security, data, visible_from)

    def _add_column(self, security: Security, data: feeds.SubscriptionData, visible_from: int) -> None:
        column = self._feed.add(data, visible_from, self._selection_add)
        if column != security._column:
            raise RuntimeError(f"feed column mismatch for {security.symbol}: {column} != {security._column}")

    def remove_security(self, symbol: str) -> bool:
        security = self.securities.get(symbol)
        if security is None:
            return False
        self.transactions.cancel_open_orders(symbol)
        if security.invested:
            self.liquidate(symbol, tag="Removed security")
        self._pending_removal.add(security._column)
        self._remove_flat()
        return True

    def _remove_flat(self) -> None:
        """Drop the data of securities pending removal once they hold nothing and have no open order."""
        for column in list(self._pending_removal):
            security = self.portfolio._by_column[column]
            if security.invested or self.transactions.get_open_orders(security.symbol):
                continue
            self._pending_removal.discard(column)
            if self._running:
                self._feed.remove(column)
                self._removed.add(column)
            else:
                self._feed.panel.visible_from[column] = int(pd.Timestamp.max.value)

    @property
    def _universes(self) -> list[FundamentalUniverse | UserDefinedUniverse]:
        return self.universe_manager.universes

    def add_universe(self, *args: Any) -> FundamentalUniverse | UserDefinedUniverse:
        """``add_universe(selector)``, ``add_universe(coarse, fine)``, ``add_universe(date_rule, selector)``,
        ``add_universe(universe)`` (``FundamentalUniverse.usa(...)``, ``self.universe.top(n)``)
        (``QCAlgorithm.Universe.cs``; a date rule selects on a copy of ``universe_settings`` scheduled on it)."""
        universe: FundamentalUniverse | UserDefinedUniverse
        if len(args) == 1 and isinstance(args[0], Universe):
            universe = args[0]
        elif len(args) > 1 and isinstance(args[0], type):
            universe = universe_for_type(args, self._data_folder)  # add_universe(DataType, name, ...)
        elif len(args) in (2, 3) and isinstance(args[0], str) and callable(args[-1]):
            if len(args) == 3 and args[1] != Resolution.DAILY:
                raise not_supported("QCAlgorithm", f"add_universe(name, {getattr(args[1], 'name', args[1])}, selector) "
                                                   "(user-defined universes select daily)")
            universe = UserDefinedUniverse(args[0], args[-1], self.universe_settings)
        elif len(args) == 1 and args[0] in (Fundamental, CoarseFundamental):
            # a universe of the data type without a selector selects every row (AddUniverse(Type))
            universe = FundamentalUniverse(self._data_folder, lambda rows: [row.symbol for row in rows],
                                           self.universe_settings)
        elif len(args) == 1 and callable(args[0]) and not isinstance(args[0], type):
            universe = FundamentalUniverse(self._data_folder, args[0], self.universe_settings)
        elif len(args) == 2 and isinstance(args[0], DateRule) and callable(args[1]):
            settings = UniverseSettings(self.universe_settings)
            settings.schedule.on(args[0])
            universe = FundamentalUniverse(self._data_folder, args[1], settings)
        elif len(args) == 2 and callable(args[0]) and callable(args[1]) and not isinstance(args[0], type):
            self.debug("Warning: AddUniverse(coarseSelector, fineSelector) is obsolete, please use "
                       "AddUniverse(Func<IEnumerable<Fundamental>, IEnumerable<Symbol>> selector) instead.")
            universe = FundamentalFilteredUniverse(self._data_folder, args[0], args[1], self.universe_settings)
        else:
            raise not_supported("QCAlgorithm", "add_universe with this signature (a selection function, coarse and "
                                               "fine functions, a date rule and a function, or a universe)")
        universe.data_folder = self._data_folder
        universe.known_symbol = self._equity_of_map_file
        if universe._default_settings:
            universe.universe_settings = self.universe_settings
        self.universe_manager.universes.append(universe)
        return universe

    @property
    def active_securities(self) -> ActiveSecurities:
        """The securities with a live subscription: not removed (by a universe or ``remove_security``)
        and not delisted."""
        feed = self._feed
        return ActiveSecurities((s.symbol, s) for s in self.securities.values()
                                if s._column not in self._removed and not feed.is_delisted(s._column))

    def _equity_of_map_file(self, map_file: Any) -> Symbol | None:
        """The symbol of an equity the algorithm has whose ticker resolves to ``map_file``, if any."""
        resolver = feeds.map_file_resolver(self._data_folder)
        for symbol in self.securities.keys():
            if symbol.security_type == SecurityType.EQUITY and resolver.resolve(symbol.value) is map_file:
                return symbol
        return None

    def _universe_security(self, symbol: Symbol, settings: UniverseSettings) -> tuple[Security, bool]:
        """The security of a selected symbol and whether its subscription is new (LEAN reports only those)."""
        existing = symbol in self.securities
        # LEAN subscribes during the selection: data ending at its frontier reaches this step's slice
        self._selection_add = True
        try:
            if symbol.security_type == SecurityType.BASE:  # a custom data symbol (Symbol.create_base)
                security = self.add_data(custom_data.type_of(symbol), symbol, settings.resolution,
                                         fill_forward=settings.fill_forward)
            else:
                security = self.add_equity(symbol.value, self._check_resolution(settings.resolution,
                                                                                "universe_settings", True),
                                           fill_forward=settings.fill_forward,
                                           leverage=0 if np.isnan(settings.leverage) else settings.leverage,
                                           data_normalization_mode=settings.data_normalization_mode)
        finally:
            self._selection_add = False
        new = not existing
        if existing and security._column in self._removed:
            self._removed.discard(security._column)
            self._feed.reattach(security._column, from_current=True)
            new = True
            if self._security_initializer is not None:  # LEAN creates the security anew
                run_initializer(self._security_initializer, security)
        if new:
            self._universe_symbols.add(security.symbol)
        return security, new

    def _universe_data_removed(self, security: Security) -> None:
        """A security left every universe: stop its data unless ``add_equity`` subscribed it."""
        if security.symbol in self._universe_symbols:
            self._universe_symbols.discard(security.symbol)
            self._feed.remove(security._column, drop_current=True)
            self._removed.add(security._column)

    def _safe_to_remove(self, security: Security) -> bool:
        return not security.invested and not self.transactions.get_open_orders(security.symbol)

    def _run_selection(self, universe: FundamentalUniverse | UserDefinedUniverse, day: date) -> int:
        """Select with the selection data of ``day`` at the current time; returns its data points."""
        rows = universe.rows_for_day(day)
        if self.time > self.end_date:
            return universe.data_points(rows)  # UniverseSelection.ApplyUniverseSelection: no selection after the end
        result = universe.perform_selection(universe.select_symbols(self.time, rows, self.debug))
        added, removed = self.universe_manager.apply(universe, result, self.time)
        if added or removed:
            self._pending_changes = (self._pending_changes[0] + added, self._pending_changes[1] + removed)
        return universe.data_points(rows)

    def symbol(self, ticker: str) -> Symbol:
        for symbol in self.securities.keys():
            if symbol.value == ticker.upper():
                return symbol
        return Symbol(ticker)

    def is_market_open(self, symbol: str) -> bool:
        return self.securities[symbol].exchange.exchange_open

    # ------------------------------------------------------------------------------------------
    # logging and charts
    def _log(self, level: str, message: Any) -> None:
        self.logs.append(f"{self.time:%Y-%m-%d %H:%M:%S} {level}{message}")

    def debug(self, message: Any) -> None:
        self._log("", message)

    def log(self, message: Any) -> None:
        self._log("", message)

    def error(self, message: Any) -> None:
        self._log("ERROR:: ", message)

    def quit(self, message: str = "") -> None:
        self._log("", f"Quit: {message}")
        self._quit = True

    def plot(self, chart: str, series: Any, value: Any = None, *indicators: Any) -> None:
        """``plot(chart, series, value)``, ``plot(series, value)`` to "Strategy Equity", or
        ``plot(chart, *indicators)``; LEAN's reserved names raise and its chart limits apply
        (:mod:`lean_local.engine.charting`)."""
        if isinstance(series, IndicatorBase):  # plot(chart, *indicators): one series per indicator name
            for indicator in (series, value, *indicators):
                if indicator is not None:
                    self.plot(chart, indicator.name, indicator.current.value)
            return
        if value is None:
            chart, series, value = charting.STRATEGY_EQUITY, chart, series
        name = series.name if isinstance(series, Series) else str(series)
        number = float(value)
        if not math.isfinite(number):  # LEAN's SafeDecimalCast (chart values are decimals)
            shown = "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
            raise ValueError(f"It is not possible to cast a non-finite floating-point value ({shown}) as decimal. "
                             "Please review math operations and verify the result is valid.")
        self._user_charts.plot(str(chart), name, self.time, number)

    def add_chart(self, chart: Chart) -> None:
        self._user_charts.add_chart(chart.name, list(chart.series))

    def set_runtime_statistic(self, name: str, value: Any) -> None:
        self.runtime_statistics[str(name)] = str(value)

    # ------------------------------------------------------------------------------------------
    # orders
    def _security_for_order(self, symbol: Any) -> Security:
        if symbol not in self.securities:
            raise KeyError(f"{symbol} not found in the securities: add it with add_equity/add_forex first")
        return self.securities[symbol]

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
        security = self._security_for_order(symbol)
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
            sized = []
            for target in targets:
                security = self._security_for_order(target.symbol)
                quantity = self.calculate_order_quantity(security.symbol, target.quantity)
                lot = security.symbol_properties.lot_size
                if not security.has_data or not security.is_tradable or abs(quantity) < lot:
                    continue
                existing = security.holdings.quantity + self.transactions.get_open_orders_remaining_quantity(
                    security.symbol)
                reducing = existing != 0 and abs(quantity + existing) < abs(existing)
                sized.append((not reducing, -abs(quantity * security.price), security.symbol, quantity))
            sized.sort(key=lambda x: (x[0], x[1]))
            for _, _, sym, quantity in sized:
                tickets += self._set_holdings_impl(sym, quantity, tag)
            return tickets
        if percentage is None:
            raise TypeError("set_holdings(symbol, percentage) needs a percentage")
        security = self._security_for_order(symbol)
        quantity = self.calculate_order_quantity(security.symbol, float(percentage))
        tickets = []
        if liquidate_existing_holdings:
            tickets += self.liquidate([s for s in sorted(self.portfolio.keys()) if s != security.symbol], tag=tag)
        return tickets + self._set_holdings_impl(security.symbol, quantity, tag)

    def _set_holdings_impl(self, symbol: Symbol, order_quantity: float, tag: str) -> list[OrderTicket]:
        pending = sum(t.quantity_remaining for t in self.transactions.get_open_order_tickets(symbol)
                      if t.order_type in (OrderType.MARKET, OrderType.MARKET_ON_OPEN))
        quantity = order_quantity - pending
        if abs(quantity) <= 0:
            return []
        security = self.securities[symbol]
        if security.exchange.exchange_open:
            return [self.market_order(symbol, quantity, tag=tag)]
        return [self.market_on_open_order(symbol, quantity, tag=tag)]

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

    # ------------------------------------------------------------------------------------------
    # history
    def _history_data(self, symbol: Symbol, resolution: Resolution | None = None
                      ) -> tuple[feeds.SubscriptionData, Security | None]:
        security = self.securities.get(symbol)
        if security is not None and intraday.is_intraday(security.resolution):
            if resolution != Resolution.DAILY:
                raise not_supported("QCAlgorithm.history", f"{security.resolution.name} resolution (the history of "
                                                           "an intraday security: pass Resolution.DAILY)")
            key = (f"{symbol}|daily", int(security.data_normalization_mode))
            if key not in self._history_cache:
                self._history_cache[key] = feeds.load_equity(
                    self._data_folder, symbol, security.data_normalization_mode,
                    security.exchange.hours.session_times)
            return self._history_cache[key], security
        if security is not None and self._running:
            return self._feed.subs[security._column], security
        if security is not None:
            key = (str(symbol), int(security.data_normalization_mode))
            if key not in self._history_cache:
                self._history_cache[key] = security._loader()
            return self._history_cache[key], security
        key = (str(symbol), int(DataNormalizationMode.ADJUSTED))
        if key not in self._history_cache:
            hours = self._exchange_hours(Symbol(str(symbol)))
            self._history_cache[key] = feeds.load_equity(self._data_folder, Symbol(str(symbol)),
                                                         DataNormalizationMode.ADJUSTED, hours.session_times)
        return self._history_cache[key], None

    def _history_sessions(self, symbol: Symbol, security: Security | None,
                          data: feeds.SubscriptionData) -> np.ndarray | None:
        """Session closes (int64 ns) a history of ``data`` fills forward over; None when it does not
        fill forward (LEAN fills history forward like the subscription: trade bars here)."""
        if data.kind != "trade" or not data.fill_forward or (security is not None and not security._fill_forward):
            return None
        hours = security.exchange.hours if security is not None else self._exchange_hours(symbol)
        first = pd.Timestamp(int(data.end_time[0])).date()
        last = max(self.end_date, self.time).date()
        cached = self._history_session_closes.get(id(hours))
        if cached is None or first < cached[0] or last > cached[1]:
            if cached is not None:
                first, last = min(first, cached[0]), max(last, cached[1])
            days = hours.trading_days(first, last)
            closes = hours.session_times(days)[1] if len(days) else np.empty(0, dtype=np.int64)
            cached = self._history_session_closes[id(hours)] = (first, last, closes)
        return cached[2]

    def history(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """``history(symbols, periods | timedelta | start, [end], resolution)`` as LEAN's DataFrame.

        Index ``(symbol, time)`` with ``time`` the bar's end time; only bars that ended at or before
        the current time. Trade bars fill forward over sessions without a bar (volume 0), as LEAN's
        history does (:func:`lean_local.engine.feed.history_rows`). Trade bars: ``open, high, low, close, volume``; forex quote bars: LEAN's
        ``askclose .. bidsize`` columns and the bid/ask midpoints ``close, high, low, open``.
        """
        if args and isinstance(args[0], type):
            args = args[1:]
        if not args:
            raise TypeError("history needs symbols")
        symbols_arg = args[0]
        rest = list(args[1:])
        resolution = kwargs.get("resolution")
        if rest and isinstance(rest[-1], Resolution):
            resolution = rest.pop()
        if resolution not in (None, Resolution.DAILY):
            raise not_supported("QCAlgorithm.history", f"resolution {resolution.name} (daily data only)")
        if isinstance(symbols_arg, str):
            symbols = [symbols_arg]
        else:
            symbols = list(symbols_arg)
        now_ns = int(pd.Timestamp(self.time).value)
        periods = start_ns = None
        end_ns = now_ns
        if rest and isinstance(rest[0], int | np.integer):
            periods = int(rest[0])
        elif rest and isinstance(rest[0], timedelta):
            start_ns = int(pd.Timestamp(self.time - rest[0]).value)
        elif rest:
            start_ns = int(pd.Timestamp(rest[0]).value)
            if len(rest) > 1 and rest[1] is not None:
                end_ns = min(now_ns, int(pd.Timestamp(rest[1]).value))
        parts: list[tuple[Symbol, pd.DatetimeIndex, dict[str, np.ndarray]]] = []
        for sym in symbols:
            data, security = self._history_data(sym if isinstance(sym, Symbol) else self.symbol(str(sym)), resolution)
            if len(data) == 0:
                continue
            symbol_obj = security.symbol if security is not None else Symbol(str(sym))
            rows, end_times = feeds.history_rows(data, self._history_sessions(symbol_obj, security, data), end_ns,
                                                 periods, start_ns)
            if not len(rows):
                continue
            times = pd.DatetimeIndex(end_times)
            if data.kind == "quote":
                f = data.fields
                columns = {}
                for side in ("ask", "bid"):
                    for part in ("close", "high", "low", "open"):
                        columns[f"{side}{part}"] = f[f"{side}_{part}"][rows]
                    columns[f"{side}size"] = f[f"{side}_size"][rows]
                for part in ("close", "high", "low", "open"):
                    columns[part] = f[part][rows]
            else:
                columns = {name: data.fields[name][rows] for name in ("open", "high", "low", "close", "volume")}
                # fill-forward rows have no volume, as LEAN's fill-forward bars
                columns["volume"] = np.where(data.end_time[rows] == end_times, columns["volume"], 0.0)
                if data.kind == "custom":
                    columns = {name: data.fields[name][rows] for name in ("open", "high", "low", "close", "value")}
            parts.append((symbol_obj, times, columns))
        return _history_frame(parts)

    # ------------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        raise not_supported("QCAlgorithm", name)


def _history_frame(parts: list[tuple[Symbol, pd.DatetimeIndex, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """One ``(symbol, time)``-indexed frame of every symbol's ``(symbol, times, columns)``, in order.

    Symbols with the same columns are joined array by array under one index (a MultiIndex per symbol,
    then a concat, cost most of a large universe's warm-up); mixed kinds (trade, quote, custom) are
    concatenated as frames, their columns united.
    """
    if not parts:
        return pd.DataFrame()
    names = list(parts[0][2])
    if any(list(columns) != names for _, _, columns in parts):
        return pd.concat([pd.DataFrame(columns, index=pd.MultiIndex.from_arrays(
            [[symbol] * len(times), times], names=["symbol", "time"])) for symbol, times, columns in parts])
    symbols = np.empty(len(parts), dtype=object)
    symbols[:] = [symbol for symbol, _, _ in parts]
    index = pd.MultiIndex.from_arrays(
        [np.repeat(symbols, [len(times) for _, times, _ in parts]),
         pd.DatetimeIndex(np.concatenate([times.asi8 for _, times, _ in parts]).view("datetime64[ns]"))],
        names=["symbol", "time"])
    return pd.DataFrame({name: np.concatenate([columns[name] for _, _, columns in parts]) for name in names},
                        index=index)


__all__ = [
    "AccountType", "AlgorithmSettings", "BrokerageName", "Chart", "ConstantFeeModel", "InteractiveBrokersFeeModel",
    "PortfolioTarget", "QCAlgorithm", "Series", "SeriesType",
]

