"""Coarse / fundamental universe selection (LEAN ``AddUniverse(selector)``) on daily files.

The coarse file of trading day T is handed to the selector at T+1 00:00 New York (LEAN's
``CoarseFundamental``/``Fundamental`` data ends at midnight after its day); securities the
selector adds receive their first daily bar at T+1's close. A security the selector drops leaves
the universe only when it holds no position and no open order (LEAN's ``Universe.CanRemoveMember``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
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


class UniverseSettings:
    """``self.universe_settings`` (LEAN's defaults; the runtime supports daily resolution only)."""

    def __init__(self) -> None:
        self.resolution = Resolution.MINUTE
        self.leverage = float("nan")
        self.fill_forward = True
        self.extended_market_hours = False
        self.minimum_time_in_universe = timedelta(days=1)
        self.data_normalization_mode = DataNormalizationMode.ADJUSTED
        self.asynchronous = False
        self.schedule = None


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


class Universe:
    """Holds LEAN's ``Universe.UNCHANGED`` sentinel."""

    UNCHANGED = object()


class CoarseUniverse:
    """A coarse/fundamental selector over the data folder's coarse files.

    Each row's security is its ``sid`` (LEAN's ``SecurityIdentifier``), resolved through the map
    files: a security keeps one :class:`Symbol` for the whole run, so a member renamed while
    selected (or held) stays one security, and its subscription reads every period's bars from the
    zip of the ticker of that period. What is modelled of LEAN's ``Symbol.value``: it is the ticker
    of the row where the run first meets the security, and stays so after a rename (LEAN updates it
    on the rename day; the runtime keys securities by that string). When that ticker has since
    passed to another company (GOOG, Google's class A until 2014, class C after), the symbol takes
    its map file's name (GOOGL) instead, so ``add_equity`` of it finds this security's data. A row
    whose ``sid`` no map file knows is its ticker, as before map files.
    """

    def __init__(self, data_folder: Path, selector: Callable[[list[Fundamental]], Any]) -> None:
        self.data_folder = Path(data_folder)
        self.selector = selector
        folder = formats.coarse_folder(self.data_folder)
        names = sorted(p.stem for p in folder.glob("*.csv")) if folder.exists() else []
        self.file_dates = pd.DatetimeIndex([pd.Timestamp(n) for n in names if n.isdigit() and len(n) == 8])
        self.members: set[Symbol] = set()
        # one Symbol per security identifier for the whole run
        self._symbols: dict[str, Symbol] = {}
        self._map_files = feeds.map_file_resolver(self.data_folder)

    def selection_times(self, start: datetime, end: datetime) -> np.ndarray:
        """int64 ns of T+1 00:00 for each coarse file day T, within ``[start, end]``."""
        times = self.file_dates + pd.Timedelta(days=1)
        times = times[(times >= pd.Timestamp(start)) & (times <= pd.Timestamp(end))]
        return times.asi8

    def rows_for(self, selection_time: datetime) -> list[Fundamental]:
        """The coarse rows handed over at ``selection_time`` (the file of the day before)."""
        day = pd.Timestamp(selection_time).normalize() - pd.Timedelta(days=1)
        # parsed once, then read back as columns (the ML demo reads 2,500 files of 500 rows)
        frame = feeds.cached_read(formats.read_coarse, formats.coarse_path(self.data_folder, day))
        sids, tickers, closes, volumes, dollar_volumes, price_factors, split_factors = (
            frame[name].to_numpy().tolist()
            for name in ("sid", "symbol", "close", "volume", "dollar_volume", "price_factor", "split_factor"))
        symbols = self._symbols
        known = [symbols.get(sid) for sid in sids]
        if None in known:
            known = [self._symbol(sid, ticker) for sid, ticker in zip(sids, tickers, strict=True)]
        end = day.to_pydatetime() + timedelta(days=1)
        return list(map(Fundamental, known, closes, volumes, dollar_volumes, price_factors, split_factors,
                        itertools.repeat(end)))

    def _symbol(self, sid: str, ticker: str) -> Symbol:
        """The run's Symbol of a security identifier, named when first met under ``ticker`` (see the class)."""
        known = self._symbols.get(sid)
        if known is not None:
            return known
        name = ticker
        map_file = self._map_files.resolve_sid(sid)
        if map_file is not None and self._map_files.resolve(ticker) is not map_file:
            name = map_file.permtick
        symbol = self._symbols[sid] = Symbol(name, SecurityType.EQUITY, Market.USA)
        return symbol

    def select(self, selection_time: datetime) -> Any:
        """Run the selector; returns the selected symbols or ``Universe.UNCHANGED``."""
        result = self.selector(self.rows_for(selection_time))
        if result is Universe.UNCHANGED:
            return result
        return [s if isinstance(s, Symbol) else Symbol(str(s)) for s in result]
