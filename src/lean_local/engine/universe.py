"""LEAN's universes: the ``Universe`` base with its selection rules, its settings and the
``SecurityChanges`` it reports, user-defined universes, and the ``UniverseManager`` that applies
each selection (members added, removals pending on holdings or open orders).

The universes fed by data live beside it: coarse / fundamental in
:mod:`lean_local.engine.fundamental_universe`, custom data and constituents in
:mod:`lean_local.engine.custom_universe` and :mod:`lean_local.engine.etf_constituents`; the
ready-made ones of ``self.universe`` in :mod:`lean_local.engine.universe_definitions`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lean_local.engine.common import DataNormalizationMode, Market, Resolution, SecurityType, Symbol

if TYPE_CHECKING:
    from lean_local.engine.exchange_hours import ExchangeHours
    from lean_local.engine.fundamental_universe import Fundamental, FundamentalUniverse


def first_data_day(start: datetime, hours: ExchangeHours, schedule: Any) -> date:
    """The day a universe's data starts: the tradable day before the start (before the schedule's
    last date at or before the start, when there is a schedule)."""
    anchor = start.date()
    if schedule is not None and schedule.initialized:
        for back in range(365):
            day = anchor - timedelta(days=back)
            if schedule.get(day, day):
                anchor = day
                break
    before = hours.trading_days(anchor - timedelta(days=30), anchor - timedelta(days=1))
    return before[-1].date() if len(before) else anchor - timedelta(days=1)


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
    #: its subscription fills forward: LEAN restarts it when the feed's fill-forward resolution changes
    #: (a user-defined universe's may)
    fill_forward = False
    #: it holds the symbols it was given (LEAN's ManualUniverse; a user-defined universe's may)
    explicit_members = False

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
        picked = list(result)
        if not all(issubclass(kind, Symbol) for kind in set(map(type, picked))):  # each pick's type asked once
            picked = [s if isinstance(s, Symbol) else Symbol(str(s)) for s in picked]
        symbols = list(dict.fromkeys(picked))
        chosen = set(symbols)
        if self._previous is not None and chosen == self._previous:
            return Universe.UNCHANGED
        self._previous = chosen
        return symbols

    def data_points(self, rows: list[Any]) -> int:
        """The data points one selection counts (LEAN's ``TimeSliceFactory`` counts every item of a
        universe's data collection): each row of its selection data."""
        return len(rows)

    def selected_data_points(self, rows: list[Any]) -> int:
        """The data points of a selection that just ran on ``rows``: those of its data collection as
        the selection leaves it (a fine-filtered universe replaces it, see
        :class:`~lean_local.engine.fundamental_universe.FundamentalFilteredUniverse`)."""
        return self.data_points(rows)

    def can_remove_member(self, now: datetime, symbol: Symbol) -> bool:
        """LEAN's ``Universe.CanRemoveMember``: the member's time in the universe, rounded (half to
        even) to a day, an hour, a minute or a second by the size of ``minimum_time_in_universe``,
        has reached ``minimum_time_in_universe``."""
        return self.can_remove_members(now, [symbol])[0]

    def can_remove_members(self, now: datetime, symbols: Iterable[Symbol]) -> list[bool]:
        """:meth:`can_remove_member` of each of ``symbols``, worked out once per time members joined at
        (a day's about 70 leaving members joined at fewer selections)."""
        minimum = self.universe_settings.minimum_time_in_universe
        interval = _rounding_unit(minimum)
        rounded = interval > timedelta(0)
        members = self.members
        by_join: dict[datetime, bool] = {}
        answers = []
        for symbol in symbols:
            member = members.get(symbol)
            if member is None:
                answers.append(False)
                continue
            joined = member[1]
            answer = by_join.get(joined)
            if answer is None:
                elapsed = now - joined
                if rounded:
                    elapsed = interval * round(elapsed / interval)
                answer = by_join[joined] = elapsed >= minimum
            answers.append(answer)
        return answers



_ROUNDING_UNITS = (timedelta(days=1), timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1))


@functools.lru_cache(maxsize=8)
def _rounding_unit(minimum: timedelta) -> timedelta:
    """The unit :meth:`Universe.can_remove_member` rounds a member's time to: the largest of a day, an
    hour, a minute and a second not above ``minimum``, else ``minimum`` (asked for each member a
    selection drops: about 80 a day in a 500-name universe)."""
    return next((unit for unit in _ROUNDING_UNITS if minimum >= unit), minimum)


