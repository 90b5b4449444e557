"""Coarse / fundamental universe selection (LEAN ``AddUniverse(selector)``) on daily files.

The coarse file of trading day T is handed to the selector at T+1 00:00 New York (LEAN's
``CoarseFundamental``/``Fundamental`` data ends at midnight after its day); securities the
selector adds receive their first daily bar at T+1's close. A security the selector drops leaves
the universe only when it holds no position and no open order (LEAN's ``Universe.CanRemoveMember``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine import feed as feeds
from lean_local.engine.common import (
    DataNormalizationMode,
    Market,
    Resolution,
    SecurityType,
    Symbol,
    not_supported,
)
from lean_local.engine.identifiers import SecurityIdentifier


class Fundamental:
    """One row of the coarse universe file.

    ``price``/``value`` is the raw close in dollars; ``adjusted_price`` applies the file's price and
    split factors. ``has_fundamental_data`` is False: LEAN's default local fundamental provider has
    no fundamental data, so local LEAN runs see False whatever the file says (reference section 4).
    """

    __slots__ = ("symbol", "value", "volume", "dollar_volume", "price_factor", "split_factor", "end_time")

    has_fundamental_data = False

    def __init__(self, symbol: Symbol, close: float, volume: float, dollar_volume: float,
                 price_factor: float, split_factor: float, end_time: datetime) -> None:
        self.symbol = symbol
        self.value = close
        self.volume = volume
        self.dollar_volume = dollar_volume
        self.price_factor = price_factor
        self.split_factor = split_factor
        self.end_time = end_time

    @property
    def price(self) -> float:
        return self.value

    @property
    def price_scale_factor(self) -> float:
        return self.price_factor * self.split_factor

    @property
    def adjusted_price(self) -> float:
        return self.value * self.price_factor * self.split_factor

    @property
    def market(self) -> str:
        return Market.USA

    @property
    def time(self) -> datetime:
        return self.end_time - timedelta(days=1)

    def __getattr__(self, name: str) -> Any:
        raise not_supported("Fundamental", name)

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.value:g} ${self.dollar_volume:,.0f}"


CoarseFundamental = Fundamental


class Schedule:
    """``universe_settings.schedule`` (LEAN ``Schedule``): the date rule of a scheduled selection."""

    def __init__(self) -> None:
        self._date_rule: Any = None

    @property
    def initialized(self) -> bool:
        return self._date_rule is not None

    def on(self, date_rule: Any) -> None:
        self._date_rule = date_rule

    def get(self, start: date, end: date) -> list[date]:
        """The rule's dates in ``[start, end]`` (none without a rule)."""
        return [] if self._date_rule is None else list(self._date_rule.dates(start, end))

    def clone(self) -> Schedule:
        copy = Schedule()
        copy._date_rule = self._date_rule
        return copy


class UniverseSettings:
    """``self.universe_settings`` (LEAN's defaults); ``UniverseSettings(other)`` copies ``other``
    with its own schedule (``UniverseSettings(UniverseSettings)``)."""

    def __init__(self, other: UniverseSettings | None = None) -> None:
        self.resolution = Resolution.MINUTE
        self.leverage = float("nan")
        self.fill_forward = True
        self.extended_market_hours = False
        self.minimum_time_in_universe = timedelta(days=1)
        self.data_normalization_mode = DataNormalizationMode.ADJUSTED
        self.asynchronous = False
        self.schedule = Schedule()
        if other is not None:
            for name in ("resolution", "leverage", "fill_forward", "extended_market_hours",
                         "minimum_time_in_universe", "data_normalization_mode", "asynchronous"):
                setattr(self, name, getattr(other, name))
            self.schedule = other.schedule.clone()


class SecurityChanges:
    """What changed in the universe at one time step."""

    def __init__(self, added: list[Any], removed: list[Any]) -> None:
        self.added_securities = list(added)
        self.removed_securities = list(removed)

    @property
    def count(self) -> int:
        return len(self.added_securities) + len(self.removed_securities)

    def __repr__(self) -> str:
        added = ", ".join(str(s.symbol) for s in self.added_securities)
        removed = ", ".join(str(s.symbol) for s in self.removed_securities)
        return f"SecurityChanges: Added: {added} Removed: {removed}"


