"""What a custom data type's ``get_source`` and ``reader`` receive and return: LEAN's
``SubscriptionDataSource`` (with its transport medium and file format), ``SubscriptionDataConfig``,
``TickType``, the ``Time`` constants and ``LeanData``'s file names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

from lean_local.engine.common import Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.daily_readers import map_file_resolver
from lean_local.engine.globals import Globals


class SubscriptionTransportMedium(IntEnum):
    """Where a source is read from (LEAN ``SubscriptionTransportMedium``)."""

    LOCAL_FILE = 0
    REMOTE_FILE = 1
    REST = 2
    STREAMING = 3
    OBJECT_STORE = 4


class FileFormat(IntEnum):
    """How a source's content is laid out (LEAN ``FileFormat``)."""

    CSV = 0
    BINARY = 1
    ZIP_ENTRY_NAME = 2
    UNFOLDING_COLLECTION = 3
    INDEX = 4
    FOLDING_COLLECTION = 5


class TickType(IntEnum):
    """LEAN ``TickType``."""

    TRADE = 0
    QUOTE = 1
    OPEN_INTEREST = 2


class SubscriptionDataSource:
    """A data source returned by ``get_source`` (LEAN ``SubscriptionDataSource``).

    With only ``source`` given, the transport medium is ``REMOTE_FILE`` for ``http(s)://``
    addresses and ``LOCAL_FILE`` otherwise, and the format ``CSV``. Two sources are equal when
    their source string, transport medium and headers are (format is not compared, as LEAN).
    """

    def __init__(self, source: str, transport_medium: SubscriptionTransportMedium | None = None,
                 format: FileFormat = FileFormat.CSV, headers: Any = None) -> None:
        self.source = str(source)
        if transport_medium is None:
            remote = self.source.lower().startswith(("http://", "https://"))
            transport_medium = SubscriptionTransportMedium.REMOTE_FILE if remote else SubscriptionTransportMedium.LOCAL_FILE
        self.transport_medium = SubscriptionTransportMedium(transport_medium)
        self.format = FileFormat(format)
        self.headers = list(dict(headers).items()) if headers else []

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SubscriptionDataSource) and self.source == other.source
                and self.transport_medium == other.transport_medium and self.headers == other.headers)

    def __hash__(self) -> int:
        return hash((self.source, int(self.transport_medium)))

    def __repr__(self) -> str:
        return f"{self.transport_medium.name}: {self.format.name} {self.source}"


class Time:
    """LEAN ``QuantConnect.Time`` constants."""

    ONE_DAY = timedelta(days=1)
    ONE_HOUR = timedelta(hours=1)
    ONE_MINUTE = timedelta(minutes=1)
    ONE_SECOND = timedelta(seconds=1)
    END_OF_TIME = datetime(2050, 12, 31)
    BEGINNING_OF_TIME = datetime(1998, 1, 2)


class LeanData:
    """LEAN ``LeanData`` path helpers for the daily files the runtime reads."""

    @staticmethod
    def generate_zip_file_name(symbol: Any, date: datetime, resolution: Resolution, tick_type: Any = None) -> str:
        """``<ticker>.zip`` for daily and hour data of equities, indices, forex, CFDs and custom data;
        ``YYYYMMDD_<ticktype>.zip`` for finer resolutions (LEAN ``GenerateZipFileName``).

        The ticker is the symbol's value, as LEAN's symbol shows it on ``date``: a custom data symbol
        on an equity read from a data file (``Symbol.create_base(MyData, coarse_row.symbol)``) takes
        the equity's ticker of that date from its map file (Google's class A is ``GOOG`` in March
        2014, though the run names the security ``GOOGL``).
        """
        security_type = getattr(symbol, "security_type", SecurityType.EQUITY)
        if security_type not in (SecurityType.BASE, SecurityType.EQUITY, SecurityType.INDEX, SecurityType.FOREX,
                                 SecurityType.CFD):
            raise not_supported("LeanData.generate_zip_file_name", f"security type {security_type.name}")
        if resolution in (Resolution.DAILY, Resolution.HOUR):
            return f"{_ticker_on(symbol, date).lower()}.zip"
        kind = TickType(tick_type if tick_type is not None else TickType.TRADE).name.lower()
        return f"{date:%Y%m%d}_{kind}.zip"


def _ticker_on(symbol: Any, day: datetime) -> str:
    """``symbol``'s ticker on ``day`` (see ``LeanData.generate_zip_file_name``)."""
    underlying = getattr(symbol, "underlying", None)
    sid = getattr(underlying, "_sid", None)
    if underlying is not None and sid is not None and underlying.security_type == SecurityType.EQUITY:
        map_file = map_file_resolver(Path(Globals.data_folder)).resolve_sid(str(sid))
        if map_file is not None and len(map_file):
            k = int(map_file.dates.searchsorted(np.datetime64(day, "ns")))
            if k < len(map_file):
                return map_file.tickers[k]
    return str(getattr(symbol, "value", symbol))


@dataclass
class SubscriptionDataConfig:
    """What ``get_source`` and ``reader`` receive (LEAN ``SubscriptionDataConfig``)."""

    type: type
    symbol: Symbol
    resolution: Resolution = Resolution.DAILY
    fill_data_forward: bool = False
    is_custom_data: bool = True
    tick_type: TickType = TickType.TRADE
    data_time_zone: str = "America/New_York"
    exchange_time_zone: str = "America/New_York"

    @property
    def market(self) -> str:
        return self.symbol.market

    @property
    def security_type(self) -> SecurityType:
        return self.symbol.security_type

    @property
    def mapped_symbol(self) -> str:
        return self.symbol.value

    @property
    def increment(self) -> timedelta:
        return {Resolution.DAILY: Time.ONE_DAY, Resolution.HOUR: Time.ONE_HOUR,
                Resolution.MINUTE: Time.ONE_MINUTE, Resolution.SECOND: Time.ONE_SECOND}.get(self.resolution,
                                                                                         timedelta(0))
