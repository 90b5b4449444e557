"""LEAN's event loop over one initialized algorithm's data (``BacktestLoop``).

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
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data.map_files import MapFile
from lean_local.engine import intraday
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.benchmarks import SecurityBenchmark
from lean_local.engine.capacity import CapacityEstimate
from lean_local.engine.capacity_feed import CapacityFeed
from lean_local.engine.common import SecurityType, Symbol
from lean_local.engine.corporate_actions import apply_dividends
from lean_local.engine.corporate_events import EventSchedule, load_equities_events
from lean_local.engine.daily_readers import map_file_resolver
from lean_local.engine.data_points import benchmark_hour_ends, delisting_triggers, user_defined_universes
from lean_local.engine.margin_calls import MARGIN_CALL_FREQUENCY_NS, execute_margin_call, margin_call_clear
from lean_local.engine.portfolio_samples import CLEAR, POSITIVE, PortfolioSamples
from lean_local.engine.run_context import RunContext
from lean_local.engine.run_setup import schedule_end_of_day, setup_conversions, warmup_start
from lean_local.engine.slice import Delistings, Dividends, Slice, Splits, SymbolChangedEvents
from lean_local.engine.subscription_data import NEW_YORK, delisting_day_end_ns
from lean_local.engine.time_limit import TimeLoopLimit
from lean_local.engine.universe import SecurityChanges


class BacktestLoop:
    """Runs one initialized algorithm over its data."""

    def __init__(self, algo: QCAlgorithm, run: RunContext, progress: Any = None) -> None:
        self.algo = algo
        self.run_context = run
        self.progress = progress  # a tqdm bar (total and update), or None
        self.feed = run.feed
        self.securities_by_column = algo.portfolio.by_column  # the securities by feed column (grows in place)
        self.times: list[int] = []
        self.sample_steps: list[int] = []
        #: the samples' portfolio figures and closes (equity, long_values, short_values, sample_closes)
        self._samples = PortfolioSamples(algo.portfolio, self.feed)
        self.data_points = 0
        self.data_slices = 0  # time steps that carried data (zero: the run had no data at all)
        self.start_equity = 0.0
        self._selection_times: dict[int, list[tuple[Any, date]]] = {}
        self._delist_columns: list[tuple[int, int]] = []
        #: the earliest last_ns of _delist_columns: a step before it has no delisting to close (the list
        #: holds every subscribed security delisting later, thousands in a long universe run)
        self._next_delisting = 2**63 - 1
        self._added_by_api: set[Symbol] = set()  # the user-defined universes' securities (delisting_triggers)
        self.events = EventSchedule()
        self._event_columns = 0  # subscriptions whose corporate events are scheduled
        #: id(exchange hours) -> (hours, first day, its trading days from that day to the end date)
        self._event_days: dict[int, tuple[Any, pd.Timestamp, pd.DatetimeIndex]] = {}
        self.framework: Any = None  # lean_local.framework.driver.Framework when the algorithm uses it
        self.capacity: CapacityEstimate | None = None
        self._capacity_feed: CapacityFeed | None = None  # feeds self.capacity
        self.hour_ends = np.empty(0, dtype=np.int64)  # the benchmark's internal hour bars (data_points)
        self._hour_utc = self.hour_ends  # the same, as UTC nanoseconds (the capacity estimate's clock)
        self.time_limit: TimeLoopLimit | None = None

    def _schedule_events(self, first_column: int, from_ns: int) -> None:
        """Schedule the splits, dividends, delistings and ticker changes of the equity
        subscriptions from ``first_column`` on, from ``from_ns`` (LEAN's auxiliary data)."""
        run = self.run_context
        resolvers: dict[str, Any] = {}  # by market: each resolver is looked up (its folder checked) once
        # by exchange hours (the same for most securities): the trading days, the time zone, and the
        # subscriptions whose events are computed together (their place in column order, symbol, map file)
        groups: dict[int, tuple[pd.DatetimeIndex, str, list[int], list[Any]]] = {}
        from_day = pd.Timestamp(from_ns).normalize()
        count = 0
        for column in range(first_column, len(self.feed.subs)):
            security = self.securities_by_column[column]
            sub = self.feed.data(column)
            if security.type != SecurityType.EQUITY or sub.kind != "trade":
                continue
            market = security.symbol.market
            if market not in resolvers:
                resolvers[market] = map_file_resolver(run.data_folder, market)
            map_file = resolvers[market].resolve(security.symbol.value) or MapFile.unmapped(security.symbol.value)
            hours = security.exchange.hours
            group = groups.get(id(hours))
            if group is None:
                group = groups[id(hours)] = (self._trading_days_from(hours, from_day), hours.time_zone, [], [])
            group[2].append(count)
            group[3].append((security.symbol, map_file, functools.partial(_last_close, sub)))
            count += 1
        # every subscription's entries in column order, scheduled together (a run's start: one heapify)
        ordered: list[list[Any]] = [[] for _ in range(count)]
        for days, time_zone, places, subscriptions in groups.values():
            for place, found in zip(places, load_equities_events(run.data_folder, subscriptions, days, time_zone),
                                    strict=True):
                ordered[place] = found
        entries = [entry for found in ordered for entry in found]
        self.events.add(entries, from_ns)
        self._event_columns = len(self.feed.subs)

    def _trading_days_from(self, hours: Any, from_day: pd.Timestamp) -> pd.DatetimeIndex:
        """``hours.trading_days(from_day, end date)`` as the tail of the days from the earliest day asked
        (a universe adding securities most days asked for the rest of the run's days each day)."""
        known = self._event_days.get(id(hours))
        if known is None or from_day < known[1]:
            known = self._event_days[id(hours)] = (hours, from_day, hours.trading_days(from_day, self.algo.end_date))
        days = known[2]
        return days[days.searchsorted(from_day):]

    def prepare(self) -> None:
        algo = self.algo
        run = self.run_context
        if algo.end_date < algo.start_date:  # LEAN's QCAlgorithm.PostInitialize
            raise ValueError("Please select an algorithm end date greater than start date.")
        # the framework's universes join the algorithm's before their selection times are laid out
        self.framework = run.framework_for_run()
        run_start = warmup_start(algo, run)
        run.run_start = run_start
        start_ns = int(pd.Timestamp(run_start).value)
        self.data_points = user_defined_universes([security for security, _ in run.pending])
        self._added_by_api = {security.symbol for security, _ in run.pending}
        for security, loader in run.pending:
            run.activate(security, loader(), start_ns)
        # securities added in initialize reach on_securities_changed at the first time step, custom
        # data excluded (LEAN's user-defined universes; SecurityChanges.FilterCustomSecurities)
        initial = [security for security, _ in run.pending if security.type != SecurityType.BASE]
        run.pending_changes = (initial + run.pending_changes[0], run.pending_changes[1])
        run.pending = []
        self._schedule_events(0, start_ns)
        self.feed.panel.add_times(self.events.times())
        if run.universes:
            hours = run.exchange_hours(Symbol("SPY"))
        for universe in run.universes:
            plan = universe.emissions(run_start, algo.end_date, hours)
            times = pd.DatetimeIndex([when for when, _ in plan]).asi8
            self.feed.panel.add_times(times)
            for t, (_, day) in zip(times.tolist(), plan, strict=True):
                self._selection_times.setdefault(t, []).append((universe, day))
        # a universe's last collection ends after the end date: LEAN's feed still delivers that step
        last_ns = max([int(pd.Timestamp(algo.end_date).value), *self._selection_times])
        self.feed.start(start_ns, last_ns)
        setup_conversions(algo, run.data_folder)
        schedule_end_of_day(algo, run)
        # LEAN's ScheduleManager enumerates dates from the algorithm's date (the start date during
        # initialize) minus one day: warm-up days before that have no events
        algo.schedule.expand_all(max(run_start, algo.start_date - timedelta(days=1)))
        self.capacity = CapacityEstimate(algo.start_date, algo.end_date)
        self._capacity_feed = CapacityFeed(algo, self.feed, self.capacity)
        # LEAN adds the benchmark feed at the first time slice, the earliest data of the run: later than
        # the start when nothing has data then (a constituents universe's first file), unless a
        # user-defined universe (add_equity's) triggers at the start (IndiaDataRegressionAlgorithm's
        # first bar and event come weeks later)
        grid = self.feed.panel.grid
        first = pd.Timestamp(int(grid[0])).to_pydatetime() if len(grid) else run_start
        if self.data_points:
            first = min(first, run_start)
        if isinstance(algo.benchmark, SecurityBenchmark):  # a function benchmark has no internal feed
            benchmark = algo.benchmark.symbol
            self.hour_ends = benchmark_hour_ends(run.data_folder, benchmark, run.exchange_hours(benchmark),
                                                  max(first, run_start), algo.end_date)
            self._hour_utc = pd.DatetimeIndex(self.hour_ends).tz_localize(NEW_YORK).asi8
        run.running = True
        run.warming_up = run_start < algo.start_date
        run.feed.clock.time = run_start

    def _fire_events(self, until: datetime, inclusive: bool) -> None:
        algo = self.algo
        run = self.run_context
        # an algorithm without scheduled events (twice a step): nothing to pop
        for when, _order, event in algo.schedule.due(until, inclusive) if algo.schedule.events else ():
            if not event.enabled:
                continue
            run.feed.clock.time = when
            run.warming_up = when < algo.start_date
            event.callback()
        run.feed.clock.time = until

    def _close_delisted(self, now_ns: int) -> None:
        """Close the positions of the securities delisted before ``now_ns`` (past the earliest delisting)."""
        algo = self.algo
        run = self.run_context
        due = [(column, last_ns) for column, last_ns in self._delist_columns if now_ns > last_ns]
        self._next_delisting = min((last for _, last in self._delist_columns if now_ns <= last), default=2**63 - 1)
        self.data_points += delisting_triggers([self.securities_by_column[column] for column, _ in due],
                                               self._added_by_api, run.universes)
        for column, last_ns in due:
            security = self.securities_by_column[column]
            self._delist_columns.remove((column, last_ns))
            self.feed.delisted.add(column)
            # a subscription removed earlier left the collection then (LEAN's TryRemove), not again here
            if not security.stream_ended and column not in run.removed:
                run.fill_forward_resolution.ended(security.resolution)
            algo.universe_manager.remove_delisted(security.symbol)
            # BacktestingBrokerage.ProcessDelistings: liquidate at the last price without a fee
            # (BrokerageTransactionHandler.HandleDelistingNotification), then cancel the open orders
            quantity = security.holdings.quantity
            if quantity != 0 and security.price > 0:
                algo.transactions.submit_delisting(security, -quantity)
            if not algo.is_warming_up:
                algo.transactions.cancel_open_orders(security.symbol)
            # SplitDelistingManager.HandleDelistedSymbols: no order may open a position in it again
            security.is_tradable = False

    def _refresh_delistings(self) -> None:
        columns = self.feed.take_new_streams()
        if not columns:
            return
        tracked = {c for c, _ in self._delist_columns}
        for column in sorted(set(columns)):  # column order, as a scan of every column gives
            sub = self.feed.subs[column]
            if sub.delisted is not None and column not in tracked and column not in self.feed.delisted:
                last = delisting_day_end_ns(sub.delisted)
                self._delist_columns.append((column, last))
                self._next_delisting = min(self._next_delisting, last)

    def run(self) -> None:
        algo = self.algo
        run = self.run_context
        feed = self.feed
        grid = feed.panel.grid
        self._refresh_delistings()
        warm = run.warming_up
        framework = self.framework
        cashes = [c for c in algo.portfolio.cash_book.values() if c.currency_conversion is not None]
        for cash in cashes:
            cash.update()
        if self.progress is not None:
            self.progress.total = len(feed.panel.grid)
        next_margin_call_ns = 0
        portfolio, schedule, corporate = algo.portfolio, algo.schedule, self.events
        samples, capacity, progress, time_limit = self._samples, self.capacity, self.progress, self.time_limit
        # the objects the loop reads a step (each changed in place, never replaced, during the run)
        selection_times, capacity_feed, by_column = self._selection_times, self._capacity_feed, self.securities_by_column
        securities, transactions = algo.securities, algo.transactions
        sample_times, sample_steps = self.times, self.sample_steps
        hour_feed = bool(len(self.hour_ends))
        # the steps' datetimes, converted a chunk at a time (the grid is replaced, never changed, when times join)
        times: list[datetime] = []
        times_grid, times_first = None, 0
        # ``while True`` and a break, not ``while <condition>``: CPython 3.11 specialises (quickens) a code
        # object once it warmed up, counting calls and unconditional backward jumps only; a ``while <condition>``
        # loop jumps back conditionally, so this function, called once a run, would run every step unspecialised
        # (2-3 times the cost of its attribute reads, calls and arithmetic)
        while True:
            grid = feed.panel.grid
            i = feed.step + 1
            if i >= len(grid):
                break
            if progress is not None and i % 64 == 1:
                progress.n = i
                progress.refresh()
            next_ns = grid.item(i)
            k = i - times_first
            if grid is not times_grid or k >= len(times):
                times, times_grid, times_first, k = _step_datetimes(grid, i), grid, i, 0
            next_time = times[k]  # as the feed's clock reads the step
            if not warm and i and not samples.flags() & POSITIVE and portfolio.total_portfolio_value <= 0:
                algo.error("Portfolio value is less than or equal to zero, stopping algorithm.")
                break
            if schedule.events:
                self._fire_events(next_time, inclusive=False)
            else:  # nothing to fire: the clock moves on all the same
                feed.clock.time = next_time
            if hour_feed and capacity is not None and capacity.may_be_due(next_ns):  # else no hour is due either
                self._hour_steps(next_ns)
            feed.advance(next_time)
            now = next_time  # the algorithm's time (the feed's clock)
            run.warming_up = now < algo.start_date
            if run.empty_streams:
                run.end_empty_streams(before_selections=True)
            universes = selection_times.get(next_ns)
            if universes:
                for universe, day in universes:
                    self.data_points += run.run_selection(universe, day)
                self._refresh_delistings()
                if len(feed.subs) > self._event_columns:
                    self._schedule_events(self._event_columns, next_ns)
            if run.empty_streams:
                run.end_empty_streams(before_selections=False)
            # AddPendingInternalDataFeeds adds the benchmark's hour feed after the first step's selections
            run.benchmark_hour_feed = hour_feed
            events = corporate.due(next_ns) if next_ns >= corporate.next_ns else None
            if events is not None and run.removed:
                # a removed security's subscription has ended: LEAN reads no more events for it
                # (the day's few symbols looked up: the removed ones grow with the securities ever subscribed)
                events.drop({symbol for symbol in events.symbols()
                             if (security := securities.get(symbol)) is not None and security.column in run.removed})
                if not len(events):
                    events = None
            for cash in cashes:
                cash.update()
            if next_ns >= next_margin_call_ns:  # LEAN's AlgorithmManager checks at most every 5 minutes
                next_margin_call_ns = next_ns + MARGIN_CALL_FREQUENCY_NS
                if not run.warming_up and not samples.flags() & CLEAR and not margin_call_clear(portfolio):
                    execute_margin_call(algo)
            if warm and not run.warming_up:
                warm = False
                self.start_equity = algo.portfolio.total_portfolio_value
                algo.on_warmup_finished()
            if events is not None and events.symbol_changed_events:
                algo.on_symbol_changed_events(SymbolChangedEvents(events.symbol_changed_events))
                for symbol in events.symbol_changed_events:
                    for ticket in algo.transactions.get_open_order_tickets(symbol):
                        ticket.cancel("Open order cancelled on symbol changed event")
            transactions.process()
            if next_ns > self._next_delisting:
                self._close_delisted(next_ns)
            if run.pending_removal:
                run.remove_flat()
            if schedule.events:
                self._fire_events(now, inclusive=True)
            else:
                feed.clock.time = now
            added, removed = run.pending_changes
            if added or removed:
                run.pending_changes = ([], [])
                changes = SecurityChanges(added, removed)
                algo.on_securities_changed(changes)
                if framework is not None:
                    framework.on_securities_changed(changes)
            if events is not None and events.dividends and not run.warming_up:
                if next_ns % _DAY_NS == 0:
                    # LEAN's daily sample at midnight (realtime.SetTime) runs before HandleDividends
                    samples.keep_value(next_ns)
                apply_dividends(portfolio, securities, events.dividends)
            emitted = feed.emitted_mask()
            columns = emitted.nonzero()[0]  # the mask is one-dimensional: np.flatnonzero without its ravel
            current = None
            if len(columns) or events is not None:
                self.data_points += len(columns) + (len(events) if events is not None else 0)
                if run.quoted_columns:
                    self.data_points += intraday.quote_points(feed, run.quoted_columns)
                self.data_slices += 1
                current = Slice(now, columns, by_column, securities, emitted, events)
                run.current_slice = current
                run.update_consolidators(current)
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
            if run.universe_restarts:
                self._restart_universes(next_ns)
            capacity_feed.step(next_ns)  # type: ignore[union-attr]  # made by prepare
            if time_limit is not None and time_limit.exceeded is not None:
                time_limit.raise_if_exceeded()  # the step caught LEAN's error itself: stop anyway
            if not run.warming_up:  # _sample's body, inline: a call a step saved
                if not sample_times:
                    self.start_equity = self.start_equity or portfolio.total_portfolio_value
                sample_times.append(next_ns)
                sample_steps.append(i)
                samples.take()
            if run.quit_requested:
                # LEAN stops before the next step; the final sample still sees this step's prices
                break
        if not self.sample_steps and not run.warming_up and feed.step >= 0:
            self._sample(int(pd.Timestamp(algo.time).value))
        # the internal hour feed runs to the end date even past the last data of the algorithm's own
        # subscriptions (an India equity's last bar ends at 05:00 New York); quit() stops it
        last = pd.Timestamp(min(algo.time, algo.end_date) if run.quit_requested else algo.end_date).value
        self.data_points += int(np.count_nonzero(self.hour_ends - _HOUR_NS <= last))

    def _restart_universes(self, now_ns: int) -> None:
        """Trigger the universes LEAN restarted this step (``DataManager`` on a fill-forward resolution
        change): the restarted subscription starts one tick after now and triggers then whatever the
        exchange hours (one more selection and data point), then follows ``GetTriggerTimes`` from there."""
        algo = self.algo
        run = self.run_context
        hours = run.exchange_hours(Symbol("SPY"))
        restarted, run.universe_restarts = run.universe_restarts, []
        for universe in restarted:
            (_, day), *later = universe.emissions(algo.time, algo.end_date, hours)
            self.data_points += run.run_selection(universe, day)
            for t in [t for t in self._selection_times if t > now_ns]:
                kept = [entry for entry in self._selection_times[t] if entry[0] is not universe]
                if kept:
                    self._selection_times[t] = kept
                else:
                    del self._selection_times[t]
            times = pd.DatetimeIndex([when for when, _ in later]).asi8
            for t, (_, when_day) in zip(times.tolist(), later, strict=True):
                self._selection_times.setdefault(t, []).append((universe, when_day))
            self.feed.add_times(times)

    def _hour_steps(self, next_ns: int) -> None:
        """The internal benchmark feed's steps before ``next_ns`` (asked when the capacity estimate may be
        due by then): no bar reaches the algorithm, but a capacity snapshot falling due then is taken then
        (with the previous step's fills and prices)."""
        previous = int(self.feed.panel.grid[self.feed.step]) if self.feed.step >= 0 else -1
        lo = int(np.searchsorted(self.hour_ends, previous, side="right"))
        hi = int(np.searchsorted(self.hour_ends, next_ns, side="left"))
        self._capacity_feed.hour_snapshots(self._hour_utc[lo:hi].tolist())

    def finish(self) -> None:
        """After ``on_end_of_algorithm``: LEAN's two forced result-handler passes (the algorithm
        manager's and the result handler's exit) each take a capacity snapshot."""
        if self._capacity_feed is not None:
            now_ns = int(pd.Timestamp(self.algo.time).value)
            self._capacity_feed.step(now_ns, force=True)
            self._capacity_feed.step(now_ns, force=True)

    def _sample(self, now_ns: int) -> None:
        algo = self.algo
        if not self.times:
            self.start_equity = self.start_equity or algo.portfolio.total_portfolio_value
        self.times.append(now_ns)
        self.sample_steps.append(self.feed.step)
        self._samples.take()

    @property
    def values_before_dividends(self) -> dict[int, float]:
        """Each midnight step's portfolio value before its dividends, by the step."""
        return self._samples.kept_values()

    @property
    def equity(self) -> list[float]:
        """Each sample's portfolio value (account currency)."""
        return self._samples.series()[0]

    @property
    def long_values(self) -> list[float]:
        """Each sample's summed long holdings value."""
        return self._samples.series()[1]

    @property
    def short_values(self) -> list[float]:
        """Each sample's summed short holdings value."""
        return self._samples.series()[2]

    @property
    def sample_closes(self) -> list[np.ndarray]:
        """Each sample's closes per column (the columns present then)."""
        return self._samples.closes


def _last_close(sub: Any, field_name: str, day_ns: int) -> float:
    """A subscription's closes for its corporate events (``EventSource.closes``): the last daily close
    before the midnight ``day_ns`` (0 before any), read off its bars (the last bar ending before that
    midnight is the last day's last bar). ``raw``: the close over its factor (the adjusted close
    unadjusted); ``normalized``: the close as the algorithm sees it."""
    i = int(np.searchsorted(sub.end_time, day_ns, side="left")) - 1
    if i < 0:
        return 0.0
    close = sub.fields["close"].item(i)
    if field_name == "normalized":
        return close
    factor = sub.factor.item(i)
    return close / (factor if factor > 0 else 1.0)


def _step_datetimes(grid: np.ndarray, first: int) -> list[datetime]:
    """:func:`ns_to_datetime` of ``grid[first:first + _TIMES_CHUNK]`` (whole microseconds, floored) in one
    conversion: a datetime costs a fifth of a call of it."""
    return (grid[first:first + _TIMES_CHUNK] // 1000).view("datetime64[us]").tolist()


_TIMES_CHUNK = 256
_HOUR_NS = 3_600 * 10**9
_DAY_NS = 24 * _HOUR_NS