class SymbolSet(dict):
    """An insertion-ordered set of symbols with LEAN's ``count`` (``HashSet<Symbol>`` /
    ``Dictionary<Symbol, Security>`` as pythonnet shows them); iterating yields the keys."""

    @property
    def count(self) -> int:
        return len(self)

    def contains(self, symbol: Any) -> bool:
        return symbol in self

    contains_key = contains


class SymbolKeyValuePair:
    """One entry of a .NET dictionary as pythonnet's iteration yields it (``.key``, ``.value``)."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value


class ActiveSecurities(dict):
    """``self.active_securities`` (LEAN ``UniverseManager.ActiveSecurities``): symbol -> security of
    every member of a universe (``add_equity`` included); iterating yields key/value pairs as
    pythonnet iterates LEAN's dictionary, ``in`` and ``[symbol]`` look up by symbol."""

    def __iter__(self) -> Any:
        return (SymbolKeyValuePair(key, value) for key, value in self.items())

    @property
    def count(self) -> int:
        return len(self)

    def contains_key(self, symbol: Any) -> bool:
        return symbol in self


class _Unchanged:
    """LEAN's ``Universe.UNCHANGED``: a selection result meaning "keep the current members"."""

    def __repr__(self) -> str:
        return "Universe.UNCHANGED"


class Universe:
    """A universe's state as LEAN's ``Universe`` keeps it.

    ``selected`` is the last selection's symbol set; ``members`` the securities in the universe,
    which may still hold symbols no longer selected (minimum time in universe not reached, or a
    removal pending on holdings or open orders). ``UNCHANGED`` is LEAN's sentinel result.
    """

    UNCHANGED = _Unchanged()

    def __init__(self, settings: UniverseSettings | None) -> None:
        self.universe_settings = settings if settings is not None else UniverseSettings()
        self._default_settings = settings is None
        self.selected: SymbolSet = SymbolSet()
        self.members: SymbolSet = SymbolSet()  # symbol -> (security, time added)
        self._previous: set[Symbol] | None = None

    def perform_selection(self, result: Any) -> Any:
        """LEAN's ``Universe.PerformSelection``: ``UNCHANGED`` when the selector says so or selects the
        same symbol set as last time, else the selected symbols (in the selector's order)."""
        if result is Universe.UNCHANGED:
            return result
        symbols = list(dict.fromkeys(s if isinstance(s, Symbol) else Symbol(str(s)) for s in result))
        chosen = set(symbols)
        if self._previous is not None and chosen == self._previous:
            return Universe.UNCHANGED
        self._previous = chosen
        return symbols

    def data_points(self, rows: list[Any]) -> int:
        """The data points one selection counts (LEAN's ``TimeSliceFactory`` counts every item of a
        universe's data collection): each row of its selection data."""
        return len(rows)

    def can_remove_member(self, now: datetime, symbol: Symbol) -> bool:
        """LEAN's ``Universe.CanRemoveMember``: the member's time in the universe, rounded (half to
        even) to a day, an hour, a minute or a second by the size of ``minimum_time_in_universe``,
        has reached ``minimum_time_in_universe``."""
        member = self.members.get(symbol)
        if member is None:
            return False
        minimum = self.universe_settings.minimum_time_in_universe
        interval = next((unit for unit in (timedelta(days=1), timedelta(hours=1), timedelta(minutes=1),
                                           timedelta(seconds=1)) if minimum >= unit), minimum)
        elapsed = now - member[1]
        if interval > timedelta(0):
            elapsed = interval * round(elapsed / interval)
        return elapsed >= minimum


