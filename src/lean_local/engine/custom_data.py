"""Custom data: LEAN's ``BaseData`` / ``PythonData`` types and the reader that runs their
``get_source`` and ``reader`` over local files.

A custom data type subclasses :class:`PythonData` and defines ``get_source(config, date,
is_live_mode)`` (returning a :class:`SubscriptionDataSource`) and ``reader(config, line, date,
is_live_mode)`` (returning an instance, or None to skip the line). :func:`read_custom_data`
follows LEAN's ``SubscriptionDataReader`` (``Engine/DataFeeds/SubscriptionDataReader.cs``):

* it asks ``get_source`` for every tradable date of the subscription (every calendar day for
  custom data, whose exchange is always open) and reads a source only when it differs from the
  previous date's source (a single file named for every date is read once);
* a source that does not exist is skipped (LEAN logs it and moves to the next date);
* points whose ``end_time`` goes back in time are dropped (custom data may repeat an end time),
  points ending before the subscription start are skipped, reading stops at the first point
  whose ``time`` is after the end.

Only local files are read: a ``REMOTE_FILE``, ``REST`` or ``STREAMING`` source raises
:class:`NotSupportedError` naming the source (remote files are not available to the runtime).
A ``reader`` that raises stops the run with ``DataFormatError`` naming the file and line.

Dynamic members follow LEAN's ``DynamicData`` (``Common/Data/DynamicData.cs``): ``data["Col"] =
x`` stores a case-insensitive property, read back as ``data["col"]``, ``data.get_property("Col")``
or the attribute ``data.col`` (and its snake-case form, ``data["EndOfDay"]`` as
``data.end_of_day``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

from lean_local.data import formats
from lean_local.engine import feed as feeds
from lean_local.engine.common import Market, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.globals import Globals

log = logging.getLogger("lean_local.engine")


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
        map_file = feeds.map_file_resolver(Path(Globals.data_folder)).resolve_sid(str(sid))
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


_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z][a-z])")


def _snake_case(name: str) -> str:
    """``EndOfDay`` -> ``end_of_day`` (LEAN's ``ToSnakeCase`` for dynamic property names)."""
    return _SNAKE.sub(lambda m: "_" + (m.group(1) or m.group(2)), name).lower()


class BaseData:
    """LEAN ``BaseData``: a symbol, a time span and a value.

    ``end_time`` defaults to ``time`` until it is set (``PythonData``'s rule); setting
    ``end_time`` first sets ``time`` too. ``price`` is ``value``.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_fields", {"symbol": None, "time": None, "end_time": None, "value": 0.0})

    # the four reserved members live in one dict so that __getattr__ can serve dynamic ones
    @property
    def symbol(self) -> Any:
        return self._fields["symbol"]

    @symbol.setter
    def symbol(self, value: Any) -> None:
        self._fields["symbol"] = value

    @property
    def time(self) -> datetime:
        return self._fields["time"]

    @time.setter
    def time(self, value: datetime) -> None:
        self._fields["time"] = value

    @property
    def end_time(self) -> datetime:
        end = self._fields["end_time"]
        return self._fields["time"] if end is None else end

    @end_time.setter
    def end_time(self, value: datetime) -> None:
        self._fields["end_time"] = value
        if self._fields["time"] is None:
            self._fields["time"] = value

    @property
    def value(self) -> float:
        return self._fields["value"]

    @value.setter
    def value(self, value: float) -> None:
        self._fields["value"] = float(value)

    @property
    def price(self) -> float:
        return self.value

    is_fill_forward = False

    # the members a custom type may override (LEAN's defaults)
    def get_source(self, config: SubscriptionDataConfig, date: datetime, is_live_mode: bool) -> SubscriptionDataSource:
        raise not_supported(type(self).__name__, "get_source (a custom data type must define it)")

    def reader(self, config: SubscriptionDataConfig, line: str, date: datetime, is_live_mode: bool) -> Any:
        raise not_supported(type(self).__name__, "reader (a custom data type must define it)")

    def requires_mapping(self) -> bool:
        return False

    def is_sparse_data(self) -> bool:
        return False

    def default_resolution(self) -> Resolution:
        return Resolution.DAILY

    def supported_resolutions(self) -> list[Resolution]:
        return [Resolution.TICK, Resolution.SECOND, Resolution.MINUTE, Resolution.HOUR, Resolution.DAILY]

    def data_time_zone(self) -> str:
        return "America/New_York"

    def clone(self) -> BaseData:
        copy = object.__new__(type(self))
        object.__setattr__(copy, "__dict__", dict(self.__dict__))
        object.__setattr__(copy, "_fields", dict(self._fields))
        return copy

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.value:g}"


class PythonData(BaseData):
    """LEAN ``PythonData``: custom data with dynamic, case-insensitive properties.

    ``data["Close"] = 1.5`` stores the property ``close``; ``data["close"]``, ``data.close``,
    ``data.Close`` and ``data.get_property("CLOSE")`` read it back. ``time``, ``end_time``,
    ``value`` and ``symbol`` set through the indexer set the members themselves. A missing
    property raises ``KeyError`` (LEAN's ``KeyNotFoundException``) listing the stored ones.
    """

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "_storage", {})
        object.__setattr__(self, "_snake_storage", {})

    def set_property(self, name: str, value: Any) -> Any:
        lower = name.lower()
        if lower == "time":
            self.time = value
        elif lower in ("endtime", "end_time"):
            self.end_time = value
        elif lower == "value":
            self.value = value
        elif lower == "symbol":
            self.symbol = value
        self._storage[lower] = value
        snake = _snake_case(name)
        if snake != lower:
            self._snake_storage[snake] = value
        return value

    def get_property(self, name: str) -> Any:
        lower = name.lower()
        reserved = {"time": "time", "endtime": "end_time", "end_time": "end_time", "value": "value",
                    "symbol": "symbol", "price": "price"}
        if lower in reserved:
            return getattr(self, reserved[lower])
        storage = self.__dict__.get("_storage", {})
        if lower in storage:
            return storage[lower]
        snake = self.__dict__.get("_snake_storage", {})
        if lower in snake:
            return snake[lower]
        raise KeyError(f"Property with name '{lower}' does not exist. Properties: Time, Symbol, Value "
                       f"{', '.join(storage)}")

    def has_property(self, name: str) -> bool:
        return name.lower() in self.__dict__.get("_storage", {})

    def get_storage_dictionary(self) -> dict[str, Any]:
        return self._storage

    def __getitem__(self, name: str) -> Any:
        return self.get_property(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.set_property(name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: the dynamic properties
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.get_property(name)
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def clone(self) -> BaseData:
        copy = super().clone()
        object.__setattr__(copy, "_storage", dict(self._storage))
        object.__setattr__(copy, "_snake_storage", dict(self._snake_storage))
        return copy


def _bar_prices(point: Any) -> tuple[float, float, float, float]:
    """A point's open, high, low, close as the security sees them (LEAN ``SecurityCache``): a bar
    type (one with ``_is_bar``) gives its own OHLC, any other data its price four times."""
    if getattr(type(point), "_is_bar", False):
        return float(point.open), float(point.high), float(point.low), float(point.close)
    price = float(point.price)
    return price, price, price, price


@dataclass
class CustomSeries:
    """The points of one custom subscription, with their times as int64 ns columns."""

    points: list[Any]
    time: np.ndarray
    end_time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def _to_ns(moment: datetime) -> int:
    return int(np.datetime64(moment, "ns").astype(np.int64))


def _local_lines(source: SubscriptionDataSource, data_folder: Path) -> tuple[Path, list[str]] | None:
    """The lines of a local source (``path.zip#entry`` names a zip entry); None when absent."""
    if source.transport_medium != SubscriptionTransportMedium.LOCAL_FILE:
        raise not_supported("SubscriptionDataSource",
                            f"{source.transport_medium.name} source {source.source!r} (the runtime reads local "
                            "files only; remote files are not available)")
    text = source.source
    path_text, _, entry = text.partition("#")
    path = Path(path_text)
    if not path.is_absolute() and not path.exists():
        path = Path(data_folder) / path
    if not path.exists():
        return None
    return path, formats.read_text_lines(path, entry or None)


def read_custom_data(factory: BaseData, config: SubscriptionDataConfig, dates: Iterable[date],
                     start: datetime, end: datetime, data_folder: Path,
                     on_point: Callable[[Any], None] | None = None) -> CustomSeries:
    """Run ``factory.get_source``/``factory.reader`` over ``dates`` as LEAN's reader does.

    Parameters
    ----------
    factory : BaseData
        An instance of the custom type (its ``get_source`` and ``reader`` are called).
    config : SubscriptionDataConfig
        Handed to ``get_source`` and ``reader``.
    dates : iterable of date
        The subscription's tradable dates, in order.
    start, end : datetime
        The subscription's period: points ending before ``start`` are skipped, reading stops at
        the first point starting after ``end``.
    data_folder : Path
        Relative local sources are looked up here when they do not exist relative to the
        working directory.

    Returns
    -------
    CustomSeries
        The kept points in source order, and their ``time``/``end_time`` (int64 ns, naive New
        York) and open/high/low/close columns.

    Raises
    ------
    lean_local.data.formats.DataFormatError
        ``reader`` raised on a line (the message names the file and 1-based line).
    """
    points: list[Any] = []
    previous_source: SubscriptionDataSource | None = None
    previous_end: datetime | None = None
    finished = False
    for day in dates:
        moment = datetime.combine(day, datetime.min.time())
        source = factory.get_source(config, moment, False)
        if source is None or source == previous_source or not source.source:
            continue
        previous_source = source
        found = _local_lines(source, data_folder)
        if found is None:
            log.warning("%s: no data file %s for %s", type(factory).__name__, source.source, config.symbol)
            continue
        path, lines = found
        for number, line in enumerate(lines, start=1):
            try:
                point = factory.reader(config, line, moment, False)
            except Exception as error:  # noqa: BLE001 - the user's reader: report where it failed
                raise formats.DataFormatError(path, number, f"{type(factory).__name__}.reader failed: "
                                                            f"{type(error).__name__}: {error}") from error
            if point is None:
                continue
            if point.time is None:
                raise formats.DataFormatError(path, number, f"{type(factory).__name__}.reader returned a point "
                                                            "without a time")
            point_end = point.end_time
            if previous_end is not None and point_end < previous_end:
                continue  # custom data that goes back in time is dropped
            previous_end = point_end
            if point_end < start:
                continue
            if point.time > end:
                finished = True
                break
            if on_point is not None:
                on_point(point)
            points.append(point)
        if finished:
            break
    prices = np.array([_bar_prices(p) for p in points], dtype=np.float64).reshape(len(points), 4)
    return CustomSeries(points, np.array([_to_ns(p.time) for p in points], dtype=np.int64),
                        np.array([_to_ns(p.end_time) for p in points], dtype=np.int64),
                        prices[:, 0], prices[:, 1], prices[:, 2], prices[:, 3])


class CBOE(PythonData):
    """CBOE's index history as custom data (LEAN ``QuantConnect.DataSource.CBOE``):
    ``self.add_data(CBOE, "VIX", Resolution.DAILY)`` reads ``alternative/cboe/<ticker>.csv``
    (CBOE's ``DATE,OPEN,HIGH,LOW,CLOSE`` with ``MM/DD/YYYY`` dates); lines not starting with a
    digit are skipped; day D's bar arrives at D+1 00:00 New York. A bar: the security's open,
    high, low and close are the bar's."""

    _is_bar = True

    def get_source(self, config: SubscriptionDataConfig, date: datetime, is_live_mode: bool) -> SubscriptionDataSource:
        return SubscriptionDataSource(str(formats.cboe_path(Path(Globals.data_folder), config.symbol.value)),
                                      SubscriptionTransportMedium.LOCAL_FILE)

    def reader(self, config: SubscriptionDataConfig, line: str, date: datetime, is_live_mode: bool) -> CBOE | None:
        if not line[:1].isdigit():
            return None
        fields = line.split(",")
        if len(fields) < 5:
            raise ValueError(f"expected 5 fields (DATE,OPEN,HIGH,LOW,CLOSE), found {len(fields)}")
        bar = CBOE()
        bar.symbol = config.symbol
        bar.time = datetime.strptime(fields[0].strip(), "%m/%d/%Y")
        bar.end_time = bar.time + Time.ONE_DAY
        bar.open, bar.high, bar.low, bar.close = (float(x) for x in fields[1:5])
        for name in ("open", "high", "low", "close"):
            if getattr(bar, name) < 0:
                raise ValueError(f"negative {name}")
        bar.value = bar.close
        return bar

    volume = 0.0

    @property
    def period(self) -> timedelta:
        return self.end_time - self.time


def custom_data_type(data_type: Any) -> type:
    """``data_type`` when it is a custom data class (a ``BaseData`` subclass), else LEAN's error."""
    if isinstance(data_type, type) and issubclass(data_type, BaseData):
        return data_type
    raise TypeError(f"QCAlgorithm.add_data(): {data_type!r} is not a valid custom data type: pass a class that "
                    "subclasses PythonData and defines get_source and reader")


def subscription_loader(data_folder: Path, data_type: Any, symbol: Symbol, resolution: Resolution | None,
                        fill_forward: bool, period: Callable[[], tuple[datetime, datetime]]
                        ) -> Callable[[], Any]:
    """A loader of the custom subscription ``symbol``: when called it reads the type's sources over
    the subscription's period (``period()`` gives its start and end: the run's start, or the time
    the security was added during the run) into a feed subscription."""
    data_type = custom_data_type(data_type)

    def load() -> feeds.SubscriptionData:
        factory = data_type()
        resolved = Resolution(resolution) if resolution is not None else factory.default_resolution()
        config = SubscriptionDataConfig(data_type, symbol, resolved, fill_forward)
        Globals.data_folder = str(data_folder)
        start, end = period()
        days = [start.date() + timedelta(days=k) for k in range((end.date() - start.date()).days + 1)]
        series = read_custom_data(factory, config, days, start, end, Path(data_folder))
        return feeds.custom_subscription(symbol, series.points, series.time, series.end_time,
                                         (series.open, series.high, series.low, series.close), fill_forward)

    return load


def type_of(symbol: Symbol) -> type:
    """The custom data type of a BASE symbol made by ``Symbol.create_base`` or a custom universe."""
    data_type = symbol.id.custom_data_type
    if data_type is None:
        raise not_supported("QCAlgorithm", f"a custom data security {symbol.id} whose data type is unknown "
                                           "(make its symbol with Symbol.create_base(MyData, underlying))")
    return data_type


def custom_symbol(data_type: type, ticker: str, market: str = Market.USA) -> Symbol:
    """The symbol of ``add_data(data_type, ticker)``: a BASE security named by its ticker."""
    return Symbol(ticker, SecurityType.BASE, market)


def point_at(sub: feeds.SubscriptionData, index: int, end_ns: int) -> Any:
    """The custom data object of bar ``index``; at a later ``end_ns`` (a fill-forward step) a clone
    moved to end then, marked ``is_fill_forward`` (LEAN's ``Clone(fillForward: true)``)."""
    point = sub.points[index]  # type: ignore[index]
    bar_end = int(sub.end_time[index])
    if end_ns <= bar_end:
        return point
    copy = point.clone()
    shift = timedelta(microseconds=(end_ns - bar_end) // 1000)
    copy.time = point.time + shift
    copy.end_time = point.end_time + shift
    copy.is_fill_forward = True
    return copy
