"""LEAN's event loop for a whole backtest, and ``run_backtest`` for a project folder.

The loop follows ``Engine/AlgorithmManager.cs`` for each time step ``t`` of the feed's grid:

1. scheduled events whose time is before ``t`` fire at their own time, with the previous prices
   (``ScanPastEvents``);
2. the clock moves to ``t``; universe selection runs (``UniverseManager``: the coarse file of the
   previous trading day at 00:00, or at the universe's schedule), securities it adds are subscribed;
3. prices update (the feed's current bars), forex conversion rates follow;
   the warm-up ends when ``t`` reaches the start date (``on_warmup_finished``);
4. open orders try to fill against the new bars, then delisted securities' positions are closed at
   their last price (``ProcessSynchronousEvents``);
5. scheduled events at ``t`` fire;
6. ``on_securities_changed`` for universe changes;
7. ``on_data(slice)`` when the slice has data;
8. the framework's step when the algorithm uses LEAN's algorithm framework (``OnFrameworkData``:
   insight scoring, alpha, portfolio construction, risk, execution; see ``lean_local/framework``);
9. the portfolio value is sampled (after the warm-up).
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import logging
import sys
import time as time_module
import traceback
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local import progress
from lean_local import workspace as workspaces
from lean_local.data import formats
from lean_local.data.map_files import MapFile
from lean_local.engine import feed as feeds
from lean_local.engine import intraday
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.benchmarks import SecurityBenchmark, benchmark_values
from lean_local.engine.capacity import FOREX_VOLUME, CapacityEstimate
from lean_local.engine.common import DataNormalizationMode, SecurityType, Symbol, not_supported
from lean_local.engine.corporate_actions import apply_dividends
from lean_local.engine.corporate_events import EventSchedule, load_equity_events
from lean_local.engine.data_points import benchmark_hour_ends, delisting_triggers, user_defined_universes
from lean_local.engine.interest_rates import InterestRateProvider, rate_series
from lean_local.engine.margin_calls import execute_margin_call
from lean_local.engine.slice import Delistings, Dividends, Slice, Splits, SymbolChangedEvents
from lean_local.engine.time_limit import DEFAULT_MINUTES, TimeLoopLimit, time_loop_minutes
from lean_local.engine.universe import SecurityChanges
from lean_local.parameters import check_parameter_names
from lean_local.run_folders import claim_run_folder
from lean_local.statistics import BacktestRecord, sample_times

log = logging.getLogger("lean_local.engine")

SHIM = Path(__file__).resolve().parents[1] / "shim"


class AlgorithmRuntimeError(RuntimeError):
    """An exception raised by the algorithm's own code; ``record`` holds the partial results."""

    def __init__(self, message: str, record: BacktestRecord) -> None:
        super().__init__(message)
        self.record = record


class NoDataError(RuntimeError):
    """A run in which no subscription had data: an error, not a table of zeros."""


class AlgorithmInterrupted(KeyboardInterrupt):
    """The user interrupted the run (Ctrl-C); ``record`` holds the partial results (state ``Stopped``).

    A ``KeyboardInterrupt``, so that a caller running many backtests (an optimization) stops too.
    """

    def __init__(self, record: BacktestRecord) -> None:
        super().__init__("interrupted")
        self.record = record


@dataclass
class RunResult:
    """What a finished run hands back."""

    algorithm: QCAlgorithm
    record: BacktestRecord
    statistics: dict[str, str]
    output_dir: Path | None
    data_points: int
    seconds: float


def _warmup_start(algo: QCAlgorithm) -> datetime:
    if algo._warmup is None:
        return algo.start_date
    period, _resolution = algo._warmup
    if isinstance(period, timedelta):
        return algo.start_date - period
    bars = int(period)
    # LEAN counts each subscription's own bars and starts at the earliest: a daily security's count decides
    resolutions = [s.resolution for s in algo.securities.values()]
    if algo._universes:
        resolutions.append(algo.universe_settings.resolution)
    if intraday.is_intraday(_resolution) or (_resolution is None and resolutions
                                             and all(intraday.is_intraday(r) for r in resolutions)):
        finest = _resolution if intraday.is_intraday(_resolution) else min(resolutions)
        return intraday.warm_up_start(algo._exchange_hours(Symbol("SPY")), algo.start_date, bars, finest)
    hours = None
    for security in algo.securities.values():
        if security.type == SecurityType.EQUITY:
            hours = security.exchange.hours
            break
    if hours is None and len(algo.securities):
        hours = algo.securities.values()[0].exchange.hours
    if hours is None:
        return algo.start_date - timedelta(days=bars)
    days = hours.trading_days((algo.start_date - timedelta(days=bars * 2 + 30)).date(),
                              (algo.start_date - timedelta(days=1)).date())
    if len(days) < bars:
        return algo.start_date - timedelta(days=bars * 2 + 30)
    return days[-bars].to_pydatetime()