class FundamentalUniverse(Universe):
    """A fundamental (coarse) universe over the data folder's coarse files (LEAN ``FundamentalUniverse``).

    Each row's security is its ``sid`` (LEAN's ``SecurityIdentifier``), resolved through the map
    files: a security keeps one :class:`Symbol` for the whole run, so a member renamed while
    selected (or held) stays one security, and its subscription reads every period's bars from the
    zip of the ticker of that period. What is modelled of LEAN's ``Symbol.value``: it is the ticker
    of the row where the run first meets the security, and stays so after a rename (LEAN updates it
    on the rename day; the runtime keys securities by that string). When that ticker has since
    passed to another company (GOOG, Google's class A until 2014, class C after), the symbol takes
    its map file's name (GOOGL) instead, so ``add_equity`` of it finds this security's data. A row
    whose ``sid`` no map file knows is its ticker, as before map files. A row of a security the
    algorithm already has (``add_equity`` of the ticker resolving to the same map file) gets that
    security's symbol.

    ``UNCHANGED`` is the class attribute of :class:`Universe`; ``selector`` may return it.
    """

    def __init__(self, data_folder: Path, selector: Callable[[list[Fundamental]], Any],
                 settings: UniverseSettings | None = None) -> None:
        super().__init__(settings)
        self.data_folder = Path(data_folder)
        self.selector = selector
        folder = formats.coarse_folder(self.data_folder)
        names = sorted(p.stem for p in folder.glob("*.csv")) if folder.exists() else []
        self.file_dates = pd.DatetimeIndex([pd.Timestamp(n) for n in names if n.isdigit() and len(n) == 8])
        # one Symbol per security identifier for the whole run
        self._symbols: dict[str, Symbol] = {}
        self._map_files = feeds.map_file_resolver(self.data_folder)
        #: the algorithm's symbol of a security it already has, by map file (set by ``add_universe``)
        self.known_symbol: Callable[[Any], Symbol | None] = lambda map_file: None

    @property
    def data_type(self) -> type:
        return Fundamental

    @classmethod
    def usa(cls, selector: Callable[[list[Fundamental]], Any],
            universe_settings: UniverseSettings | None = None) -> FundamentalUniverse:
        """LEAN's ``FundamentalUniverse.usa(selector, universe_settings=None)``: without settings, the
        universe uses the algorithm's ``universe_settings`` object (set when it is added)."""
        return cls(Path(os.environ.get("LEAN_DATA_FOLDER", "data")), selector, universe_settings)

    def emissions(self, start: datetime, end: datetime, hours: Any) -> list[tuple[datetime, date]]:
        """When the universe selects, with which coarse file, from ``start`` to ``end``.

        LEAN (``DataManager`` universe requests, ``BaseDataCollectionSubscriptionEnumeratorFactory``,
        ``ScheduledEnumerator``): the universe's data starts one trading day before ``start`` (before
        the schedule's last date at or before ``start`` when the settings have a schedule); the file
        of each trading day T is a collection ending at T+1 00:00, empty when the file is missing.
        Without a schedule each collection triggers a selection at its end; with one, each schedule
        date D selects with the newest collection ending at or before D (again the last one when no
        newer exists). A selection due before ``start`` happens at ``start``. Returns the
        ``(time, file day)`` pairs; the last may lie after ``end`` (the file of the end date: LEAN's
        feed delivers that step and counts its rows as data points, but selects no more).
        """
        schedule = self.universe_settings.schedule
        anchor = start.date()
        if schedule.initialized:
            for back in range(365):
                day = anchor - timedelta(days=back)
                if schedule.get(day, day):
                    anchor = day
                    break
        lookback = hours.trading_days(anchor - timedelta(days=30), anchor - timedelta(days=1))
        first = lookback[-1].date() if len(lookback) else anchor
        days = [d.date() for d in hours.trading_days(first, end.date())]
        plan: list[tuple[datetime, date]] = []
        if schedule.initialized:
            ends = [datetime.combine(d, time()) + timedelta(days=1) for d in days]
            k = -1
            for when in schedule.get(first, end.date()):
                at = datetime.combine(when, time())
                while k + 1 < len(days) and ends[k + 1] <= at:
                    k += 1
                if k >= 0:
                    plan.append((max(at, start), days[k]))
        else:
            plan = [(max(datetime.combine(d, time()) + timedelta(days=1), start), d) for d in days]
        # several selections due before the start happen once, at the start, with the newest data
        while len(plan) > 1 and plan[1][0] == plan[0][0]:
            plan.pop(0)
        return plan

    def selection_times(self, start: datetime, end: datetime) -> np.ndarray:
        """int64 ns of T+1 00:00 for each coarse file day T, within ``[start, end]`` (research's history)."""
        times = self.file_dates + pd.Timedelta(days=1)
        times = times[(times >= pd.Timestamp(start)) & (times <= pd.Timestamp(end))]
        return times.asi8

    def rows_for(self, selection_time: datetime) -> list[Fundamental]:
        """The coarse rows handed over at ``selection_time`` (the file of the day before)."""
        return self.rows_for_day((pd.Timestamp(selection_time).normalize() - pd.Timedelta(days=1)).date())

    def rows_for_day(self, day: date) -> list[Fundamental]:
        """The rows of the coarse file of ``day`` as :class:`Fundamental` objects ([] without a file)."""
        path = formats.coarse_path(self.data_folder, pd.Timestamp(day))
        if not path.exists():
            return []
        # parsed once, then read back as columns (the ML demo reads 2,500 files of 500 rows)
        frame = feeds.cached_read(formats.read_coarse, path)
        sids, tickers, closes, volumes, dollar_volumes, price_factors, split_factors = (
            frame[name].to_numpy().tolist()
            for name in ("sid", "symbol", "close", "volume", "dollar_volume", "price_factor", "split_factor"))
        symbols = self._symbols
        known = [symbols.get(sid) for sid in sids]
        if None in known:
            known = [self._symbol(sid, ticker) for sid, ticker in zip(sids, tickers, strict=True)]
        end = datetime.combine(day, time()) + timedelta(days=1)
        return list(map(Fundamental, known, closes, volumes, dollar_volumes, price_factors, split_factors,
                        itertools.repeat(end)))

    def _symbol(self, sid: str, ticker: str) -> Symbol:
        """The run's Symbol of a security identifier, named when first met under ``ticker`` (see the class)."""
        known = self._symbols.get(sid)
        if known is not None:
            return known
        name = ticker
        map_file = self._map_files.resolve_sid(sid)
        if map_file is not None:
            # a security the algorithm already added (add_equity("GOOG") is Google's class C, met in
            # the coarse files as GOOCV) is that security: LEAN's symbols are equal by identifier
            existing = self.known_symbol(map_file)
            if existing is not None:
                self._symbols[sid] = existing
                return existing
            if self._map_files.resolve(ticker) is not map_file:
                name = map_file.permtick
        symbol = self._symbols[sid] = Symbol(name, SecurityType.EQUITY, Market.USA)
        try:
            symbol._sid = SecurityIdentifier.parse(sid)
        except ValueError:
            pass  # not LEAN's encoding (hand-made files): the symbol's id comes from its ticker
        return symbol

    def select_symbols(self, now: datetime, rows: list[Fundamental], debug: Callable[[str], None]) -> Any:
        """The selector's result on ``rows`` (LEAN ``SelectSymbols``), before the unchanged check."""
        return self.selector(rows)

    def select(self, selection_time: datetime, rows: list[Fundamental] | None = None,
               debug: Callable[[str], None] = print) -> Any:
        """Run the selection; returns the selected symbols or ``Universe.UNCHANGED``."""
        rows = self.rows_for(selection_time) if rows is None else rows
        return self.perform_selection(self.select_symbols(selection_time, rows, debug))


