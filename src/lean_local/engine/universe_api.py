"""The ``QCAlgorithm`` members of universe selection: ``add_universe`` in LEAN's overloads, the
securities a selection adds and removes, ``active_securities``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np

from lean_local.engine import custom_data
from lean_local.engine.common import Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.custom_universe import universe_for_type
from lean_local.engine.daily_readers import map_file_resolver
from lean_local.engine.fundamental_universe import (
    CoarseFundamental,
    FineFundamentalFilteredUniverse,
    Fundamental,
    FundamentalFilteredUniverse,
    FundamentalUniverse,
)
from lean_local.engine.initializers import run_initializer
from lean_local.engine.scheduling import DateRule
from lean_local.engine.securities import Security
from lean_local.engine.universe import ActiveSecurities, Universe, UniverseSettings, UserDefinedUniverse

_COLUMN, _RESOLUTION, _SYMBOL = attrgetter("column"), attrgetter("resolution"), attrgetter("symbol")


class UniverseApi:
    """``add_universe`` and the selection callbacks of the ``UniverseManager`` (a mixin of
    :class:`lean_local.engine.algorithm.QCAlgorithm`)."""

    @property
    def _universes(self) -> list[FundamentalUniverse | UserDefinedUniverse]:
        return self.universe_manager.universes

    def add_universe(self, *args: Any) -> FundamentalUniverse | UserDefinedUniverse:
        """``add_universe(selector)``, ``add_universe(coarse, fine)``, ``add_universe(date_rule, selector)``,
        ``add_universe(universe, fine_selector)``, ``add_universe(universe)`` (``FundamentalUniverse.usa(...)``, ``self.universe.top(n)``)
        (``QCAlgorithm.Universe.cs``; a date rule selects on a copy of ``universe_settings`` scheduled on it)."""
        universe: FundamentalUniverse | UserDefinedUniverse
        if len(args) == 1 and isinstance(args[0], Universe):
            universe = args[0]
        elif len(args) > 1 and isinstance(args[0], type):
            universe = universe_for_type(args, self._run.data_folder)  # add_universe(DataType, name, ...)
        elif len(args) in (2, 3) and isinstance(args[0], str) and callable(args[-1]):
            if len(args) == 3 and args[1] != Resolution.DAILY:
                raise not_supported("QCAlgorithm", f"add_universe(name, {getattr(args[1], 'name', args[1])}, selector) "
                                                   "(user-defined universes select daily)")
            universe = UserDefinedUniverse(args[0], args[-1], self.universe_settings)
        elif len(args) == 1 and args[0] in (Fundamental, CoarseFundamental):
            # a universe of the data type without a selector selects every row (AddUniverse(Type))
            universe = FundamentalUniverse(self._run.data_folder, lambda rows: [row.symbol for row in rows],
                                           self.universe_settings)
        elif len(args) == 1 and callable(args[0]) and not isinstance(args[0], type):
            universe = FundamentalUniverse(self._run.data_folder, args[0], self.universe_settings)
        elif len(args) == 2 and isinstance(args[0], DateRule) and callable(args[1]):
            settings = UniverseSettings(self.universe_settings)
            settings.schedule.on(args[0])
            universe = FundamentalUniverse(self._run.data_folder, args[1], settings)
        elif len(args) == 2 and isinstance(args[0], FundamentalUniverse) and callable(args[1]):
            universe = FundamentalFilteredUniverse(self._run.data_folder, args[0].selector, args[1],
                                                   args[0].universe_settings)
            universe._default_settings = args[0]._default_settings
        elif len(args) == 2 and isinstance(args[0], Universe) and callable(args[1]):
            universe = FineFundamentalFilteredUniverse(args[0], args[1])  # add_universe(universe, fine_selector)
        elif len(args) == 2 and callable(args[0]) and callable(args[1]) and not isinstance(args[0], type):
            self.debug("Warning: AddUniverse(coarseSelector, fineSelector) is obsolete, please use "
                       "AddUniverse(Func<IEnumerable<Fundamental>, IEnumerable<Symbol>> selector) instead.")
            universe = FundamentalFilteredUniverse(self._run.data_folder, args[0], args[1], self.universe_settings)
        else:
            raise not_supported("QCAlgorithm", "add_universe with this signature (a selection function, coarse and "
                                               "fine functions, a date rule and a function, or a universe)")
        universe.data_folder = self._run.data_folder
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
                                if s.column not in self._run.removed and not feed.is_delisted(s.column))

    def _equity_of_map_file(self, map_file: Any) -> Symbol | None:
        """The symbol of the first equity the algorithm added whose ticker resolves to ``map_file``, if
        any. Each security's ticker is resolved once, when first met here: a selection that meets
        thousands of identifiers does not scan every security of the run for each."""
        added = self.securities.added_since(self._equities_indexed)
        if added:
            resolver = map_file_resolver(self._run.data_folder)
            for security in added:
                symbol = security.symbol
                if symbol.security_type == SecurityType.EQUITY:
                    resolved = resolver.resolve(symbol.value)
                    if resolved is not None:
                        self._equity_by_map_file.setdefault(id(resolved), symbol)
            self._equities_indexed += len(added)
        return self._equity_by_map_file.get(id(map_file))

    def _universe_securities(self, symbols: list[Symbol], settings: UniverseSettings) -> Iterator[tuple[Security, bool]]:
        """The security of each selected symbol and whether its subscription is new (LEAN reports only
        those), in order. The equities a universe removed earlier resume together (their feed columns
        re-attached in one call) while the feed's fill-forward resolution stays theirs and no security
        initializer runs; any other symbol goes alone, after the ones before it."""
        resuming: dict[int, Security] = {}  # by column
        run, lookup = self._run, self.securities.lookup
        removed, fill_forward = run.removed, run.fill_forward_resolution
        checked = False  # the settings' resolution, checked at the first equity resuming
        equity = SecurityType.EQUITY
        for symbol in symbols:
            known = lookup(symbol) if symbol.security_type == equity else None
            if known is not None and known.type == equity and (column := known.column) in removed \
                    and column not in resuming and known.resolution == fill_forward.value \
                    and self._security_initializer is None:
                if not checked:
                    self._check_resolution(settings.resolution, "universe_settings", True)
                    checked = True
                resuming[column] = known
                continue
            if resuming:
                yield from self._resume(list(resuming.values()))
                resuming = {}
            yield self._universe_security(symbol, settings)
        if resuming:
            yield from self._resume(list(resuming.values()))

    def _resume(self, securities: list[Security]) -> Iterator[tuple[Security, bool]]:
        """:meth:`_universe_security` of equities a universe removed, whose resolution is the feed's
        fill-forward resolution (adding them changes it not), together."""
        columns = list(map(_COLUMN, securities))
        self._run.removed.difference_update(columns)
        self._feed.reattach_many(columns, from_current=True)
        self._run.fill_forward_resolution.added_many(map(_RESOLUTION, securities))  # theirs: it stays
        self._track_streams(securities, list(map(self._feed.subs.__getitem__, columns)))
        self._universe_symbols.update(map(_SYMBOL, securities))
        return zip(securities, itertools.repeat(True))

    def _universe_security(self, symbol: Symbol, settings: UniverseSettings) -> tuple[Security, bool]:
        """The security of a selected symbol and whether its subscription is new (LEAN reports only those)."""
        existing = symbol in self.securities
        replaced = False
        # LEAN subscribes during the selection: data ending at its frontier reaches this step's slice
        self._selection_add = True
        try:
            if symbol.security_type == SecurityType.BASE:  # a custom data symbol (Symbol.create_base)
                security = self.add_data(custom_data.type_of(symbol), symbol, settings.resolution,
                                         fill_forward=settings.fill_forward)
            else:
                resolution = self._check_resolution(settings.resolution, "universe_settings", True)
                known = self.securities.get(symbol) if existing else None
                if known is not None and known.type == SecurityType.EQUITY == symbol.security_type:
                    security = known  # add_equity of a security the algorithm has returns it
                else:
                    security = self.add_equity(symbol.value, resolution, fill_forward=settings.fill_forward,
                                               leverage=0 if np.isnan(settings.leverage) else settings.leverage,
                                               data_normalization_mode=settings.data_normalization_mode)
                replaced = existing and self._replace_empty_subscription(security, resolution, settings.fill_forward)
        finally:
            self._selection_add = False
        new = not existing or replaced
        if existing and security.column in self._run.removed:
            self._run.removed.discard(security.column)
            self._feed.reattach(security.column, from_current=True)
            self._subscriptions_changed(self._run.fill_forward_resolution.added(security.resolution))
            self._track_stream(security, self._feed.subs[security.column])
            new = True
            if self._security_initializer is not None:  # LEAN creates the security anew
                run_initializer(self._security_initializer, security)
        if new:
            self._universe_symbols.add(security.symbol)
        return security, new

    def _universe_data_removed(self, securities: list[Security]) -> None:
        """Securities left every universe: stop their data unless ``add_equity`` subscribed them (together
        when none is the last subscription of the feed's fill-forward resolution)."""
        leaving = [security for security in securities if security.symbol in self._universe_symbols]
        fill_forward = self._run.fill_forward_resolution
        flowing = [security for security in leaving if not security.stream_ended]  # an ended stream left
        last = sum(security.resolution == fill_forward.value for security in flowing)
        if last and fill_forward.count(fill_forward.value) <= last:
            for security in leaving:  # one by one: the subscriptions restart when the resolution changes
                self._stop_universe_data([security])
                self._subscriptions_changed(not security.stream_ended
                                            and fill_forward.removed(security.resolution))
            return
        self._stop_universe_data(leaving)
        fill_forward.removed_many(map(_RESOLUTION, flowing))  # none the last of its resolution: it stays

    def _stop_universe_data(self, securities: list[Security]) -> None:
        self._universe_symbols.difference_update(map(_SYMBOL, securities))
        # a daily equity's bars may be released and read again when re-added (DataFeed.KEEP_REMOVED)
        equity, daily = SecurityType.EQUITY, Resolution.DAILY
        reloads = [security.loader if security.type == equity and security.resolution == daily else None
                   for security in securities]
        columns = list(map(_COLUMN, securities))
        self._feed.remove_many(columns, True, reloads)
        self._run.removed.update(columns)

    def _safe_to_remove(self, securities: list[Security]) -> list[bool]:
        """Whether each security holds no position and no open order (LEAN's ``IsSafeToRemove``): the
        quantities read in one gather (about 80 securities a day leave a 500-name universe)."""
        if not securities:
            return []
        held = self.portfolio.quantity[[security.column for security in securities]] != 0
        # the symbols with an open order gathered once (a book of stops: a few dozen orders a day)
        ordered = {order.symbol for order in self.transactions.get_open_orders()}
        return [not invested and security.symbol not in ordered
                for security, invested in zip(securities, held.tolist(), strict=True)]

    def _run_selection(self, universe: FundamentalUniverse | UserDefinedUniverse, day: date) -> int:
        """Select with the selection data of ``day`` at the current time; returns its data points."""
        rows = universe.rows_for_day(day)
        if self.time > self.end_date:
            return universe.data_points(rows)  # UniverseSelection.ApplyUniverseSelection: no selection after the end
        result = universe.perform_selection(universe.select_symbols(self.time, rows, self.debug))
        with self._feed.batched_alignment():  # the additions and removals aligned in one call
            added, removed = self.universe_manager.apply(universe, result, self.time)
        if added or removed:
            self._run.pending_changes = (self._run.pending_changes[0] + added, self._run.pending_changes[1] + removed)
        return universe.selected_data_points(rows)