def _schedule_end_of_day(algo: QCAlgorithm) -> None:
    """LEAN's ``on_end_of_day(symbol)``: for each security, every trading day 10 minutes before its
    market close (``ScheduledEventFactory.EverySecurityEndOfDay``)."""
    handler = getattr(type(algo), "on_end_of_day", None)
    if handler is None:
        return
    if len(inspect.signature(handler).parameters) < 2:
        raise not_supported("QCAlgorithm", "on_end_of_day() without a symbol (LEAN's deprecated form)")
    if algo._universes:
        raise not_supported("QCAlgorithm", "on_end_of_day with universe-selected securities")
    for security in list(algo.securities.values()):
        symbol = security.symbol
        algo.schedule.on(algo.date_rules.every_day(symbol), algo.time_rules.before_market_close(symbol, 10),
                         functools.partial(algo.on_end_of_day, symbol))


def _setup_conversions(algo: QCAlgorithm) -> None:
    """Point each non-USD currency at a subscribed pair that prices it in USD (LEAN adds internal
    subscriptions for missing ones; the runtime asks for them instead)."""
    by_pair = {s.symbol.value: s for s in algo.securities.values() if s.type == SecurityType.FOREX}
    for currency, cash in algo.portfolio.cash_book.items():
        if currency == "USD":
            continue
        if currency + "USD" in by_pair:
            cash.currency_conversion = (by_pair[currency + "USD"], False)
        elif "USD" + currency in by_pair:
            cash.currency_conversion = (by_pair["USD" + currency], True)
        else:
            raise ValueError(f"no conversion for {currency}: add_forex('{currency}USD') or add_forex('USD{currency}') "
                             "(lean_local does not add LEAN's internal conversion subscriptions)")