CoarseUniverse = FundamentalUniverse


class FundamentalFilteredUniverse(FundamentalUniverse):
    """Coarse then fine selection (LEAN ``AddUniverse(coarse, fine)``, ``FineFundamentalFilteredUniverse``).

    The fine selector receives the coarse-selected rows that have fundamental data
    (``UniverseSelection.ApplyUniverseSelection``); with LEAN's default fundamental data provider
    (``CoarseFundamentalDataProvider``) no row has, so the fine selector receives an empty list and
    LEAN's note is logged once.
    """

    def __init__(self, data_folder: Path, selector: Callable[[list[Fundamental]], Any],
                 fine_selector: Callable[[list[Fundamental]], Any], settings: UniverseSettings | None = None) -> None:
        super().__init__(data_folder, selector, settings)
        self.fine_selector = fine_selector
        self._noted = False

    def select_symbols(self, now: datetime, rows: list[Fundamental], debug: Callable[[str], None]) -> Any:
        coarse = self.selector(rows)
        if coarse is Universe.UNCHANGED:
            return coarse
        wanted = {s if isinstance(s, Symbol) else Symbol(str(s)) for s in coarse}
        fine = []
        for row in rows:
            if row.symbol in wanted:
                wanted.discard(row.symbol)
                if row.has_fundamental_data:
                    fine.append(row)
                elif not self._noted:
                    self._noted = True
                    debug("Note: Your coarse selection filter was updated to exclude symbols without fine fundamental "
                          "data. Make sure your coarse filter excludes symbols where HasFundamental is false.")
        return self.fine_selector(fine)


