"""Coarse / fundamental universe selection (LEAN ``AddUniverse(selector)``) on daily files.

The coarse file of trading day T is handed to the selector at T+1 00:00 New York (LEAN's
``CoarseFundamental``/``Fundamental`` data ends at midnight after its day); securities the
selector adds receive their first daily bar at T+1's close. A security the selector drops leaves
the universe only when it holds no position and no open order (LEAN's ``Universe.CanRemoveMember``).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.daily_readers import map_file_resolver, security_identifier, warn_missing_coarse
from lean_local.engine.fundamental import (
    FINE_GROUPS,
    NUMBER_FIELDS,
    CoarseFundamental,
    Fundamental,
    RowColumns,
    identifier,
)
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.parsed_cache import cached_read, load_record
from lean_local.engine.universe import Universe, UniverseSettings, first_data_day

__all__ = ["FINE_GROUPS", "CoarseFundamental", "CoarseUniverse", "FineFundamentalFilteredUniverse", "Fundamental",
           "FundamentalFilteredUniverse", "FundamentalUniverse", "fundamentals_at", "identifier_of", "universe_symbol"]

_NAN = float("nan")


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
        #: the data folder and its coarse folder joined (made again when ``data_folder`` is set: ``add_universe``
        #: gives the universe the run's)
        self._coarse_of = (self.data_folder, folder)
        names = sorted(p.stem for p in folder.glob("*.csv")) if folder.exists() else []
        self.file_dates = pd.DatetimeIndex([pd.Timestamp(n) for n in names if n.isdigit() and len(n) == 8])
        # one Symbol per security identifier for the whole run
        self._symbols: dict[str, Symbol] = {}
        #: ``_symbols``' identifiers sorted, with their symbols and strings (:meth:`_known_rows`)
        self._sid_index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: the last file's ``sid`` column (bytes) and its symbols and identifier strings: most days' files
        #: list the same securities in the same order as the day before's (a symbol, once met, stays)
        self._last_rows: tuple[tuple[np.dtype, bytes], list[Symbol], list[str]] | None = None
        #: row numbers 0, 1, ... (the longest file's) kept for every file's rows: a ``range`` makes each
        #: number above 256 anew for each row of each day
        self._row_numbers: list[int] = []
        self._map_files = map_file_resolver(self.data_folder)
        #: the algorithm's symbol of a security it already has, by map file (set by ``add_universe``)
        self.known_symbol: Callable[[Any], Symbol | None] = lambda map_file: None

    @property
    def data_type(self) -> type:
        """LEAN's ``Universe.DataType``: the universe's data, ``FundamentalUniverse`` collections."""
        return FundamentalUniverse

    @property
    def symbol(self) -> Symbol:
        """LEAN's universe symbol (``FundamentalUniverse-usa-<count>-<guid>``), made on first use."""
        found = self.__dict__.get("_universe_symbol")
        if found is None:
            found = self.__dict__["_universe_symbol"] = universe_symbol()
        return found

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
        first = first_data_day(start, hours, schedule)
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
        if plan and not self.file_dates.isin(pd.DatetimeIndex([day for _, day in plan])).any():
            warn_missing_coarse(formats.coarse_folder(self.data_folder), plan[0][1], plan[-1][1])
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
        # formats.coarse_path's path, from the folder's joined once (its joins and Timestamp cost as much as
        # reading the day's record)
        if self._coarse_of[0] is not self.data_folder:
            self._coarse_of = (self.data_folder, formats.coarse_folder(self.data_folder))
        path = self._coarse_of[1] / f"{day:%Y%m%d}.csv"
        # parsed once, then read back as the cache's record (no frame: 2,700 rows a day for 20 years); the
        # cache's stat answers whether the file exists
        try:
            record: Any = load_record(formats.read_coarse, path, missing_ok=True)
        except ValueError:  # columns a record array cannot hold (a file without rows): the parsed frame
            record = cached_read(formats.read_coarse, path)
        if record is None:
            return []
        known, sids = self._row_symbols(record)
        end = datetime.combine(day, time()) + timedelta(days=1)
        columns = RowColumns({name: record[name] for name in NUMBER_FIELDS}, sids, end)
        numbers = self._row_numbers
        numbers.extend(range(len(numbers), len(known)))
        return list(map(Fundamental, known, record["close"].tolist(), record["dollar_volume"].tolist(),
                        itertools.repeat(columns), numbers))

    def _row_symbols(self, record: Any) -> tuple[list[Symbol], list[str]]:
        """The symbols and identifier strings of a file's rows: one binary search of its ``sid`` column
        in the sorted identifiers met so far (a string per row and a dict lookup of it cost a quarter of
        reading a day's rows); only the rows of securities met the first time read their tickers."""
        sids = np.asarray(record["sid"])
        column = sids.tobytes()  # with its dtype: one copy of the day's column (half its record), not two
        if self._last_rows is not None and self._last_rows[0] == (sids.dtype, column):
            return self._last_rows[1], self._last_rows[2]
        at, met = self._sid_rows(sids)
        if not met.all():
            tickers = np.asarray(record["symbol"])
            for row in np.flatnonzero(~met).tolist():
                self._symbol(str(sids[row]), str(tickers[row]))
            at, _ = self._sid_rows(sids)
        _, symbols, strings = self._sid_index_now()
        self._last_rows = ((sids.dtype, column), symbols[at].tolist(), strings[at].tolist())
        return self._last_rows[1], self._last_rows[2]

    def _sid_index_now(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_sid_index``: the identifiers met so far, sorted, with their symbols and strings (made again
        when ``_symbols`` has grown: the dict only grows)."""
        if self._sid_index is None or len(self._sid_index[0]) != len(self._symbols):
            keys = sorted(self._symbols)
            symbols, strings = np.empty(len(keys), dtype=object), np.empty(len(keys), dtype=object)
            symbols[:], strings[:] = [self._symbols[key] for key in keys], keys
            self._sid_index = (np.array(keys, dtype=str), symbols, strings)
        return self._sid_index

    def _sid_rows(self, sids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of ``sids`` is in the sorted identifiers met so far, and whether it is there."""
        keys = self._sid_index_now()[0]
        if not len(keys):
            return np.zeros(len(sids), dtype=np.intp), np.zeros(len(sids), dtype=bool)
        at = np.minimum(keys.searchsorted(sids), len(keys) - 1)
        return at, keys[at] == sids

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

_UNIVERSE_COUNT = itertools.count(1)


def universe_symbol(market: str = Market.USA) -> Symbol:
    """A fundamental universe's symbol (LEAN ``FundamentalUniverse.UniverseSymbol``:
    ``FundamentalUniverse-<market>-<count>-<guid>``; the guid here derives from the count, so runs
    are reproducible)."""
    count = next(_UNIVERSE_COUNT)
    guid = uuid.uuid5(uuid.NAMESPACE_OID, f"lean_local-universe-{count}")
    return Symbol(f"FundamentalUniverse-{market}-{count:010d}-{guid}", SecurityType.EQUITY, market)


class FundamentalFilteredUniverse(FundamentalUniverse):
    """Coarse then fine selection (LEAN ``AddUniverse(coarse, fine)``, ``FineFundamentalFilteredUniverse``).

    The fine selector receives the coarse-selected rows that have fundamental data
    (``UniverseSelection.ApplyUniverseSelection``); with LEAN's default fundamental data provider
    (``CoarseFundamentalDataProvider``) no row has, so the fine selector receives an empty list and
    LEAN's note is logged once (:mod:`lean_local.engine.fundamental_data`). Those rows become the
    step's universe data (LEAN assigns the fine collection to the collection's ``Data``), so a selection
    whose coarse step did not return ``UNCHANGED`` counts them as its data points, not the file's rows.
    On a day without coarse rows each coarse pick becomes a :class:`Fundamental` of the selection time,
    with or without fundamental data (:func:`fundamentals_at`).
    """

    def __init__(self, data_folder: Path, selector: Callable[[list[Fundamental]], Any],
                 fine_selector: Callable[[list[Fundamental]], Any], settings: UniverseSettings | None = None) -> None:
        super().__init__(data_folder, selector, settings)
        self.fine_selector = fine_selector
        self._noted = False
        self._fine_rows: list[Fundamental] | None = None  # the last selection's fine collection

    def selected_data_points(self, rows: list[Fundamental]) -> int:
        return self.data_points(rows) if self._fine_rows is None else len(self._fine_rows)

    def select_symbols(self, now: datetime, rows: list[Fundamental], debug: Callable[[str], None]) -> Any:
        self._fine_rows = None
        coarse = self.selector(rows)
        if coarse is Universe.UNCHANGED:
            return coarse
        # no coarse rows to filter (a day without a file): LEAN makes each pick's Fundamental anew
        fine = fundamentals_at(self.data_folder, now, list(coarse)) if not rows else self._with_data(rows, coarse, debug)
        self._fine_rows = fine
        return self.fine_selector(fine)

    def _with_data(self, rows: list[Fundamental], coarse: Any, debug: Callable[[str], None]) -> list[Fundamental]:
        """The rows of the coarse picks that have fundamental data, each once (LEAN's note logged once
        when a pick has none)."""
        # LEAN's symbols are equal by security identifier: Symbol.create("GOOG") is the row GOOCV in March
        # 2014; a row whose identifier is not LEAN's encoding (a hand-made file) matches by its ticker
        wanted = set()
        for pick in coarse:
            symbol = pick if isinstance(pick, Symbol) else Symbol(str(pick))
            wanted.update((identifier_of(self.data_folder, symbol), str.__str__(symbol)))
        fine = []
        for row in rows:
            key = identifier(row) if row.symbol._sid is not None else str.__str__(row.symbol)
            if key in wanted:
                wanted.discard(key)
                if row.has_fundamental_data:
                    fine.append(row)
                elif not self._noted:
                    self._noted = True
                    debug("Note: Your coarse selection filter was updated to exclude symbols without fine fundamental "
                          "data. Make sure your coarse filter excludes symbols where HasFundamental is false.")
        return fine



class FineFundamentalFilteredUniverse(Universe):
    """``add_universe(universe, fine_selector)`` for a universe of other data (a
    ``ConstituentsUniverse``): LEAN's ``FineFundamentalFilteredUniverse`` as
    ``UniverseSelection.ApplyUniverseSelection`` runs it.

    The wrapped universe's selector picks symbols; each becomes a ``Fundamental`` of the selection
    time (LEAN ``new Fundamental(time, symbol)``, every pick, since its data is not fundamental),
    whose price fields LEAN's ``CoarseFundamentalDataProvider`` reads from the coarse file of that
    date and whose fine fields come from the fundamental data provider; the fine selector's result is the
    selection, and its picks are the selection's data points (LEAN makes the fine collection the step's
    universe data). The rest of what the engine reads of a universe (selection times, data, settings,
    ``fill_forward``, ``explicit_members``) is the wrapped universe's, each member forwarded by name.
    """

    def __init__(self, universe: Universe, fine_selector: Callable[[list[Fundamental]], Any]) -> None:
        self.universe = universe
        super().__init__(universe.universe_settings)
        self._default_settings = universe._default_settings
        self.fine_selector = fine_selector
        self._fine_rows: list[Fundamental] | None = None  # the last selection's fine collection

    @property
    def universe_settings(self) -> UniverseSettings:
        return self.universe.universe_settings

    @universe_settings.setter
    def universe_settings(self, settings: UniverseSettings) -> None:
        self.universe.universe_settings = settings

    @property
    def data_folder(self) -> Path:
        return self.universe.data_folder

    @data_folder.setter
    def data_folder(self, folder: Path) -> None:
        self.universe.data_folder = folder

    @property
    def fill_forward(self) -> bool:  # type: ignore[override]
        return self.universe.fill_forward

    @property
    def explicit_members(self) -> bool:  # type: ignore[override]
        return self.universe.explicit_members

    def emissions(self, start: datetime, end: datetime, hours: Any) -> list[tuple[datetime, Any]]:
        return self.universe.emissions(start, end, hours)

    def rows_for_day(self, key: Any) -> list[Any]:
        return self.universe.rows_for_day(key)

    def data_points(self, rows: list[Any]) -> int:
        return self.universe.data_points(rows)

    def selected_data_points(self, rows: list[Any]) -> int:
        return self.universe.data_points(rows) if self._fine_rows is None else len(self._fine_rows)

    def select_symbols(self, now: datetime, rows: list[Any], debug: Callable[[str], None]) -> Any:
        self._fine_rows = None
        picked = self.universe.select_symbols(now, rows, debug)
        if picked is Universe.UNCHANGED:
            return picked
        fine = self._fine_rows = fundamentals_at(self.data_folder, now, list(picked))
        return self.fine_selector(fine)


def identifier_of(data_folder: Path, symbol: Symbol) -> str:
    """A symbol's security identifier string: the one it was read with, else LEAN's ``GenerateEquity``
    of its ticker through the map files (``Symbol.create``)."""
    return str(symbol.id) if symbol._sid is not None else security_identifier(data_folder, symbol)


def fundamentals_at(data_folder: Path, now: datetime, symbols: list[Any],
                    end_time: datetime | None = None) -> list[Fundamental]:
    """``Fundamental(now, symbol)`` of each symbol: its row of the coarse file dated ``now`` (matched
    by security identifier), else LEAN's missing values (price 0, dollar volume NaN); its end time
    ``now`` (``QCAlgorithm.Fundamentals``) or ``end_time`` (a history row)."""
    path = formats.coarse_path(Path(data_folder), pd.Timestamp(now.date()))
    rows: dict[str, tuple] = {}
    if path.exists():
        frame = cached_read(formats.read_coarse, path)
        columns = [frame[n].to_numpy().tolist() for n in ("sid", "close", "volume", "dollar_volume", "price_factor",
                                                         "split_factor")]
        rows = {sid: values for sid, *values in zip(*columns, strict=True)}
    out = []
    for item in symbols:
        symbol = item if isinstance(item, Symbol) else Symbol(str(item))
        sid = identifier_of(Path(data_folder), symbol)
        close, volume, dollar_volume, price_factor, split_factor = rows.get(sid, (0.0, 0, _NAN, 1.0, 1.0))
        own = RowColumns({"volume": [volume], "price_factor": [price_factor], "split_factor": [split_factor]},
                         [sid], end_time or now)
        out.append(Fundamental(symbol, close, dollar_volume, own, 0))
    return out