class BacktestLoop:
    """Runs one initialized algorithm over its data."""

    def __init__(self, algo: QCAlgorithm, progress: Any = None) -> None:
        self.algo = algo
        self.progress = progress  # a tqdm bar (total and update), or None
        self.feed = algo._feed
        self.times: list[int] = []
        self.equity: list[float] = []
        self.long_values: list[float] = []
        self.short_values: list[float] = []
        self.sample_steps: list[int] = []
        self.sample_closes: list[np.ndarray] = []  # each sample's closes per column (columns present then)
        self.data_points = 0
        self.data_slices = 0  # time steps that carried data (zero: the run had no data at all)
        self.start_equity = 0.0
        self._selection_times: dict[int, list[tuple[Any, date]]] = {}
        self._delist_columns: list[tuple[int, int]] = []
        self._added_by_api: set[Symbol] = set()  # the user-defined universes' securities (delisting_triggers)
        self.events = EventSchedule()
        self._event_columns = 0  # subscriptions whose corporate events are scheduled
        self.framework: Any = None  # lean_local.framework.driver.Framework when the algorithm uses it
        self.capacity: CapacityEstimate | None = None
        self._fills_seen = 0
        self._hour_ends = np.empty(0, dtype=np.int64)  # the benchmark's internal hour bars (data_points)
        self._hour_utc = self._hour_ends  # the same, as UTC nanoseconds (the capacity estimate's clock)
        self.time_limit: TimeLoopLimit | None = None

    def _schedule_events(self, first_column: int, from_ns: int) -> None:
        """Schedule the splits, dividends, delistings and ticker changes of the equity
        subscriptions from ``first_column`` on, from ``from_ns`` (LEAN's auxiliary data)."""
        algo = self.algo
        subs = self.feed.subs
        for column in range(first_column, len(subs)):
            security = algo.portfolio._by_column[column]
            sub = subs[column]
            if security.type != SecurityType.EQUITY or sub.kind != "trade":
                continue
            map_file = feeds.map_file_resolver(algo._data_folder).resolve(security.symbol.value) \
                or MapFile.unmapped(security.symbol.value)
            days = security.exchange.hours.trading_days(pd.Timestamp(from_ns).normalize(), algo.end_date)
            dates, close, factor = intraday.daily_view(sub)  # each day's last bar (midnights)
            closes = pd.Series(close, index=dates)
            raw = pd.Series(close / np.where(factor > 0, factor, 1.0), index=dates)
            self.events.add(load_equity_events(algo._data_folder, security.symbol, map_file, days, raw, closes),
                            from_ns)
        self._event_columns = len(subs)

    def prepare(self) -> None:
        algo = self.algo
        if algo.end_date < algo.start_date:  # LEAN's QCAlgorithm.PostInitialize
            raise ValueError("Please select an algorithm end date greater than start date.")
        # the framework's universes join the algorithm's before their selection times are laid out
        self.framework = algo._framework_for_run()
        run_start = _warmup_start(algo)
        algo._run_start = run_start
        start_ns = int(pd.Timestamp(run_start).value)
        self.data_points = user_defined_universes([security for security, _ in algo._pending])
        self._added_by_api = {security.symbol for security, _ in algo._pending}
        for security, loader in algo._pending:
            algo._activate(security, loader(), start_ns)
        # securities added in initialize reach on_securities_changed at the first time step, custom
        # data excluded (LEAN's user-defined universes; SecurityChanges.FilterCustomSecurities)
        initial = [security for security, _ in algo._pending if security.type != SecurityType.BASE]
        algo._pending_changes = (initial + algo._pending_changes[0], algo._pending_changes[1])
        algo._pending = []
        self._schedule_events(0, start_ns)
        self.feed.panel.add_times(self.events.times())
        if algo._universes:
            hours = algo._exchange_hours(Symbol("SPY"))
        for universe in algo._universes:
            plan = universe.emissions(run_start, algo.end_date, hours)
            times = pd.DatetimeIndex([when for when, _ in plan]).asi8
            self.feed.panel.add_times(times)
            for t, (_, day) in zip(times.tolist(), plan, strict=True):
                self._selection_times.setdefault(t, []).append((universe, day))
        # a universe's last collection ends after the end date: LEAN's feed still delivers that step
        last_ns = max([int(pd.Timestamp(algo.end_date).value), *self._selection_times])
        self.feed.start(start_ns, last_ns)
        _setup_conversions(algo)
        _schedule_end_of_day(algo)
        # LEAN's ScheduleManager enumerates dates from the algorithm's date (the start date during
        # initialize) minus one day: warm-up days before that have no events
        algo.schedule.expand_all(max(run_start, algo.start_date - timedelta(days=1)))
        self.capacity = CapacityEstimate(algo.start_date, algo.end_date)
        # LEAN adds the benchmark feed at the first time slice, the earliest data of the run: later than
        # the start when nothing has data then (a constituents universe's first file)
        grid = self.feed.panel.grid
        first = pd.Timestamp(int(grid[0])).to_pydatetime() if len(grid) else run_start
        if isinstance(algo.benchmark, SecurityBenchmark):  # a function benchmark has no internal feed
            benchmark = algo.benchmark.symbol
            self._hour_ends = benchmark_hour_ends(algo._data_folder, benchmark, algo._exchange_hours(benchmark),
                                                  max(first, run_start), algo.end_date)
            self._hour_utc = pd.DatetimeIndex(self._hour_ends).tz_localize(feeds.NEW_YORK).asi8
        algo._running = True
        algo._warming_up = run_start < algo.start_date
        algo._feed.clock.time = run_start

    def _fire_events(self, until: datetime, inclusive: bool) -> None:
        algo = self.algo
        for when, _order, event in algo.schedule.due(until, inclusive):
            if not event.enabled:
                continue
            algo._feed.clock.time = when
            algo._warming_up = when < algo.start_date
            event.callback()
        algo._feed.clock.time = until

    def _close_delisted(self, now_ns: int) -> None:
        algo = self.algo
        due = [(column, last_ns) for column, last_ns in self._delist_columns if now_ns > last_ns]
        if not due:
            return
        self.data_points += delisting_triggers([algo.portfolio._by_column[column] for column, _ in due],
                                               self._added_by_api, algo._universes)
        for column, last_ns in due:
            security = algo.portfolio._by_column[column]
            self._delist_columns.remove((column, last_ns))
            self.feed.delisted.add(column)
            algo.universe_manager.remove_delisted(security.symbol)
            # BacktestingBrokerage.ProcessDelistings: liquidate at the last price without a fee
            # (BrokerageTransactionHandler.HandleDelistingNotification), then cancel the open orders
            quantity = security.holdings.quantity
            if quantity != 0 and security.price > 0:
                algo.transactions.submit_delisting(security, -quantity)
            if not algo.is_warming_up:
                algo.transactions.cancel_open_orders(security.symbol)

    def _refresh_delistings(self) -> None:
        tracked = {c for c, _ in self._delist_columns}
        for column, sub in enumerate(self.feed.subs):
            if sub.delisted is not None and column not in tracked and column not in self.feed.delisted:
                last = int((sub.delisted + pd.Timedelta(days=1)).value) - 1
                self._delist_columns.append((column, last))

    def run(self) -> None:
        algo = self.algo
        feed = self.feed
        grid = feed.panel.grid
        self._refresh_delistings()
        warm = algo._warming_up
        framework = self.framework
        cashes = [c for c in algo.portfolio.cash_book.values() if c.currency_conversion is not None]
        for cash in cashes:
            cash.update()
        if self.progress is not None:
            self.progress.total = len(feed.panel.grid)
        while feed.step + 1 < len(feed.panel.grid):
            grid = feed.panel.grid
            if self.progress is not None and feed.step % 64 == 0:
                self.progress.n = feed.step + 1
                self.progress.refresh()
            next_ns = int(grid[feed.step + 1])
            next_time = pd.Timestamp(next_ns).to_pydatetime()
            if algo.portfolio.total_portfolio_value <= 0 and not warm and feed.step >= 0:
                algo.error("Portfolio value is less than or equal to zero, stopping algorithm.")
                break
            self._fire_events(next_time, inclusive=False)
            if len(self._hour_ends):
                self._hour_steps(next_ns)
            feed.advance()
            now = algo.time
            algo._warming_up = now < algo.start_date
            universes = self._selection_times.get(next_ns)
            if universes:
                for universe, day in universes:
                    self.data_points += algo._run_selection(universe, day)
                self._refresh_delistings()
                if len(feed.subs) > self._event_columns:
                    self._schedule_events(self._event_columns, next_ns)
            events = self.events.due(next_ns)
            if events is not None and algo._removed:
                # a removed security's subscription has ended: LEAN reads no more events for it
                events.drop({s.symbol for s in (algo.portfolio._by_column[c] for c in algo._removed)})
                if not len(events):
                    events = None
            for cash in cashes:
                cash.update()
            if algo.portfolio.total_margin_used > 0 and not algo._warming_up:
                execute_margin_call(algo)
            if warm and not algo._warming_up:
                warm = False
                self.start_equity = algo.portfolio.total_portfolio_value
                algo.on_warmup_finished()
            if events is not None and events.symbol_changed_events:
                algo.on_symbol_changed_events(SymbolChangedEvents(events.symbol_changed_events))
                for symbol in events.symbol_changed_events:
                    for ticket in algo.transactions.get_open_order_tickets(symbol):
                        ticket.cancel("Open order cancelled on symbol changed event")
            algo.transactions.process()
            self._close_delisted(next_ns)
            if algo._pending_removal:
                algo._remove_flat()
            self._fire_events(now, inclusive=True)
            added, removed = algo._pending_changes
            if added or removed:
                algo._pending_changes = ([], [])
                changes = SecurityChanges(added, removed)
                algo.on_securities_changed(changes)
                if framework is not None:
                    framework.on_securities_changed(changes)
            if events is not None and events.dividends and not algo._warming_up:
                apply_dividends(algo.portfolio, algo.securities, events.dividends)
            columns = feed.emitted_columns()
            current = None
            if len(columns) or events is not None:
                self.data_points += len(columns) + (len(events) if events is not None else 0)
                if algo._quoted_columns:
                    self.data_points += intraday.quote_points(feed, algo._quoted_columns)
                self.data_slices += 1
                current = Slice(now, columns, algo.portfolio._by_column, algo.securities, feed.emitted_mask(), events)
                algo._current_slice = current
                algo._update_consolidators(current)
                if events is not None:
                    # LEAN's order: consolidators, splits, dividends, delistings, then on_data
                    if events.splits:
                        algo.on_splits(Splits(events.splits))
                    if events.dividends:
                        algo.on_dividends(Dividends(events.dividends))
                    if events.delistings:
                        algo.on_delistings(Delistings(events.delistings))
                algo.on_data(current)
            if framework is not None:
                framework.on_data(current)
            self._update_capacity()
            if self.time_limit is not None:
                self.time_limit.raise_if_exceeded()  # the step caught LEAN's error itself: stop anyway
            if not algo._warming_up:
                self._sample(next_ns)
            if getattr(algo, "_quit", False):
                # LEAN stops before the next step; the final sample still sees this step's prices
                break
        if not self.sample_steps and not algo._warming_up and feed.step >= 0:
            self._sample(int(pd.Timestamp(algo.time).value))
        last = min(pd.Timestamp(algo.time).value, pd.Timestamp(algo.end_date).value)
        self.data_points += int(np.count_nonzero(self._hour_ends - _HOUR_NS <= last))

    def _hour_steps(self, next_ns: int) -> None:
        """The internal benchmark feed's steps before ``next_ns``: no bar reaches the algorithm, but a
        capacity snapshot falling due then is taken then (with the previous step's fills and prices)."""
        capacity = self.capacity
        previous = int(self.feed.panel.grid[self.feed.step]) if self.feed.step >= 0 else -1
        lo = int(np.searchsorted(self._hour_ends, previous, side="right"))
        hi = int(np.searchsorted(self._hour_ends, next_ns, side="left"))
        for utc in self._hour_utc[lo:hi].tolist():
            if capacity is not None and capacity.due(utc):
                capacity.update(utc, lambda symbol: None, self.algo.portfolio.total_portfolio_value,
                                lambda symbol: self.algo.securities[symbol].holdings.holdings_value)

    def _update_capacity(self, force: bool = False) -> None:
        """LEAN's capacity estimate at the end of a step (``ResultHandler.ProcessSynchronousEvents``)."""
        algo, capacity = self.algo, self.capacity
        if capacity is None:
            return
        fills = algo.transactions.fills
        if len(fills) > self._fills_seen:
            for fill in fills[self._fills_seen:]:
                capacity.on_fill(fill["symbol"], _utc_ns(fill["time"]), fill["fill_value"])
            self._fills_seen = len(fills)
        if not capacity.monitored and not force and not capacity.due(_utc_ns(algo.time)):
            return
        feed = self.feed
        emitted = feed.emitted_mask() if feed.step >= 0 else None

        def bar_of(symbol: str) -> tuple[float, float, float, int] | None:
            """The symbol's bar in this step's slice (LEAN's ``SymbolCapacity.GetBar``): custom data
            is not in ``Slice.bars``; a forex quote bar counts LEAN's forex volume."""
            security = algo.securities[symbol]
            column = security._column
            if emitted is None or column >= len(emitted) or not emitted[column] \
                    or security.type == SecurityType.BASE:
                return None
            bar = feed.current_bar(column)
            if bar is None or bar.is_fill_forward:
                return None  # LEAN's fill-forward bars have volume 0
            period = int((bar.end_time - bar.time).total_seconds() * 10**9)
            volume = FOREX_VOLUME if security.type == SecurityType.FOREX else bar.volume
            return bar.close, volume, security.quote_currency.conversion_rate, period

        capacity.update(_utc_ns(algo.time), bar_of, algo.portfolio.total_portfolio_value,
                        lambda symbol: algo.securities[symbol].holdings.holdings_value, force)

    def finish(self) -> None:
        """After ``on_end_of_algorithm``: LEAN's two forced result-handler passes (the algorithm
        manager's and the result handler's exit) each take a capacity snapshot."""
        self._update_capacity(force=True)
        self._update_capacity(force=True)

    def _sample(self, now_ns: int) -> None:
        algo = self.algo
        values = algo.portfolio._values()
        if not self.times:
            self.start_equity = self.start_equity or algo.portfolio.total_portfolio_value
        self.times.append(now_ns)
        self.equity.append(algo.portfolio.total_portfolio_value)
        self.long_values.append(float(values[values > 0].sum()))
        self.short_values.append(float(values[values < 0].sum()))
        self.sample_steps.append(self.feed.step)
        self.sample_closes.append(self.feed.current_closes(len(self.feed.subs)).copy())




