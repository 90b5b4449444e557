"""Universe selection models (``Algorithm/Selection/*.cs``, ``Algorithm.Framework/Selection/*.cs``).

A model's ``create_universes(algorithm)`` runs once after ``initialize`` and returns universes the
engine runs like ``add_universe``'s: each has selection times and a ``select(time)`` that returns
symbols (or ``Universe.UNCHANGED``); members join with the algorithm's ``universe_settings``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.universe import UserDefinedUniverse


class SymbolUniverse(UserDefinedUniverse):
    """A universe whose members come from a function of the selection time.

    Parameters
    ----------
    name
        The universe's name (its key in ``universe_manager``).
    times
        ``(start, end) -> int64 ns`` array of selection times (New York).
    select
        ``selection_time -> list of symbols | Universe.UNCHANGED``.
    """

    def __init__(self, name: str, times: Callable[[datetime, datetime], np.ndarray],
                 select: Callable[[datetime], Any]) -> None:
        super().__init__(name, select, None)
        self._times = times

    def emissions(self, start: datetime, end: datetime, hours: Any) -> list[tuple[datetime, date]]:
        """The model's selection times from ``start`` to ``end`` (no data file is read)."""
        moments = pd.to_datetime(np.asarray(self._times(start, end), dtype=np.int64))
        return [(moment.to_pydatetime(), moment.date()) for moment in moments]


def as_symbol(value: Any) -> Symbol:
    """A ticker or Symbol as an equity :class:`Symbol` (LEAN's implicit string conversion)."""
    return value if isinstance(value, Symbol) else Symbol(str(value), SecurityType.EQUITY, Market.USA)


def _once(start: datetime, end: datetime) -> np.ndarray:
    return np.array([pd.Timestamp(start).value], dtype=np.int64)


class UniverseSelectionModel:
    """Base class: ``create_universes(algorithm) -> list of universes``."""

    def get_next_refresh_time_utc(self) -> datetime:
        return datetime(2050, 12, 31)

    def create_universes(self, algorithm: Any) -> list[Any]:
        raise NotImplementedError("Types deriving from 'UniverseSelectionModel' must implement the "
                                  "'IEnumerable<Universe> CreateUniverses(QCAlgorithm) method.")


class NullUniverseSelectionModel(UniverseSelectionModel):
    """No universe (the algorithm's default)."""

    def create_universes(self, algorithm: Any) -> list[Any]:
        return []


class CompositeUniverseSelectionModel(UniverseSelectionModel):
    """The universes of several models."""

    def __init__(self, *models: Any) -> None:
        if not models:
            raise ValueError("Must specify at least 1 universe selection model for the "
                             "CompositeUniverseSelectionModel")
        self._models = list(models)

    def add_universe_selection(self, model: Any) -> None:
        self._models.append(model)

    def get_next_refresh_time_utc(self) -> datetime:
        return min(model.get_next_refresh_time_utc() for model in self._models)

    def create_universes(self, algorithm: Any) -> list[Any]:
        return [universe for model in self._models for universe in model.create_universes(algorithm)]


class ManualUniverseSelectionModel(UniverseSelectionModel):
    """A fixed list of symbols, selected when the run starts: one universe per security type and
    market (LEAN's ``ManualUniverseSelectionModel.CreateUniverses``), each a ``ManualUniverse`` that
    triggers once (a user-defined universe with an infinite interval)."""

    def __init__(self, *symbols: Any) -> None:
        if len(symbols) == 1 and isinstance(symbols[0], Iterable) and not isinstance(symbols[0], str):
            symbols = tuple(symbols[0])
        self._symbols = [as_symbol(s) for s in symbols]

    def create_universes(self, algorithm: Any) -> list[Any]:
        groups: dict[tuple[str, Any], list[Symbol]] = {}
        for symbol in dict.fromkeys(self._symbols):
            groups.setdefault((symbol.market, symbol.security_type), []).append(symbol)
        universes = [SymbolUniverse(f"ManualUniverse-{id(self)}-{market}-{security_type}", _once,
                                    lambda _t, members=members: members)
                     for (market, security_type), members in groups.items()]
        for universe in universes:
            universe.explicit_members = True
        return universes


class CustomUniverseSelectionModel(UniverseSelectionModel):
    """``CustomUniverseSelectionModel(name, selector)``: ``selector(time) -> tickers`` each day
    (a subclass may override ``select(algorithm, date)`` instead)."""

    def __init__(self, name: str, selector: Callable[[datetime], Iterable[Any]] | None = None) -> None:
        self.name = name
        self._selector = selector

    def select(self, algorithm: Any, date: datetime) -> Iterable[Any]:
        if self._selector is None:
            raise NotImplementedError("Please overwrite this method")
        return self._selector(date)

    def create_universes(self, algorithm: Any) -> list[Any]:
        # LEAN's CustomUniverse: a user-defined universe with a one-day interval (the start, then each
        # trading day's 00:00) whose subscription fills forward as the universe settings say
        universe = UserDefinedUniverse(self.name, lambda t: list(self.select(algorithm, t)), None)
        universe.fill_forward = bool(algorithm.universe_settings.fill_forward)
        return [universe]


