"""Custom data: the reader that runs a data type's ``get_source`` and ``reader`` over local files.

A custom data type subclasses :class:`lean_local.engine.base_data.PythonData` and defines
``get_source(config, date, is_live_mode)`` (returning a
:class:`lean_local.engine.data_sources.SubscriptionDataSource`) and ``reader(config, line, date,
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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lean_local.data import formats
from lean_local.engine.base_data import BaseData, PythonData
from lean_local.engine.common import Market, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.data_sources import (
    SubscriptionDataConfig,
    SubscriptionDataSource,
    SubscriptionTransportMedium,
    Time,
)
from lean_local.engine.globals import Globals
from lean_local.engine.subscription_data import SubscriptionData, custom_subscription

log = logging.getLogger("lean_local.engine")


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

    def load() -> SubscriptionData:
        factory = data_type()
        resolved = Resolution(resolution) if resolution is not None else factory.default_resolution()
        config = SubscriptionDataConfig(data_type, symbol, resolved, fill_forward)
        Globals.data_folder = str(data_folder)
        start, end = period()
        days = [start.date() + timedelta(days=k) for k in range((end.date() - start.date()).days + 1)]
        series = read_custom_data(factory, config, days, start, end, Path(data_folder))
        return custom_subscription(symbol, series.points, series.time, series.end_time,
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


def point_at(sub: SubscriptionData, index: int, end_ns: int) -> Any:
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