_HOUR_NS = 3_600 * 10**9
_DAY_NS = 24 * _HOUR_NS


def _utc_ns(local: datetime) -> int:
    """A naive New York time as UTC nanoseconds.

    The offset is pandas' ``tz_localize`` of the time's whole hour (a New York offset changes only at
    a whole hour), cached per hour: a time in a skipped or repeated hour raises as ``tz_localize`` does.
    """
    if type(local) is not datetime:  # a pandas Timestamp may carry nanoseconds
        return int(pd.Timestamp(local).tz_localize(feeds.NEW_YORK).value)
    naive = (local - _EPOCH) // _MICROSECOND * 1000
    return naive + _utc_offset_ns(local.replace(minute=0, second=0, microsecond=0))


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


@functools.lru_cache(maxsize=4096)
def _utc_offset_ns(hour: datetime) -> int:
    """UTC minus New York wall time (ns) during the New York hour that starts at ``hour``."""
    return int(pd.Timestamp(hour).tz_localize(feeds.NEW_YORK).value) - int(pd.Timestamp(hour).value)


def missing_benchmark_note(algo: QCAlgorithm, record: BacktestRecord) -> str | None:
    """A line saying the benchmark had no data, so the statistics measured against it are 0; ``None``
    when the benchmark had a price on some sample."""
    if len(record.benchmark) == 0 or record.benchmark.to_numpy().any():
        return None
    benchmark = algo.benchmark
    name = f"Benchmark {benchmark.symbol.value}: no data in {algo._data_folder}" \
        if isinstance(benchmark, SecurityBenchmark) else "Benchmark: 0 at every sample"
    return f"{name}, so Alpha, Beta, Information Ratio, Tracking Error and Treynor Ratio are measured against 0"


