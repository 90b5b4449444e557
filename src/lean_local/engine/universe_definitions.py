"""``self.universe`` (LEAN ``UniverseDefinitions``): the ready-made universes an algorithm passes to
``add_universe`` (top dollar volume, an ETF's constituents)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lean_local.engine.common import Symbol
from lean_local.engine.etf_constituents import etf
from lean_local.engine.fundamental_universe import Fundamental
from lean_local.engine.universe import Universe, UniverseSettings


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