def _open_within_a_day(hours: Any, moment: datetime) -> bool:
    """Whether the regular session of ``moment``'s day or of the next day overlaps
    ``[moment, moment + 1 day)`` (LEAN's ``SecurityExchangeHours.IsOpen(start, end)``)."""
    midnight = datetime.combine(moment.date(), time())
    today, tomorrow = hours.session(moment.date()), hours.session(moment.date() + timedelta(days=1))
    return (today is not None and midnight + today[1] > moment) or \
        (tomorrow is not None and midnight + timedelta(days=1) + tomorrow[0] < moment + timedelta(days=1))


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
        # its subscription fills forward (a CustomUniverseSelectionModel's universe takes the universe
        # settings' fill_forward): LEAN restarts it when the feed's fill-forward resolution changes
        # (see lean_local.engine.fill_forward_resolution)
        self.fill_forward = False

    def emissions(self, start: datetime, end: datetime, hours: Any) -> list[tuple[datetime, date]]:
        """LEAN's ``GetTriggerTimes`` with a one-day interval: ``start``, then each ``start + k``
        days before ``end`` at which the exchange's regular session is open some time within the
        following day (from a midnight start: 00:00 of each trading day after it)."""
        first = [(start, start.date())]
        if start.time() == time():
            days = hours.trading_days(start.date() + timedelta(days=1), end.date())
            return first + [(datetime.combine(d.date(), time()), d.date()) for d in days]
        later = itertools.takewhile(lambda moment: moment < end,
                                    (start + timedelta(days=k) for k in itertools.count(1)))
        return first + [(moment, moment.date()) for moment in later if _open_within_a_day(hours, moment)]

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

    def __init__(self, add_securities: Callable[[list[Symbol], UniverseSettings], Iterable[tuple[Any, bool]]],
                 remove_data: Callable[[list[Any]], None], safe_to_remove: Callable[[list[Any]], list[bool]],
                 active_securities: Callable[[], Any] = dict) -> None:
        self.universes: list[FundamentalUniverse | UserDefinedUniverse] = []
        self._active_securities = active_securities
        #: the security of each selected symbol and whether its subscription is new, in order (lazily:
        #: each is a member before the next symbol's security is made)
        self._add_securities = add_securities
        #: stops the data of securities that left every universe (a day's removals together)
        self._remove_data = remove_data
        #: whether each of the securities holds no position and no open order (LEAN's ``IsSafeToRemove``),
        #: asked for a day's candidates together
        self._safe = safe_to_remove
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

    def _leave(self, universe: FundamentalUniverse, symbols: list[Symbol]) -> list[Any]:
        """``symbols`` leave ``universe``; returns the securities of those no other universe holds, whose
        data stops."""
        securities = [universe.members.pop(symbol)[0] for symbol in symbols]
        others = [other for other in self.universes if other is not universe]
        if others:
            securities = [security for symbol, security in zip(symbols, securities, strict=True)
                          if not any(symbol in other.members for other in others)]
        return securities

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
        # a member leaving changes no other member's safety: the data of the day's leaving members stops
        # in one call, before any member joins (a member that left may join again)
        stopping = []
        for key, (owner, symbols) in list(self._pending.items()):
            for symbol, safe in zip(list(symbols), self._safe([owner.members[s][0] for s in symbols]), strict=True):
                if safe or (owner is universe and symbol in universe.selected):
                    symbols.remove(symbol)
                    if safe:
                        stopping += self._leave(owner, [symbol])
            if not symbols:
                del self._pending[key]
        if result is Universe.UNCHANGED:
            if stopping:
                self._remove_data(stopping)
            return [], []
        leaving: list[Symbol] = []
        pending = self._pending.setdefault(id(universe), (universe, []))[1]
        already_pending = set(pending)  # a list scan per member compared every pending Symbol
        # the members' and the selection's symbols compared in C (about 500 of each a day)
        unselected = list(itertools.filterfalse(universe.selected.__contains__, universe.members))
        # in their strings' order (a Symbol is its string, without an order of its own): no key strings made
        candidates = list(itertools.filterfalse(already_pending.__contains__, sorted(unselected)))
        reported = list(itertools.compress(candidates, universe.can_remove_members(now, candidates)))
        removed = [universe.members[symbol][0] for symbol in reported]
        for symbol, safe in zip(reported, self._safe(removed), strict=True):
            (leaving if safe else pending).append(symbol)
        if leaving:  # leaving changes neither another member's safety nor its time in the universe
            stopping += self._leave(universe, leaving)
        if stopping:
            self._remove_data(stopping)
        if not pending:
            del self._pending[id(universe)]
        added = []
        joining = list(itertools.filterfalse(universe.members.__contains__, universe.selected))
        securities = self._add_securities(joining, universe.universe_settings)
        for symbol, (security, subscribed) in zip(joining, securities, strict=True):
            universe.members[symbol] = (security, now)
            if subscribed:
                added.append(security)
        return added, removed