def _benchmark_series(algo: QCAlgorithm, index: pd.DatetimeIndex, internal_from_ns: int | None = None) -> pd.Series:
    """The benchmark's value at each time step of ``index``; ``internal_from_ns`` is the end of the
    first bar of the benchmark's internal hour feed (None without one)."""
    if len(index) == 0:  # nothing sampled (the run failed before its first step): no benchmark to read
        return pd.Series(np.zeros(0), index=index, dtype=float)
    benchmark = algo.benchmark
    if benchmark is None:  # initialize failed before LEAN's PostInitialize would have set it
        benchmark = algo.brokerage_model.get_benchmark(algo.securities)
    if not isinstance(benchmark, SecurityBenchmark):
        return benchmark_values(benchmark, index)
    symbol = benchmark.symbol
    security = algo.securities.get(symbol)
    if security is not None and security.type == SecurityType.EQUITY \
            and security.data_normalization_mode == DataNormalizationMode.ADJUSTED \
            and security._column < len(algo._feed.subs):
        data = algo._feed.subs[security._column]
    else:
        hours = algo._exchange_hours(symbol)
        data = feeds.load_equity(algo._data_folder, symbol, DataNormalizationMode.ADJUSTED, hours.session_times)
    if len(data) == 0 or len(index) == 0:
        return pd.Series(np.zeros(len(index)), index=index, dtype=float)
    position = np.searchsorted(data.end_time, index.asi8, side="right") - 1
    values = np.where(position >= 0, data.fields["close"][np.maximum(position, 0)], 0.0)
    series = pd.Series(values, index=index, dtype=float)
    if internal_from_ns is not None and internal_from_ns < index.asi8[0]:
        # the internal hour feed starts the trading day before the first step (UniverseSelection.
        # AddPendingInternalDataFeeds): the samples before the first step see that day's close
        full = feeds.load_equity(algo._data_folder, symbol, DataNormalizationMode.ADJUSTED,
                                 algo._exchange_hours(symbol).session_times)
        k = int(np.searchsorted(full.end_time, index.asi8[0], side="left")) - 1
        if k >= 0 and full.end_time[k] >= internal_from_ns:
            before = pd.Series([float(full.fields["close"][k])], index=pd.DatetimeIndex([int(full.end_time[k])]))
            series = pd.concat([before, series])
    return series


@functools.cache
def _pascal(name: str) -> str:
    """``MARKET_ON_OPEN`` -> ``MarketOnOpen`` (LEAN's enum names in result files)."""
    return "".join(part.capitalize() for part in name.split("_"))