class ScheduledUniverseSelectionModel(UniverseSelectionModel):
    """``ScheduledUniverseSelectionModel(date_rule, time_rule, selector)``: ``selector(time)`` at
    each scheduled time."""

    def __init__(self, date_rule: Any, time_rule: Any, selector: Callable[[datetime], Iterable[Any]],
                 settings: Any = None) -> None:
        self._date_rule = date_rule
        self._time_rule = time_rule
        self._selector = selector

    def _times(self, start: datetime, end: datetime) -> np.ndarray:
        days = self._date_rule.dates(start.date(), end.date())
        moments = sorted(t for d in days for t in self._time_rule.times(d) if start <= t <= end)
        return np.array([pd.Timestamp(t).value for t in moments], dtype=np.int64)

    def create_universes(self, algorithm: Any) -> list[Any]:
        return [SymbolUniverse(f"ScheduledUniverse-{id(self)}", self._times, lambda t: list(self._selector(t)))]


class FundamentalUniverseSelectionModel(UniverseSelectionModel):
    """Fundamental selection: override ``select(algorithm, fundamental)`` or pass a selector
    ``fundamental -> symbols``; the universe is the algorithm's ``add_universe`` of that selector
    (each day, on the previous day's coarse file)."""

    def __init__(self, selector: Any = None, universe_settings: Any = None) -> None:
        if selector is not None and not callable(selector):
            universe_settings, selector = selector, None
        self._selector = selector
        self.universe_settings = universe_settings

    def select(self, algorithm: Any, fundamental: list[Any]) -> Any:
        if self._selector is None:
            raise NotImplementedError("Please overwrite this method")
        return self._selector(fundamental)

    def create_universes(self, algorithm: Any) -> list[Any]:
        return [algorithm.add_universe(lambda rows: self.select(algorithm, rows))]


class CoarseFundamentalUniverseSelectionModel(FundamentalUniverseSelectionModel):
    """``CoarseFundamentalUniverseSelectionModel(coarse_selector)``."""

    def __init__(self, coarse_selector: Callable[[list[Any]], Any], universe_settings: Any = None) -> None:
        super().__init__(coarse_selector, universe_settings)

    def select_coarse(self, algorithm: Any, coarse: list[Any]) -> Any:
        return self._selector(coarse)

    def select(self, algorithm: Any, fundamental: list[Any]) -> Any:
        return self.select_coarse(algorithm, fundamental)


class FineFundamentalUniverseSelectionModel(UniverseSelectionModel):
    """``FineFundamentalUniverseSelectionModel(coarse_selector, fine_selector)``: the algorithm's
    ``add_universe(coarse, fine)``."""

    def __init__(self, coarse_selector: Callable[[list[Any]], Any], fine_selector: Callable[[list[Any]], Any],
                 universe_settings: Any = None) -> None:
        self._coarse = coarse_selector
        self._fine = fine_selector
        self.universe_settings = universe_settings

    def select_coarse(self, algorithm: Any, coarse: list[Any]) -> Any:
        return self._coarse(coarse)

    def select_fine(self, algorithm: Any, fine: list[Any]) -> Any:
        return self._fine(fine)

    def create_universes(self, algorithm: Any) -> list[Any]:
        return [algorithm.add_universe(lambda rows: self.select_coarse(algorithm, rows),
                                       lambda rows: self.select_fine(algorithm, rows))]


class ETFConstituentsUniverseSelectionModel(UniverseSelectionModel):
    """``ETFConstituentsUniverseSelectionModel(etf_symbol, universe_settings=None, filter=None)``:
    the algorithm's ``add_universe(universe.etf(...))`` (every constituent when no filter)."""

    def __init__(self, etf_symbol: Any, universe_settings: Any = None, universe_filter_func: Any = None) -> None:
        if callable(universe_settings) and universe_filter_func is None:
            universe_settings, universe_filter_func = None, universe_settings
        self._etf = etf_symbol
        self.universe_settings = universe_settings
        self._filter = universe_filter_func

    def create_universes(self, algorithm: Any) -> list[Any]:
        settings = self.universe_settings or algorithm.universe_settings
        etf = self._etf if isinstance(self._etf, Symbol) else Symbol(str(self._etf), SecurityType.EQUITY, Market.USA)
        return [algorithm.add_universe(algorithm.universe.etf(etf, settings, self._filter))]
