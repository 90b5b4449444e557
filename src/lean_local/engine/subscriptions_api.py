"""The ``QCAlgorithm`` members that add and remove securities (LEAN's ``AddEquity``, ``AddForex``,
``AddIndex``, ``AddData``, ``RemoveSecurity``, security initializers and seeders) and subscribe their data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine import add_security, custom_data, intraday, seeding, train
from lean_local.engine.benchmarks import SecurityBenchmark
from lean_local.engine.common import (
    DataNormalizationMode,
    Market,
    Resolution,
    SecurityType,
    Symbol,
    not_supported,
)
from lean_local.engine.daily_readers import load_equity, load_forex, load_index, log
from lean_local.engine.exchange_hours import Exchange, ExchangeHours, always_open_hours
from lean_local.engine.fill_forward_resolution import forward_period_ns, restarted_emission_times
from lean_local.engine.initializers import run_initializer
from lean_local.engine.scheduling import ScheduledEvent
from lean_local.engine.securities import Security, SymbolProperties
from lean_local.engine.slice import TradeBar
from lean_local.engine.subscription_data import (
    SubscriptionData,
    datetime_to_ns,
    emission_times,
    empty_subscription,
)


class SubscriptionsApi:
    """``add_equity``, ``add_forex``, ``add_index``, ``add_data``, ``remove_security`` and their
    subscriptions (a mixin of :class:`lean_local.engine.algorithm.QCAlgorithm`)."""

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
        market = str(market).lower()
        resolution = self._check_resolution(resolution, "add_equity", intraday_ok=market == Market.USA)
        if market not in (Market.USA, Market.INDIA):  # the feed reads equity/usa and equity/india
            raise not_supported("QCAlgorithm", f"add_equity in market {market!r} (US and India equities only)")
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
        security.is_fill_data_forward = fill_forward
        self._subscribe(security, self._equity_loader(security, resolution))
        return security

    def _equity_loader(self, security: Security, resolution: Resolution) -> Callable[[], SubscriptionData]:
        """The reader of an equity's bars at ``resolution`` (minute and hour with their quotes)."""
        symbol, hours = security.symbol, security.exchange.hours
        # LEAN says nothing of a universe member without data; a missing file of a security the
        # algorithm asked for by name deserves a warning
        by_name = not self._selection_add

        def load() -> SubscriptionData:
            if intraday.is_intraday(resolution):
                return intraday.load_equity_intraday(self._run.data_folder, symbol, security.data_normalization_mode, hours,
                                                     resolution, self._run.run_start, self.end_date, warn_missing=by_name)
            return load_equity(self._run.data_folder, symbol, security.data_normalization_mode, hours.session_times,
                               hours.key, warn_missing=by_name)

        return load

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
        security.is_fill_data_forward = False
        self._subscribe(security, lambda: load_forex(self._run.data_folder, symbol))
        return security

    def add_index(self, ticker: str, resolution: Resolution | None = None, market: str = Market.USA,
                  fill_forward: bool = True) -> Security:
        resolution = self._check_resolution(resolution, "add_index")
        symbol = Symbol(ticker, SecurityType.INDEX, market)
        if symbol in self.securities:
            return self._existing(symbol)
        hours = self._exchange_hours(symbol)
        security = self._new_security(symbol, hours, SymbolProperties(), resolution, DataNormalizationMode.RAW, 0)
        security.is_fill_data_forward = fill_forward
        self._subscribe(security, lambda: load_index(self._run.data_folder, symbol, hours.session_times, fill_forward))
        return security

    def add_index_option_contract(self, symbol: Symbol, resolution: Resolution | None = None,
                                  fill_forward: bool = True, extended_market_hours: bool = False) -> Security:
        """LEAN's ``AddIndexOptionContract`` of a contract ``Symbol.create_option`` made on an index.

        The underlying index is added first when the algorithm lacks it (LEAN ``AddOptionContract``).
        Option prices, exercise and settlement are not modelled, so only a contract whose data file
        the folder lacks is accepted: as in LEAN, its subscription then gets no data (orders on it
        are refused for want of a price, its history is empty).
        """
        if getattr(symbol, "security_type", None) != SecurityType.INDEX_OPTION:
            raise ValueError(f"Unexpected security type: {getattr(symbol, 'security_type', None)}; "
                             "add_index_option_contract takes an index option contract (Symbol.create_option)")
        resolution = self._check_resolution(resolution, "add_index_option_contract")
        if extended_market_hours:
            raise not_supported("QCAlgorithm", "add_index_option_contract(extended_market_hours=True)")
        if symbol in self.securities:
            return self._existing(symbol)
        if symbol.underlying not in self.securities:
            self.add_index(symbol.underlying.value, resolution, symbol.underlying.market, fill_forward)
        sid = symbol.id
        paths = [formats.index_option_daily_path(self._run.data_folder, sid.symbol, sid.date.year, tick_type,
                                                 sid.option_style.name)
                 for tick_type in ("trade", "quote", "openinterest")]
        present = [p for p in paths if p.exists()]
        if present:
            raise not_supported("QCAlgorithm", f"add_index_option_contract with option data ({present[0].name}: "
                                               "option prices, exercise and settlement are not modelled)")
        log.warning("no data file %s for %s (the subscription gets no data, as in LEAN)", paths[0], symbol.value)
        hours = self._exchange_hours(symbol)
        security = self._new_security(symbol, hours, SymbolProperties(), resolution, DataNormalizationMode.RAW, 0)
        security.is_fill_data_forward = fill_forward
        self._subscribe(security, lambda: empty_subscription(symbol, "trade"))
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
        security.is_fill_data_forward = fill_forward
        self._subscribe(security, custom_data.subscription_loader(
            self._run.data_folder, data_type, symbol, resolution, fill_forward,
            lambda: (self.time if self._run.running else self._run.run_start, self.end_date)))
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
        column = len(self._feed.subs) + len(self._run.pending)
        quote = self.portfolio.cash_book.ensure(properties.quote_currency)
        security = Security(symbol, column, self._feed, Exchange(hours, self._feed.clock), properties, quote,
                            self.portfolio, resolution, mode, leverage if leverage and leverage > 0 else None,
                            data_folder=self._run.data_folder)
        self.securities.register(security)
        self.portfolio.register(security)
        self._apply_brokerage(security, keep_leverage=bool(leverage and leverage > 0))
        return security

    def _subscribe(self, security: Security, loader: Callable[[], SubscriptionData]) -> None:
        security.loader = loader
        if self._run.running:
            self._activate(security, loader(), datetime_to_ns(self.time))
        else:
            self._run.pending.append((security, loader))
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
        daily = None
        if not frame.empty:
            (_, end_time), row = frame.index[-1], frame.iloc[-1]
            daily = TradeBar(end_time - timedelta(days=1), symbol, row["open"], row["high"], row["low"], row["close"],
                             row.get("volume", 0.0))
        hour = self._benchmark_hour_seed(symbol) if self._run.benchmark_hour_feed else None
        # the newest history slice's bar, the finer one when both end together (lean_local.engine.seeding)
        if hour is not None and (daily is None or hour.end_time >= daily.end_time):
            return [hour]
        return [daily] if daily is not None else []

    def _benchmark_hour_seed(self, symbol: Symbol) -> TradeBar | None:
        """The last bar of the security benchmark's internal hour subscription when ``symbol`` is the
        benchmark's (see :mod:`lean_local.engine.seeding`)."""
        benchmark = self.benchmark
        if not isinstance(benchmark, SecurityBenchmark) or benchmark.symbol != symbol:
            return None
        hours = self._exchange_hours(symbol)
        key = (f"{symbol}|benchmark-hour", int(DataNormalizationMode.ADJUSTED))
        if key not in self._history_cache:
            self._history_cache[key] = seeding.benchmark_hour_bars(
                self._run.data_folder, symbol, hours, self._run.run_start - timedelta(days=14), self.end_date)
        return seeding.last_hour_bar(self._history_cache[key], hours, self.time)

    def get_last_known_price(self, security: Any) -> Any:
        """The newest of :meth:`get_last_known_prices` (LEAN's obsolete ``GetLastKnownPrice``), or None."""
        prices = self.get_last_known_prices(security)
        return prices[-1] if prices else None

    def _activate(self, security: Security, data: SubscriptionData, visible_from: int) -> None:
        # the fill-forward resolution counts the new subscription before its emission times are laid out
        changed = self._run.fill_forward_resolution.added(security.resolution)
        if intraday.is_intraday(security.resolution):
            security.quoted = data.quotes is not None
            if security.quoted:
                self._run.quoted_columns.append(security.column)
        self._set_emission_times(security, data)
        column = self._feed.add(data, visible_from, self._selection_add)
        if column != security.column:
            raise RuntimeError(f"feed column mismatch for {security.symbol}: {column} != {security.column}")
        # initialize's securities too: LEAN subscribes them at the first time step, the algorithm locked
        self._track_stream(security, data)
        self._subscriptions_changed(changed)

    def _set_emission_times(self, security: Security, data: SubscriptionData) -> None:
        """The times ``data`` shows up in a slice: its bars' ends, and when it fills forward every bar
        end of the finer of its resolution and the feed's fill-forward resolution inside the regular
        sessions after its first bar (session closes for daily data on a daily feed)."""
        fill_forward = security.is_fill_data_forward
        hours = security.exchange.hours
        period = forward_period_ns(security.resolution, self._run.fill_forward_resolution.value)
        if intraday.is_intraday(security.resolution):
            intraday.set_emission_times(data, hours, security.resolution, fill_forward, self._run.run_start,
                                        self.end_date, period)
            return
        data.emit_times = emission_times(data, self._forward_ends(hours, period) if fill_forward else None,
                                         datetime_to_ns(self.end_date))

    def _forward_ends(self, hours: ExchangeHours, period: int | None) -> np.ndarray:
        """The regular sessions' bar ends of ``period`` (their closes when None) over the run."""
        key = (id(hours), self._run.run_start, self.end_date, period)
        ends = self._session_closes.get(key)
        if ends is None:
            if period is not None:
                ends = intraday.session_bar_ends(hours, self._run.run_start, self.end_date, period)
            else:
                days = hours.trading_days(self._run.run_start.date(), self.end_date.date())
                ends = hours.session_times(days)[1] if len(days) else np.empty(0, dtype=np.int64)
            self._session_closes[key] = ends
        return ends

    def _track_stream(self, security: Security, data: SubscriptionData) -> None:
        """A subscription without any data ends when the feed first asks it for data: after this step's
        selections when a selection or ``initialize`` added it, else at the next step (LEAN's
        ``SubscriptionSynchronizer`` primes new subscriptions in the selection loop)."""
        security.stream_ended = False  # a new subscription of a security whose earlier one ended
        if _is_empty(data):
            self._run.empty_streams.append((security, data, security.resolution, self._run.running and not self._selection_add))

    def _track_streams(self, securities: list[Security], subscriptions: list[SubscriptionData]) -> None:
        """:meth:`_track_stream` of each security and its subscription (a day's resuming universe members)."""
        for security, data in zip(securities, subscriptions, strict=True):
            security.stream_ended = False
            if _is_empty(data):
                self._track_stream(security, data)

    def _end_empty_streams(self, before_selections: bool) -> None:
        """End the queued streams without data (``SubscriptionCollection.TryRemove`` of an ended stream:
        the fill-forward resolution is not recomputed); before the step's selections only those added
        after the previous step's."""
        keep = []
        for entry in self._run.empty_streams:
            security, data, resolution, early = entry
            if before_selections and not early:
                keep.append(entry)
            elif self._feed.subs[security.column] is not data:  # a universe's subscription replaced it
                self._run.fill_forward_resolution.ended(resolution)
            elif security.column not in self._run.removed:
                security.stream_ended = True
                self._run.fill_forward_resolution.ended(resolution)
        self._run.empty_streams = keep

    def _replace_empty_subscription(self, security: Security, resolution: Resolution, fill_forward: bool) -> bool:
        """A universe selected an equity whose only subscription, at another resolution, has no data
        (a stream that ends at once): LEAN adds the universe's subscription to the security
        (``Universe.GetSubscriptionRequests``) and the security's data is that subscription's from this
        step on. Returns whether it did; with data in both the runtime keeps the first (one
        subscription per security)."""
        column = security.column
        if resolution == security.resolution or column in self._run.removed \
                or not _is_empty(self._feed.subs[column]) or security.type != SecurityType.EQUITY:
            return False
        # the security's reader is the new subscription's (a released subscription is read back through it)
        security.loader = self._equity_loader(security, resolution)
        data = security.loader()
        security.resolution = resolution
        security.is_fill_data_forward = fill_forward
        security.quoted = data.quotes is not None
        if security.quoted and column not in self._run.quoted_columns:
            self._run.quoted_columns.append(column)
        changed = self._run.fill_forward_resolution.added(resolution)
        self._set_emission_times(security, data)
        self._feed.reattach(column, from_current=True, sub=data)
        self._track_stream(security, data)
        self._subscriptions_changed(changed)
        return True

    def _subscriptions_changed(self, resolution_changed: bool) -> None:
        """LEAN's ``DataManager`` restarts the subscriptions that fill forward when the feed's
        fill-forward resolution changed: the loop triggers the restarted time-triggered universes, and
        the securities' subscriptions fill forward at the new resolution from their next bar on."""
        if not resolution_changed:
            return
        self._run.universe_restarts.extend(universe for universe in self._universes
                                       if universe.fill_forward
                                       and universe not in self._run.universe_restarts)
        feed = self._feed
        now = feed.now_ns if feed.started and feed.step >= 0 else None
        for column, data in enumerate(feed.subs):
            security = self.portfolio.by_column[column]
            if not security.is_fill_data_forward or column in self._run.removed \
                    or feed.is_delisted(column) or data.kind == "quote":
                continue
            parts = [part for part in (data, data.quotes) if part is not None]
            before = [part.emit_times for part in parts]
            self._set_emission_times(security, data)
            if now is not None:
                for part, times in zip(parts, before, strict=True):
                    part.emit_times = restarted_emission_times(times, part.end_time, part.emit_times, now)
        if now is not None:
            feed.reschedule()

    def remove_security(self, symbol: str) -> bool:
        security = self.securities.get(symbol)
        if security is None:
            return False
        self.transactions.cancel_open_orders(symbol)
        if security.invested:
            self.liquidate(symbol, tag="Removed security")
        self._run.pending_removal.add(security.column)
        self._remove_flat()
        return True

    def _remove_flat(self) -> None:
        """Drop the data of securities pending removal once they hold nothing and have no open order."""
        for column in list(self._run.pending_removal):
            security = self.portfolio.by_column[column]
            if security.invested or self.transactions.get_open_orders(security.symbol):
                continue
            self._run.pending_removal.discard(column)
            if self._run.running:
                self._feed.remove(column)
                self._run.removed.add(column)
                if not security.stream_ended:
                    self._subscriptions_changed(self._run.fill_forward_resolution.removed(security.resolution))
            else:
                self._feed.panel.visible_from[column] = int(pd.Timestamp.max.value)

    def symbol(self, ticker: str) -> Symbol:
        for symbol in self.securities.keys():
            if symbol.value == ticker.upper():
                return symbol
        return Symbol(ticker)

    def is_market_open(self, symbol: str) -> bool:
        return self.securities[symbol].exchange.exchange_open


def _is_empty(data: SubscriptionData) -> bool:
    """A subscription without any bar (trade or quote) over the run: its stream ends at once."""
    # the bars' end times read directly (SubscriptionData.__len__ is a Python call): a day's resuming
    # universe members are asked, and they have bars as a rule
    return not len(data.end_time) and (data.quotes is None or len(data.quotes) == 0)