ORDER_COLUMNS = ["id", "symbol", "type", "status", "direction", "quantity", "price", "time", "last_fill_time",
                 "value", "fee", "tag"]
FILL_COLUMNS = ["time", "order_id", "symbol", "quantity", "fill_price", "fill_value", "fee", "conversion_rate",
                "dollar_volume", "is_long_before", "realized_pnl"]


def _order_frame(orders: list[Any]) -> pd.DataFrame:
    """The orders as a frame of :data:`ORDER_COLUMNS`, enum members by LEAN's names, built column by
    column (one dict per order cost more than the run's orders themselves)."""
    if not orders:
        return pd.DataFrame([], columns=ORDER_COLUMNS)  # object columns, as the result files expect
    columns = {
        "id": [o.id for o in orders], "symbol": [str(o.symbol) for o in orders],
        "type": _enum_names([o.type for o in orders]), "status": _enum_names([o.status for o in orders]),
        "direction": _enum_names([o.direction for o in orders]), "quantity": [o.quantity for o in orders],
        "price": [o.price for o in orders], "time": [o.time for o in orders],
        "last_fill_time": [o.last_fill_time for o in orders], "value": [o.value for o in orders],
        "fee": [o.fee for o in orders], "tag": [o.tag for o in orders],
    }
    return pd.DataFrame(columns, columns=ORDER_COLUMNS)


def _enum_names(members: list[Any]) -> list[str]:
    """LEAN's names of one enum's members (``MARKET_ON_OPEN`` -> ``MarketOnOpen``), each looked up once
    (a cache across enums would mix their members: ``IntEnum`` members of equal value compare equal)."""
    known: dict[Any, str] = {}
    names = []
    for member in members:
        name = known.get(member)
        if name is None:
            name = known[member] = _pascal(member.name)
        names.append(name)
    return names


def build_record(algo: QCAlgorithm, loop: BacktestLoop, state: str = "Completed",
                 error: str | None = None) -> BacktestRecord:
    """The :class:`BacktestRecord` of a finished (or failed) run."""
    index = pd.DatetimeIndex(np.asarray(loop.times, dtype="datetime64[ns]"))
    equity = pd.Series(loop.equity, index=index, dtype=float)
    if isinstance(algo.risk_free_interest_rate_model, InterestRateProvider):
        rate_path = formats.interest_rate_path(algo._data_folder)
        # the file holds percent; the statistics take fractions
        rates = formats.read_interest_rate(rate_path) / 100.0 if rate_path.exists() else pd.Series(dtype=float)
    else:
        rates = rate_series(algo.risk_free_interest_rate_model, sample_times(algo.start_date, algo.time))
    orders = _order_frame(algo.transactions.get_orders())
    fills = pd.DataFrame(algo.transactions.fills, columns=FILL_COLUMNS)
    n = len(algo.portfolio._by_column)
    prices = None
    if n and loop.sample_steps and min(loop.sample_steps) >= 0:
        # a column added after a sample had no price then
        panel = np.zeros((len(loop.sample_closes), n))
        for k, closes in enumerate(loop.sample_closes):
            panel[k, : len(closes)] = closes
        prices = pd.DataFrame(panel, index=index, columns=[str(s.symbol) for s in algo.portfolio._by_column])
    return BacktestRecord(
        algorithm_name=algo.name,
        parameters=dict(algo._parameters),
        start=algo.start_date,
        end=algo.time,
        start_equity=loop.start_equity,
        equity=equity,
        benchmark=_benchmark_series(algo, index, int(loop._hour_ends[0]) if len(loop._hour_ends) else None),
        risk_free_rate=rates,
        orders=orders,
        fills=fills,
        profit_loss=dict(algo.portfolio.transaction_record),
        total_fees=algo.portfolio.total_fees,
        charts=algo.charts,
        holdings_value_long=pd.Series(loop.long_values, index=index, dtype=float),
        holdings_value_short=pd.Series(loop.short_values, index=index, dtype=float),
        logs=list(algo.logs),
        state=state,
        error=error,
        prices=prices,
        symbol_ids={str(s.symbol): feeds.security_identifier(algo._data_folder, s.symbol)
                    for s in algo.portfolio._by_column if s.type != SecurityType.BASE},
        end_date=algo.end_date,
        data_folder=str(algo._data_folder),
        capacity=None if loop.capacity is None else (loop.capacity.rounded, str(loop.capacity.lowest)),
    )


