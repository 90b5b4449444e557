"""ETF constituents universes (LEAN ``ETFConstituentUniverse``, ``ETFConstituentsUniverseFactory``,
``UniverseDefinitions.ETF``).

``<data folder>/equity/usa/universes/etf/<etf ticker>/YYYYMMDD.csv`` holds one row per constituent:
``ticker,security identifier,last update YYYYMMDD,weight,shares held,market value`` (the last four
may be empty). The file of trading day D is selected on at D+1 00:00 New York (the universe's
subscription is in New York time, one day long); ``self.universe.etf("SPY", settings, filter)``
hands the filter the day's :class:`ETFConstituentUniverse` rows (``weight``, ``shares_held``,
``market_value``, ``last_update``; None where the file has nothing) and selects what it returns,
every constituent without a filter.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lean_local.engine.base_data import BaseData
from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.custom_universe import ConstituentsUniverse
from lean_local.engine.data_sources import (
    FileFormat,
    SubscriptionDataConfig,
    SubscriptionDataSource,
    SubscriptionTransportMedium,
)
from lean_local.engine.globals import Globals
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.universe import UniverseSettings


def _optional_float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


class ETFConstituentUniverse(BaseData):
    """One constituent of an ETF on one day (LEAN ``ETFConstituentUniverse``, alias ``ETFConstituentData``)."""

    def __init__(self) -> None:
        super().__init__()
        self.last_update: datetime | None = None
        self.weight: float | None = None
        self.shares_held: float | None = None
        self.market_value: float | None = None

    def get_source(self, config: SubscriptionDataConfig, date: datetime, is_live_mode: bool) -> SubscriptionDataSource:
        etf = config.symbol.underlying.value.lower()
        path = (Path(Globals.data_folder) / config.security_type.name.lower() / config.market / "universes" / "etf"
                / etf / f"{date:%Y%m%d}.csv")
        return SubscriptionDataSource(str(path), SubscriptionTransportMedium.LOCAL_FILE, FileFormat.FOLDING_COLLECTION)

    def reader(self, config: SubscriptionDataConfig, line: str, date: datetime,
               is_live_mode: bool) -> ETFConstituentUniverse | None:
        if not line:
            return None
        fields = line.split(",")
        if len(fields) < 6:
            raise ValueError(f"expected 6 fields (ticker,sid,last update,weight,shares held,market value), "
                             f"found {len(fields)}")
        row = ETFConstituentUniverse()
        row.symbol = Symbol(SecurityIdentifier.parse(fields[1]), fields[0])
        try:
            row.last_update = datetime.strptime(fields[2].strip(), "%Y%m%d")
        except ValueError:
            row.last_update = None
        row.weight = _optional_float(fields[3])
        row.shares_held = _optional_float(fields[4])
        row.market_value = _optional_float(fields[5])
        row.time = date
        row.end_time = date + timedelta(days=1)
        return row

    def __repr__(self) -> str:
        return f"{self.symbol}: weight {self.weight}"


ETFConstituentData = ETFConstituentUniverse

_universe_count = itertools.count(1)


def etf_universe_symbol(etf: Symbol) -> Symbol:
    """The universe symbol of an ETF's constituents: LEAN's ``qc-universe-etf-constituents-<n>-...``
    constituent identifier, with the ETF as its underlying."""
    ticker = f"qc-universe-etf-constituents-{next(_universe_count):010d}"
    symbol = Symbol(SecurityIdentifier.generate_constituent_identifier(ticker, etf.security_type, etf.market),
                    ticker)
    symbol.underlying = etf
    return symbol


class ETFConstituentsUniverseFactory(ConstituentsUniverse):
    """The constituents universe of the ETF ``symbol`` (LEAN ``ETFConstituentsUniverseFactory``)."""

    data_class = ETFConstituentUniverse

    def __init__(self, symbol: Symbol, universe_settings: UniverseSettings | None = None,
                 constituents_filter: Callable[[list[Any]], Any] | None = None) -> None:
        super().__init__(etf_universe_symbol(symbol), universe_settings,
                         constituents_filter or (lambda rows: [row.symbol for row in rows]))


def etf(etf_ticker: Any, market: Any = None, universe_settings: Any = None,
        universe_filter_func: Any = None) -> ETFConstituentsUniverseFactory:
    """``self.universe.etf(ticker_or_symbol, [market], [universe_settings], [filter])`` with LEAN's
    overloads: the arguments after the ETF may be given positionally in any of LEAN's orders
    (``(ticker, settings, filter)``, ``(ticker, market, filter)``, ``(ticker, filter)``...)."""
    rest = [a for a in (market, universe_settings, universe_filter_func) if a is not None]
    market_name = next((a for a in rest if isinstance(a, str)), Market.USA)
    settings = next((a for a in rest if isinstance(a, UniverseSettings)), None)
    selector = next((a for a in rest if callable(a) and not isinstance(a, str | UniverseSettings)), None)
    symbol = etf_ticker if isinstance(etf_ticker, Symbol) else Symbol(str(etf_ticker), SecurityType.EQUITY,
                                                                      market_name)
    return ETFConstituentsUniverseFactory(symbol, settings, selector)
