"""``QCAlgorithm``: LEAN's algorithm API in snake_case, backed by the local engine.

Members of LEAN's API that the runtime does not implement raise :class:`NotSupportedError`
naming the member (a :class:`~lean_local.engine.lean_members.NotSupportedMember` each, not ``__getattr__``,
so CPython specialises the attribute reads on the algorithm), never a silent no-op; a name LEAN lacks raises
Python's ``AttributeError``, as pythonnet does.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data.market_hours import MarketHoursDatabase
from lean_local.data.market_hours.database import read_entry_texts
from lean_local.engine import algorithm_members, charting, identifiers
from lean_local.engine import feed as feeds
from lean_local.engine import shortable as shorting
from lean_local.engine.benchmarks import FuncBenchmark, SecurityBenchmark
from lean_local.engine.brokerages import AccountType, DefaultBrokerageModel, brokerage_model_for
from lean_local.engine.charting import Chart, Series
from lean_local.engine.common import Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.daily_readers import map_file_resolver
from lean_local.engine.exchange_hours import ExchangeHours, always_open_hours, hours_from_entry
from lean_local.engine.fundamental_universe import FundamentalUniverse
from lean_local.engine.globals import Globals
from lean_local.engine.history_api import HistoryApi
from lean_local.engine.interest_rates import InterestRateProvider
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members
from lean_local.engine.orders import OrderEvent
from lean_local.engine.orders_api import OrdersApi
from lean_local.engine.overloads import bind_overload
from lean_local.engine.parsed_cache import cached_value
from lean_local.engine.portfolio import SecurityPortfolioManager, TransactionManager
from lean_local.engine.run_context import RunContext
from lean_local.engine.scheduling import DateRules, ScheduleManager, TimeRules
from lean_local.engine.securities import Security, SecurityManager
from lean_local.engine.subscription_data import NEW_YORK, SubscriptionData
from lean_local.engine.subscriptions_api import SubscriptionsApi
from lean_local.engine.universe import SecurityChanges, UniverseManager, UniverseSettings
from lean_local.engine.universe_api import UniverseApi
from lean_local.engine.universe_definitions import UniverseDefinitions
from lean_local.framework.api import FrameworkAlgorithm
from lean_local.indicators.base import IndicatorBase
from lean_local.indicators.helpers import IndicatorHelpers

END_OF_DAY = timedelta(hours=23, minutes=59, seconds=59)
#: The market-hours database's security type of a symbol's (made once: every security added asks)
_HOURS_KINDS = {SecurityType.EQUITY: "Equity", SecurityType.FOREX: "Forex", SecurityType.INDEX: "Index",
                SecurityType.INDEX_OPTION: "IndexOption"}


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


class QCAlgorithm(SubscriptionsApi, UniverseApi, OrdersApi, HistoryApi, IndicatorHelpers, FrameworkAlgorithm):
    """Base class of a LEAN algorithm: its state, set-up, hooks, logging and charts here; securities
    and their subscriptions (``SubscriptionsApi``), universes (``UniverseApi``), orders
    (``OrdersApi``), history (``HistoryApi``), indicators and consolidators (``IndicatorHelpers``) and
    the algorithm framework (``FrameworkAlgorithm``) from the mixins."""

    def __init__(self) -> None:
        self._mhdb: MarketHoursDatabase | None = None
        self._hours_cache: dict[int, ExchangeHours] = {}
        # the regular sessions' closes, or bar ends of a fill-forward period, keyed by (hours, run, period)
        self._session_closes: dict[tuple[int, datetime, datetime, int | None], np.ndarray] = {}
        #: id(hours) -> (first midnight covered, int64 ns; last date covered; session closes)
        self._history_session_closes: dict[int, tuple[int, date, np.ndarray]] = {}
        self._feed = feeds.DataFeed()
        self._run = RunContext(
            self._feed, Path(os.environ.get("LEAN_DATA_FOLDER", "data")), exchange_hours=self._exchange_hours,
            universes=lambda: self.universe_manager.universes, activate=self._activate,
            run_selection=self._run_selection, end_empty_streams=self._end_empty_streams,
            remove_flat=self._remove_flat, update_consolidators=self._update_consolidators,
            framework_for_run=self._framework_for_run)
        self.securities = SecurityManager()
        self.settings = AlgorithmSettings()
        self.portfolio = SecurityPortfolioManager(self.securities, self._feed, self.settings)
        self.transactions = TransactionManager(self, self._handles_order_events)
        self.universe_settings = UniverseSettings()
        self.schedule = ScheduleManager(self, self._run)
        self.date_rules = DateRules(self._hours_for)
        self.time_rules = TimeRules(self._hours_for)
        self.object_store: Any = None
        self.live_mode = False
        self.start_date = datetime(1998, 1, 1)
        self.end_date = datetime.combine(date.today() - timedelta(days=1), time()) + END_OF_DAY
        self._cash_set = False
        self._account_currency_set = False
        self.portfolio.set_cash(100_000.0)
        self._run.run_start = self.start_date
        self._benchmark: Any = None  # set_benchmark's, else the brokerage model's once running
        self.brokerage_model: Any = DefaultBrokerageModel()
        self.risk_free_interest_rate_model: Any = InterestRateProvider()
        self._selection_add = False
        self.universe_manager = UniverseManager(self._universe_securities, self._universe_data_removed,
                                                self._safe_to_remove, lambda: self.active_securities)
        self.universe = UniverseDefinitions(lambda selector, settings: FundamentalUniverse(
            self._run.data_folder, selector, settings or self.universe_settings))
        self._universe_symbols: set[Symbol] = set()
        self._security_initializer: Any = None
        # the first equity of each map file (by the map file's id), over the first N securities added
        self._equity_by_map_file: dict[int, Symbol] = {}
        self._equities_indexed = 0
        self._history_cache: dict[tuple[str, int], SubscriptionData] = {}
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
    def _attach_engine(self, data_folder: Path, parameters: dict[str, str], object_store: Any) -> RunContext:
        """The run's start: the data folder, parameters and object store the run uses; returns the
        algorithm's :class:`RunContext`, the engine's one way into the algorithm beside LEAN's API."""
        run = self._run
        run.data_folder = Path(data_folder)
        Globals.data_folder = str(run.data_folder)
        identifiers.use_map_files(lambda: map_file_resolver(run.data_folder))
        run.parameters = {k: str(v) for k, v in parameters.items()}
        self.object_store = object_store
        return run

    @property
    def _hours_db(self) -> MarketHoursDatabase:
        if self._mhdb is None:
            self._mhdb = MarketHoursDatabase.from_data_folder(
                self._run.data_folder, read=functools.partial(cached_value, read_entry_texts))
        return self._mhdb

    def _exchange_hours(self, symbol: Symbol) -> ExchangeHours:
        if symbol.security_type == SecurityType.BASE:
            return always_open_hours()
        kind = _HOURS_KINDS[symbol.security_type]
        # an option's entry is its root's (SPX), not its contract ticker's
        ticker = symbol.id.symbol if symbol.security_type == SecurityType.INDEX_OPTION else symbol.value
        entry = self._hours_db.get_entry(kind, symbol.market, ticker)
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
        stamp = pd.Timestamp(self.time).tz_localize(NEW_YORK).tz_convert("UTC").tz_localize(None)
        return stamp.to_pydatetime()

    @property
    def is_warming_up(self) -> bool:
        return self._run.warming_up

    @property
    def current_slice(self) -> Any:
        return self._run.current_slice

    @property
    def benchmark(self) -> Any:
        """The benchmark (an object with ``evaluate(time)``): ``set_benchmark``'s, else the brokerage
        model's ``get_benchmark`` (SPY by default), adopted after ``initialize`` as LEAN's
        ``PostInitialize`` does."""
        if self._benchmark is None and not self._run.initializing:
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

    def _handles_order_events(self) -> bool:
        """Is ``on_order_event`` overridden (by the class or on the instance)? Without a handler the
        transaction manager builds the order events only when they are read."""
        return type(self).on_order_event is not QCAlgorithm.on_order_event or "on_order_event" in self.__dict__

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
            rate = float(values["conversion_rate"]) or (1.0 if code == self.portfolio.cash_book.account_currency
                                                        else 0.0)
            self.portfolio.set_cash(float(values["starting_cash"]), code, rate)
        self._cash_set = True

    def set_account_currency(self, account_currency: str, starting_cash: float | None = None) -> None:
        """LEAN's ``SetAccountCurrency``: the account's cash moves to ``account_currency`` (its amount
        kept, or ``starting_cash``), once, before any security is added. Orders are refused in an
        account other than USD: the runtime's fee models charge USD."""
        self._require_initializing("set_account_currency")
        book = self.portfolio.cash_book
        code = account_currency.upper()
        if starting_cash is None:
            self.debug(f"Changing account currency from {book.account_currency} to {code}...")
        else:
            self.debug(f"Changing account currency from {book.account_currency} to {code}, with a starting cash of "
                       f"{starting_cash}...")
        if self._account_currency_set:
            return  # LEAN keeps the first (it logs the attempt)
        if len(self.securities):
            raise ValueError("SecurityPortfolioManager.SetAccountCurrency(): Cannot change AccountCurrency after "
                             "adding a Security. Please move SetAccountCurrency() before AddSecurity().")
        self._account_currency_set = True
        book.set_account_currency(code)
        self.portfolio.invalidate()
        if starting_cash is not None:
            self.portfolio.set_cash(float(starting_cash))

    def set_time_zone(self, time_zone: Any) -> None:
        if str(time_zone) not in ("America/New_York", "TimeZones.NEW_YORK"):
            raise not_supported("QCAlgorithm", "set_time_zone (the runtime runs in New York time)")

    def set_warm_up(self, *args: Any, **kwargs: Any) -> None:
        """``set_warm_up(time_span, resolution=None)`` or ``set_warm_up(bar_count, resolution=None)``."""
        def span(time_span: timedelta, resolution: Resolution | None = None) -> None: ...
        def count(bar_count: int, resolution: Resolution | None = None) -> None: ...
        _, values = bind_overload("set_warm_up", args, kwargs, span, count)
        self._require_initializing("set_warm_up")
        self._run.warm_up = (values.get("time_span", values.get("bar_count")), values["resolution"])

    set_warmup = set_warm_up

    def set_benchmark(self, benchmark: Any) -> None:
        """``set_benchmark(ticker | symbol)`` or ``set_benchmark(function of the time)``."""
        if self._run.running:
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
        if type(security.shortable_provider) is shorting.NullShortableProvider:
            return True  # no limit (is_shortable's answer, without asking the provider)
        return shorting.is_shortable(security, short_quantity or 0.0,
                                     lambda: self.transactions.open_quantity(security.symbol, update_order_id))

    def shortable_quantity(self, symbol: Any) -> int:
        """``QCAlgorithm.ShortableQuantity``: the provider's quantity now, 0 when it sets no limit."""
        return shorting.shortable_quantity(self.securities[symbol])

    def get_parameter(self, name: str, default_value: Any = None) -> Any:
        """A ``config.json`` parameter as a string, or ``default_value`` converted to its type."""
        value = self._run.parameters.get(name)
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
        if self._run.running:
            raise RuntimeError(f"{name} can only be called in initialize()")

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
        self._run.quit_requested = True

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


name_lean_members(QCAlgorithm, "QCAlgorithm", algorithm_members.IMPLEMENTED,
                  (*algorithm_members.MISSING, *OBJECT_MEMBERS))


__all__ = ["AlgorithmSettings", "QCAlgorithm"]