def run_algorithm(algorithm_class: type[QCAlgorithm], data_folder: Path, parameters: dict[str, str] | None = None,
                  object_store: Any = None, on_step: Any = None,
                  time_loop_minutes: float = DEFAULT_MINUTES) -> tuple[QCAlgorithm, BacktestRecord, BacktestLoop]:
    """Initialize and run ``algorithm_class``; returns the algorithm, its record and the loop.

    ``time_loop_minutes`` is LEAN's ``algorithm-manager-time-loop-maximum``: a time step running
    longer stops the run with LEAN's error (0 or less: no limit).

    Raises
    ------
    AlgorithmRuntimeError
        The algorithm's code raised (``sys.exit`` and ``quit`` included) or a time step ran past the
        limit; the exception's ``record`` holds the partial results (state ``RuntimeError``) and its
        message the traceback.
    AlgorithmInterrupted
        Ctrl-C; its ``record`` holds the partial results (state ``Stopped``).
    """
    algo = algorithm_class()
    algo._attach_engine(Path(data_folder), parameters or {}, object_store)
    loop = BacktestLoop(algo, on_step)
    try:
        algo._initializing = True
        algo._feed.clock.time = algo.start_date
        algo.initialize()
        algo._initializing = False
        loop.prepare()
        with TimeLoopLimit(time_loop_minutes, lambda: loop.feed.step) as limit:
            loop.time_limit = limit
            loop.run()
        algo.on_end_of_algorithm()
        loop.finish()
    except formats.DataFormatError:
        raise
    except KeyboardInterrupt as exc:
        algo.error("Algorithm stopped by the user (interrupt); partial results written")
        raise AlgorithmInterrupted(_partial_record(algo, loop, "", "Stopped")) from exc
    except (Exception, SystemExit) as exc:  # the algorithm's own error (sys.exit too): keep what ran so far
        trace = algorithm_traceback(exc)
        message = str(exc)
        if isinstance(exc, SystemExit):
            message = f"SystemExit({exc.code!r}): the algorithm called sys.exit or quit; use self.quit() to end a run"
            trace += message + "\n"
        algo.error(f"Runtime Error: {message}")
        record = _partial_record(algo, loop, f"{message}\n{trace}")
        raise AlgorithmRuntimeError(trace, record) from exc
    return algo, build_record(algo, loop), loop


RUNTIME_PACKAGE = str(Path(__file__).resolve().parents[1])


def algorithm_traceback(exc: BaseException) -> str:
    """``exc``'s traceback from the first frame outside ``lean_local`` (the algorithm's
    ``main.py``), as LEAN shows a Python algorithm's stack; the whole traceback when every frame
    is the runtime's."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if not frame.filename.startswith(RUNTIME_PACKAGE)), 0)
    return "".join(["Traceback (most recent call last):\n", *traceback.format_list(frames[first:]),
                    *traceback.format_exception_only(type(exc), exc)])


def _partial_record(algo: QCAlgorithm, loop: BacktestLoop, error: str, state: str = "RuntimeError") -> BacktestRecord:
    """The failed run's record; when even that cannot be built, a record of its name, dates, logs
    and error alone (the results of a failed run are written whatever state it stopped in)."""
    try:
        return build_record(algo, loop, state, error)
    except Exception as exc:  # noqa: BLE001 - the first error is the one to report
        return bare_record(algo.name, dict(algo._parameters), algo.start_date, algo.time, list(algo.logs),
                           f"{error}\nThe partial results could not be built: {exc!r}", str(algo._data_folder))


def bare_record(name: str, parameters: dict[str, str], start: datetime, end: datetime, logs: list[str],
                error: str, data_folder: str | None = None) -> BacktestRecord:
    """A failed run's record without samples, orders or charts (state ``RuntimeError``)."""
    index = pd.DatetimeIndex([])
    empty = pd.Series(dtype=float, index=index)
    return BacktestRecord(
        algorithm_name=name, parameters=parameters, start=start, end=end, start_equity=0.0, equity=empty,
        benchmark=empty, risk_free_rate=pd.Series(dtype=float), orders=pd.DataFrame(columns=ORDER_COLUMNS),
        fills=pd.DataFrame(columns=FILL_COLUMNS), profit_loss={}, total_fees=0.0, charts={},
        holdings_value_long=empty, holdings_value_short=empty, logs=logs, state="RuntimeError", error=error,
        data_folder=data_folder)


def load_algorithm_class(project_dir: Path, workspace: Path) -> type[QCAlgorithm]:
    """Import ``main.py`` with the shim and the project's libraries first on ``sys.path`` and find the algorithm."""
    project_dir = Path(project_dir).resolve()
    # the libraries of config.json, as lean-cli's python-additional-paths (nothing else of Library/)
    extra = [str(SHIM)] + [str(path) for path in workspaces.python_paths(workspace, project_dir)]
    for path in reversed(extra):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    sys.modules.pop("AlgorithmImports", None)
    module_name = f"lean_local_project_{abs(hash(str(project_dir)))}"
    spec = importlib.util.spec_from_file_location(module_name, project_dir / "main.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no main.py in {project_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    import AlgorithmImports  # noqa: F401  (the shim: the class the algorithm subclasses)

    base = sys.modules["AlgorithmImports"].QCAlgorithm
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, base) and obj is not base and obj.__module__ == module_name]
    if not found:
        raise ValueError(f"{project_dir / 'main.py'} defines no QCAlgorithm subclass")
    return found[0]