class UserDefinedUniverse(Universe):
    """``add_universe(name, [resolution,] selector)``: ``selector(time)`` returns tickers
    (LEAN ``UserDefinedUniverse`` with a ``Func<DateTime, IEnumerable<string>>``).

    It selects at the start, then at 00:00 of each later day whose exchange session falls in the day
    (``GetTriggerTimes`` with a one-day interval), with the New York time; it reads no data.
    """

    def __init__(self, name: str, selector: Callable[[datetime], Any], settings: UniverseSettings | None) -> None:
        super().__init__(settings)
        self.name = name
        self.selector = selector
        self.data_folder = Path()
        self.known_symbol: Callable[[Any], Symbol | None] = lambda map_file: None
        # True when it holds the symbols it was given (LEAN's ManualUniverse): a delisting removes one,
        # which re-subscribes the universe (see lean_local.engine.data_points.delisting_triggers)
        self.explicit_members = False

    def emissions(self, start: datetime, end: datetime, hours: Any) -> list[tuple[datetime, date]]:
        """The start, then 00:00 of each trading day after it up to ``end``."""
        days = hours.trading_days(start.date() + timedelta(days=1), end.date())
        return [(start, start.date())] + [(datetime.combine(d.date(), time()), d.date()) for d in days]

    def rows_for_day(self, day: date) -> list[Fundamental]:
        return []

    def data_points(self, rows: list[Any]) -> int:
        """One per selection: LEAN's ``TimeTriggeredUniverseSubscriptionEnumeratorFactory`` emits a
        ``Tick`` at each trigger time, the universe's one data point."""
        return 1

    def select_symbols(self, now: datetime, rows: list[Fundamental], debug: Callable[[str], None]) -> Any:
        result = self.selector(now)
        if result is Universe.UNCHANGED:
            return result
        return [s if isinstance(s, Symbol) else Symbol(str(s), SecurityType.EQUITY, Market.USA) for s in result]


class UniverseDefinitions:
    """``self.universe`` (LEAN ``UniverseDefinitions``): ready-made universes to pass to ``add_universe``."""

    def __init__(self, make: Callable[[Callable[[list[Fundamental]], Any], UniverseSettings | None], Any]) -> None:
        self._make = make
        self.dollar_volume = _DollarVolumeDefinitions(self)

    @property
    def unchanged(self) -> Any:
        return Universe.UNCHANGED

    def etf(self, etf_ticker: Any, market: Any = None, universe_settings: Any = None,
            universe_filter_func: Any = None) -> Any:
        """The constituents universe of an ETF (``lean_local.engine.etf_constituents.etf``)."""
        from lean_local.engine.etf_constituents import etf

        return etf(etf_ticker, market, universe_settings, universe_filter_func)

    def top(self, count: int, universe_settings: UniverseSettings | None = None) -> Any:
        """The ``count`` rows of largest dollar volume (ties in file order, LINQ's stable ``OrderByDescending``)."""
        def select(rows: list[Fundamental]) -> list[Symbol]:
            return [r.symbol for r in sorted(rows, key=lambda r: -r.dollar_volume)[:count]]
        return self._make(select, universe_settings)


