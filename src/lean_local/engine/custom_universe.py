"""Universes fed by a data type's files: custom data universes (``add_universe(MyData, name,
selector)``) and constituents universes (LEAN ``ConstituentsUniverse``).

How LEAN feeds them (``DataManager`` universe requests, ``SubscriptionDataReader``,
``BaseDataCollectionAggregatorReader``, ``SubscriptionSynchronizer``, ``ScheduledEnumerator``):

* the universe's data starts one tradable day before the algorithm's start (before the
  schedule's last date at or before the start when the settings have a schedule); its sources
  are asked for every tradable day of the universe's exchange (every calendar day for custom
  data, whose exchange is always open; US equity trading days for constituents universes);
* consecutive points with the same end time form one collection; a collection is selected on
  at its end time, and everything that ended before the start is selected on once, at the start;
* with a schedule, each schedule date selects with the newest collection ended by then;
* every point of a collection counts as one data point.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from lean_local.engine import custom_data
from lean_local.engine.base_data import BaseData
from lean_local.engine.common import Market, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.data_sources import (
    FileFormat,
    SubscriptionDataConfig,
    SubscriptionDataSource,
    SubscriptionTransportMedium,
)
from lean_local.engine.exchange_hours import ExchangeHours, always_open_hours
from lean_local.engine.fundamental_universe import Fundamental, FundamentalUniverse
from lean_local.engine.globals import Globals
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.universe import Universe, UniverseSettings, first_data_day

Collection = tuple[datetime, list[Any]]


def collections(points: list[Any]) -> list[Collection]:
    """Consecutive points with the same ``end_time`` grouped (LEAN's aggregator reader)."""
    grouped: list[Collection] = []
    for point in points:
        if grouped and grouped[-1][0] == point.end_time:
            grouped[-1][1].append(point)
        else:
            grouped.append((point.end_time, [point]))
    return grouped


def plan_selections(groups: list[Collection], start: datetime, end: datetime,
                    schedule: Any) -> list[tuple[datetime, list[Any]]]:
    """When the universe selects and on which points (see the module docstring).

    Returns ``(time, points)`` pairs in time order; selections due before ``start`` happen once,
    at ``start``, with everything that ended by then.
    """
    plan: list[tuple[datetime, list[Any]]] = []
    if schedule is not None and schedule.initialized:
        k = -1
        first = groups[0][0].date() if groups else start.date()
        for when in schedule.get(min(first, start.date()), end.date()):
            at = datetime.combine(when, time())
            while k + 1 < len(groups) and groups[k + 1][0] <= at:
                k += 1
            if k >= 0:
                plan.append((max(at, start), list(groups[k][1])))
        while len(plan) > 1 and plan[1][0] == plan[0][0]:
            plan.pop(0)
        return plan
    for ended, points in groups:
        at = max(ended, start)
        if plan and plan[-1][0] == at:
            plan[-1][1].extend(points)
        else:
            plan.append((at, list(points)))
    return plan


class DataUniverse(Universe):
    """A universe selecting on the points of a data type read through its ``get_source``/``reader``.

    Parameters
    ----------
    data_type : type
        A ``BaseData`` subclass (``PythonData`` custom types, ``ConstituentsUniverseData``,
        ``ETFConstituentUniverse``).
    symbol : Symbol
        The universe's symbol, handed to ``get_source``/``reader`` as ``config.symbol``.
    settings : UniverseSettings or None
        The settings of the securities it adds (the algorithm's when None).
    selector : callable
        ``selector(points) -> symbols`` (or ``Universe.UNCHANGED``).
    hours : ExchangeHours or None
        The universe's exchange, whose tradable days are the days whose sources are read; None for
        US equities (the hours the engine passes to :meth:`emissions`).
    """

    def __init__(self, data_type: type, symbol: Symbol, settings: UniverseSettings | None,
                 selector: Callable[[list[Any]], Any], hours: ExchangeHours | None,
                 resolution: Resolution = Resolution.DAILY) -> None:
        super().__init__(settings)
        self.data_type = data_type
        self.symbol = symbol
        self.selector = selector
        self.hours = hours
        self.resolution = resolution
        self.data_folder = Path(Globals.data_folder)
        self._plan: list[tuple[datetime, list[Any]]] = []

    @property
    def configuration(self) -> SubscriptionDataConfig:
        return SubscriptionDataConfig(self.data_type, self.symbol, self.resolution, False)

    def emissions(self, start: datetime, end: datetime, hours: ExchangeHours) -> list[tuple[datetime, int]]:
        """``(time, key)`` of each selection from ``start`` to ``end``; ``rows_for_day(key)`` gives its
        points. ``hours`` are US equity hours (used unless the universe has its own)."""
        hours = self.hours or hours
        first = first_data_day(start, hours, self.universe_settings.schedule)
        days = [d.date() for d in hours.trading_days(first, end.date())]
        Globals.data_folder = str(self.data_folder)
        series = custom_data.read_custom_data(self.data_type(), self.configuration, days,
                                              datetime.combine(first, time()), end, self.data_folder)
        self._plan = plan_selections(collections(series.points), start, end, self.universe_settings.schedule)
        return [(when, k) for k, (when, _) in enumerate(self._plan)]

    def rows_for_day(self, key: int) -> list[Any]:
        return self._plan[key][1]

    def select_symbols(self, now: datetime, rows: list[Any], debug: Callable[[str], None]) -> Any:
        return self.selector(rows)


def custom_universe_symbol(data_type: type, name: str, market: str = Market.USA) -> Symbol:
    """The symbol of ``add_universe(data_type, name, ...)`` (LEAN: a BASE symbol of the type)."""
    return Symbol(SecurityIdentifier.generate_base(data_type, name, market), name)


def custom_data_universe(data_type: type, name: str | None, resolution: Resolution | None,
                         settings: UniverseSettings | None, selector: Callable[[list[Any]], Any],
                         market: str = Market.USA) -> DataUniverse:
    """``add_universe(MyData, name, [resolution], [settings], selector)`` for a custom data type:
    an always-open universe reading ``MyData``'s sources every calendar day."""
    data_type = custom_data.custom_data_type(data_type)
    if name is None:
        raise not_supported("QCAlgorithm.add_universe", "a custom data universe without a name")

    def select(points: list[Any]) -> Any:
        result = selector(points)
        if result is Universe.UNCHANGED:
            return result
        return [s if isinstance(s, Symbol) else Symbol(str(s)) for s in result]

    return DataUniverse(data_type, custom_universe_symbol(data_type, name, market), settings, select,
                        always_open_hours(), resolution or Resolution.DAILY)


class ConstituentsUniverseData(BaseData):
    """One symbol of a constituents file (LEAN ``ConstituentsUniverseData``).

    ``<data folder>/<security type>/<market>/universes/<resolution>/<name>/YYYYMMDD.csv`` holds
    ``ticker,security identifier`` rows; ``<name>`` is the universe symbol's identifier after its
    last ``-``. The file of day D is known at D+1 00:00.
    """

    def get_source(self, config: SubscriptionDataConfig, date: datetime, is_live_mode: bool) -> SubscriptionDataSource:
        sid = config.symbol.id.symbol
        name = sid[sid.rfind("-") + 1:]
        path = (Path(Globals.data_folder) / config.security_type.name.lower() / config.market / "universes"
                / config.resolution.name.lower() / name / f"{date:%Y%m%d}.csv")
        return SubscriptionDataSource(str(path), SubscriptionTransportMedium.LOCAL_FILE, FileFormat.CSV)

    def reader(self, config: SubscriptionDataConfig, line: str, date: datetime,
               is_live_mode: bool) -> ConstituentsUniverseData | None:
        fields = line.split(",")
        try:
            sid = SecurityIdentifier.parse(fields[1])
        except (IndexError, ValueError):
            return None  # LEAN's reader skips lines it cannot parse
        point = ConstituentsUniverseData()
        point.symbol = Symbol(sid, fields[0])
        point.time = date
        point.end_time = date + timedelta(days=1)
        return point


def _is_none_symbol(symbol: Symbol) -> bool:
    """LEAN's ``Symbol.None`` (``NONE 0``): a constituents file's way of selecting nothing."""
    return symbol.security_type == SecurityType.BASE and symbol.id.symbol == "NONE"


def constituent_symbols(points: list[Any]) -> list[Symbol]:
    """The default constituents filter: every row's symbol, none when the only row is ``NONE``."""
    symbols = [p.symbol for p in points]
    if len(symbols) == 1 and _is_none_symbol(symbols[0]):
        return []
    return symbols


class ConstituentsUniverse(DataUniverse):
    """``ConstituentsUniverse(symbol, universe_settings, [filter])`` (LEAN ``ConstituentsUniverse``):
    selects the symbols its constituents files list (or ``filter(points)``), daily, on US equity
    trading days."""

    data_class: type = ConstituentsUniverseData

    def __init__(self, symbol: Symbol, universe_settings: UniverseSettings | None = None,
                 constituents_filter: Callable[[list[Any]], Any] | None = None) -> None:
        super().__init__(self.data_class, symbol, universe_settings, constituents_filter or constituent_symbols,
                         None)


def universe_for_type(args: tuple, data_folder: Path) -> Universe:
    """``add_universe(DataType, ...)`` with LEAN's overloads (``QCAlgorithm.Python.cs``):
    ``(T, name, selector)``, ``(T, name, resolution, selector)``, ``(T, name, settings, selector)``,
    ``(T, name, resolution, settings, selector)``, ``(T, security_type, name, resolution, market,
    [settings], selector)``.

    ``CoarseFundamental``/``Fundamental`` give the fundamental universe (LEAN maps both to
    ``FundamentalUniverse``; the name is not used); any other type must be custom data.
    """
    data_type, rest = args[0], list(args[1:])
    selectors = [a for a in rest if callable(a) and not isinstance(a, type | UniverseSettings)]
    if len(selectors) != 1:
        raise TypeError(f"add_universe({getattr(data_type, '__name__', data_type)}, ...) needs one selection function")
    settings = next((a for a in rest if isinstance(a, UniverseSettings)), None)
    resolution = next((a for a in rest if isinstance(a, Resolution)), None)
    names = [a for a in rest if isinstance(a, str)]
    if data_type is Fundamental:
        return FundamentalUniverse(data_folder, selectors[0], settings)
    universe = custom_data_universe(data_type, names[0] if names else None, resolution, settings, selectors[0],
                                    names[1] if len(names) > 1 else Market.USA)
    universe.data_folder = Path(data_folder)
    return universe