def run_backtest(project_dir: str | Path, *, parameters: dict[str, str] | None = None,
                 data_folder: str | Path | None = None, output_dir: str | Path | None = None,
                 progress: bool = True, report: bool = True, quiet: bool = False) -> RunResult:
    """Run a project folder like ``lean backtest``: load ``main.py``, run it, write LEAN's result
    files into ``<project>/backtests/<YYYY-MM-DD_HH-MM-SS>/`` (or ``output_dir``) and, unless
    ``report`` is False, the HTML report beside them; print the statistics table unless ``quiet``.

    Raises
    ------
    AlgorithmRuntimeError
        The algorithm raised; the partial results were written first (state ``RuntimeError``).
    AlgorithmInterrupted
        Ctrl-C; the partial results were written first (state ``Stopped``).
    lean_local.data.formats.DataFormatError
        A data file is corrupt; nothing is written.
    """
    from lean_local.object_store import ObjectStore
    from lean_local.results import format_statistics_table

    project = Path(project_dir).resolve()
    if not (project / "main.py").is_file():
        raise FileNotFoundError(f"{project} has no main.py")
    found = workspaces.find_workspace(project)
    workspace = found or project.parent
    folder = workspaces.data_folder(project, data_folder, reading=True)
    if not folder.is_dir():
        source = "--data-folder" if data_folder else "the workspace's data folder (lean.json, LEAN_DATA_FOLDER)"
        raise FileNotFoundError(f"{source} {folder} does not exist")
    config_path = project / "config.json"
    config = workspaces.project_config(project)
    if output_dir is not None and Path(output_dir).exists() and not Path(output_dir).is_dir():
        raise NotADirectoryError(f"--output {output_dir} is a file: give a folder for the results")
    check_parameter_names(parameters or {}, config.get("parameters", {}), config_path)
    merged = {k: str(v) for k, v in config.get("parameters", {}).items()}
    merged.update({k: str(v) for k, v in (parameters or {}).items()})
    store = ObjectStore(workspaces.object_store_root(found, project.parent))
    minutes = time_loop_minutes(workspaces.lean_config(found))
    algorithm_class = load_algorithm_class(project, workspace)
    out = Path(output_dir) if output_dir else claim_run_folder(project / "backtests")
    started = time_module.perf_counter()
    bar = _progress_bar(progress)
    try:
        algo, record, loop = run_algorithm(algorithm_class, folder, merged, store, on_step=bar,
                                           time_loop_minutes=minutes)
    except formats.DataFormatError:
        _close(bar)
        if not output_dir and not any(out.iterdir()):
            out.rmdir()  # a corrupt input leaves no empty run folder behind
        raise
    except (AlgorithmRuntimeError, AlgorithmInterrupted) as error:
        _close(bar)
        _, result_json = _write_outputs(error.record, out)
        if report:
            _write_report(result_json, folder)
        raise
    _close(bar)
    if loop.data_slices == 0:
        if output_dir is None and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # the run folder claimed for this run stays only when it holds results
        raise NoDataError(
            f"no data: no subscription of {algo.name} has data in {folder} from {algo.start_date:%Y-%m-%d} to "
            f"{algo.end_date:%Y-%m-%d}; the warnings above name each missing file and the command that builds it")
    seconds = time_module.perf_counter() - started
    statistics, result_json = _write_outputs(record, out)
    report_path = _write_report(result_json, folder) if report else None
    if not quiet:
        print(format_statistics_table(statistics))
        note = missing_benchmark_note(algo, record)
        if note:
            print(note)
        print(f"Backtest results written to {out} ({loop.data_points} data points in {seconds:.2f} s)")
        if report_path is not None:
            print(f"Report: {report_path}")
    return RunResult(algo, record, statistics, out, loop.data_points, seconds)


def _write_outputs(record: BacktestRecord, out: Path) -> tuple[dict[str, str], Path]:
    """Statistics and LEAN's result files of ``record``; returns the statistics and ``<id>.json``.

    Raises
    ------
    AlgorithmRuntimeError
        Computing or writing them raised: the run is marked failed and its name, dates, logs and
        error are written instead (a run that had already failed keeps its own error first).
    """
    from lean_local.results import write_results
    from lean_local.statistics import compute_statistics, compute_total_performance

    try:
        statistics = compute_statistics(record)
        return statistics, write_results(record, statistics, compute_total_performance(record), out)
    except Exception as exc:  # noqa: BLE001 - a failure here still leaves results, marked failed
        trace = traceback.format_exc()
        error = f"{record.error}\n" if record.error else ""
        error += f"Runtime Error: the result files could not be written: {exc}\n{trace}"
        failed = bare_record(record.algorithm_name, record.parameters, record.start, record.end,
                             [*record.logs, f"{record.end:%Y-%m-%d %H:%M:%S} ERROR:: the result files could not be written: {exc}"],
                             error, record.data_folder)
        write_results(failed, {}, compute_total_performance(failed), out)
        raise AlgorithmRuntimeError(error, failed) from exc


def _write_report(result_json: Path, data_folder: Path) -> Path | None:
    """The HTML report beside the result files; a report that fails warns and never fails the run."""
    from lean_local.report import write_report

    try:
        return write_report(result_json, data_folder=data_folder)
    except Exception as error:  # noqa: BLE001 - the backtest's results stand without their report
        print(f"warning: the HTML report could not be written: {error}", file=sys.stderr)
        return None


def _progress_bar(enabled: bool) -> Any:
    """The backtest's bar, or None when none shows (the loop then skips its updates)."""
    return progress.bar(0, "backtest", "step") if progress.shown(enabled) else None


def _close(bar: Any) -> None:
    if bar is not None:
        bar.close()