class _DollarVolumeDefinitions:
    """``self.universe.dollar_volume`` (obsolete in LEAN; ``top`` is ``self.universe.top``)."""

    def __init__(self, owner: UniverseDefinitions) -> None:
        self._owner = owner

    def top(self, count: int, universe_settings: UniverseSettings | None = None) -> Any:
        return self._owner.top(count, universe_settings)


class UniverseManager:
    """The algorithm's universes and LEAN's selection rules (``Engine/DataFeeds/UniverseSelection.cs``,
    ``PendingRemovalsManager.cs``).

    At each selection: removals that were pending (the security held a position or had an open
    order) complete once it is safe, or are dropped when the universe selects the security again;
    then, unless the result is ``UNCHANGED``, every member no longer selected whose minimum time in
    the universe has passed is reported removed (once) and leaves when safe (else its removal
    waits, its data still flowing); newly selected symbols become members and are reported added
    when their subscription is new (a security the algorithm already subscribed is not reported).
    """

    def __init__(self, add_security: Callable[[Symbol, UniverseSettings], tuple[Any, bool]],
                 remove_data: Callable[[Any], None], is_safe_to_remove: Callable[[Any], bool],
                 active_securities: Callable[[], Any] = dict) -> None:
        self.universes: list[FundamentalUniverse | UserDefinedUniverse] = []
        self._active_securities = active_securities
        self._add_security = add_security
        self._remove_data = remove_data
        self._is_safe = is_safe_to_remove
        self._pending: dict[int, tuple[FundamentalUniverse, list[Symbol]]] = {}

    @property
    def count(self) -> int:
        return len(self.universes)

    @property
    def active_securities(self) -> Any:
        """The algorithm's active securities (LEAN's ``UniverseManager.ActiveSecurities``)."""
        return self._active_securities()

    def __len__(self) -> int:
        return len(self.universes)

    def __iter__(self) -> Any:
        return iter(self.universes)

    def _leave(self, universe: FundamentalUniverse, symbol: Symbol) -> None:
        security = universe.members.pop(symbol)[0]
        if not any(symbol in other.members for other in self.universes):
            self._remove_data(security)

    def remove_delisted(self, symbol: Symbol) -> None:
        """A delisted security leaves every universe at once, unreported (LEAN's
        ``BacktestingBrokerage.ProcessDelistings`` removes the member; the algorithm learns of it from
        the delisting event), so a later selection no longer reports it removed."""
        for universe in self.universes:
            universe.members.pop(symbol, None)
        for key, (_, symbols) in list(self._pending.items()):
            if symbol in symbols:
                symbols.remove(symbol)
            if not symbols:
                del self._pending[key]

    def apply(self, universe: FundamentalUniverse, result: Any, now: datetime) -> tuple[list[Any], list[Any]]:
        """Apply one selection result; returns the (added, removed) securities to report."""
        if result is not Universe.UNCHANGED:
            universe.selected = SymbolSet.fromkeys(result)
        for key, (owner, symbols) in list(self._pending.items()):
            for symbol in list(symbols):
                safe = self._is_safe(owner.members[symbol][0])
                if safe or (owner is universe and symbol in universe.selected):
                    symbols.remove(symbol)
                    if safe:
                        self._leave(owner, symbol)
            if not symbols:
                del self._pending[key]
        if result is Universe.UNCHANGED:
            return [], []
        removed = []
        pending = self._pending.setdefault(id(universe), (universe, []))[1]
        for symbol in sorted(universe.members, key=str):
            if symbol in universe.selected or not universe.can_remove_member(now, symbol):
                continue
            security = universe.members[symbol][0]
            if symbol not in pending:
                removed.append(security)
                if self._is_safe(security):
                    self._leave(universe, symbol)
                else:
                    pending.append(symbol)
        if not pending:
            del self._pending[id(universe)]
        added = []
        for symbol in universe.selected:
            if symbol in universe.members:
                continue
            security, subscribed = self._add_security(symbol, universe.universe_settings)
            universe.members[symbol] = (security, now)
            if subscribed:
                added.append(security)
        return added, removed
