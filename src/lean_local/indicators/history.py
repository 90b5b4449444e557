"""``IndicatorHistory``: an indicator's values over past data (LEAN ``IndicatorHistory``,
``IndicatorDataPoints``).

``run_indicator_history(indicator, inputs)`` resets the indicator, pushes the inputs through it and
records, at each input time once the indicator is ready, its ``current`` value and the current
value of each of its sub-indicators (e.g. a Bollinger band's ``upper_band``), plus its plain
numeric properties (e.g. ``moving_average_type``) for the data frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import pandas as pd

from lean_local.indicators.base import IndicatorBase
from lean_local.indicators.window import IndicatorDataPoint

# LEAN's _ignoredProperties (snake_case), never history columns
IGNORED = {"consolidators", "current", "previous", "name", "samples", "is_ready", "window", "item",
           "warm_up_period", "period", "updated"}


def _key(name: str) -> str:
    """Property lookup key: case and underscores do not matter (``middle_band`` = ``MiddleBand``)."""
    return name.replace("_", "").lower()


class IndicatorDataPoints:
    """The values of an indicator and its sub-indicators at one time (LEAN ``IndicatorDataPoints``):
    ``points.current``, ``points.upper_band`` or ``points["upper_band"]``; ``value`` is
    ``current.value``."""

    def __init__(self, time: datetime, end_time: datetime) -> None:
        self.time = time
        self.end_time = end_time
        self._values: dict[str, Any] = {}

    def _set(self, name: str, value: Any) -> None:
        self._values[_key(name)] = value

    def __getitem__(self, name: str) -> Any:
        value = self._values.get(_key(name))
        return value if isinstance(value, IndicatorDataPoint) else None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_values":
            raise AttributeError(name)
        try:
            return self._values[_key(name)]
        except KeyError:
            raise AttributeError(f"'IndicatorDataPoints' has no property '{name}'") from None

    @property
    def value(self) -> float:
        return self._values["current"].value

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}: {v.value if isinstance(v, IndicatorDataPoint) else v}"
                          for k, v in sorted(self._values.items()))
        return f"{self.end_time} {parts}"


class IndicatorHistory:
    """An indicator's history: iterate the ``IndicatorDataPoints`` by time, ``count``,
    ``current`` (the indicator's own points), ``history["upper_band"]`` (a sub-indicator's points,
    None for an unknown name) and ``data_frame`` (one lower-case column per property, indexed by
    end time)."""

    def __init__(self, points: list[IndicatorDataPoints], per_name: dict[str, list[IndicatorDataPoint]],
                 extra: dict[str, list[tuple[datetime, Any]]]) -> None:
        self._points = points
        self._per_name = per_name
        self._extra = extra
        self._frame: pd.DataFrame | None = None

    @property
    def count(self) -> int:
        return len(self._points)

    def __len__(self) -> int:
        return len(self._points)

    def __iter__(self) -> Iterator[IndicatorDataPoints]:
        return iter(self._points)

    @property
    def current(self) -> list[IndicatorDataPoint]:
        return self._per_name["current"]

    def __getitem__(self, name: str) -> list[IndicatorDataPoint] | None:
        return self._per_name.get(_key(name))

    @property
    def data_frame(self) -> pd.DataFrame:
        if self._frame is None:
            columns: dict[str, pd.Series] = {}
            for name, points in self._per_name.items():
                kept = [p for p in points if p.end_time != datetime(1, 1, 1)]
                columns[name] = pd.Series([p.value for p in kept], index=pd.DatetimeIndex([p.end_time for p in kept]),
                                          dtype=float)
            for name, values in self._extra.items():
                columns[name] = pd.Series([v for _, v in values], index=pd.DatetimeIndex([t for t, _ in values]))
            self._frame = pd.DataFrame(columns, columns=sorted(columns))
        return self._frame

    def __repr__(self) -> str:
        return f"IndicatorHistory({len(self._points)} points)"


def _properties(indicator: IndicatorBase) -> tuple[list[tuple[str, Callable[[], Any]]], list[str]]:
    """(sub-indicator names with getters, plain numeric property names) of ``indicator``."""
    indicators: list[tuple[str, Callable[[], Any]]] = []
    plain: list[str] = []
    for name, value in vars(indicator).items():
        if name.startswith("_") or name in IGNORED:
            continue
        if isinstance(value, IndicatorBase):
            indicators.append((name, lambda n=name: getattr(indicator, n)))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            plain.append(name)
    return indicators, plain


def run_indicator_history(indicator: IndicatorBase, inputs: Iterable[Any],
                          update: Callable[[Any], Any] | None = None) -> IndicatorHistory:
    """Reset ``indicator``, push ``inputs`` through ``update`` (default ``indicator.update``) and
    record its values at each new input time once it is ready (LEAN ``QCAlgorithm.IndicatorHistory``)."""
    indicator.reset()
    subs, plain = _properties(indicator)
    getters = [*subs, ("current", lambda: indicator)]
    per_name: dict[str, list[IndicatorDataPoint]] = {_key(name): [] for name, _ in getters}
    extra: dict[str, list[tuple[datetime, Any]]] = {}
    points: list[IndicatorDataPoints] = []
    state: dict[str, Any] = {"consumed": None, "last": None}

    def consume(point: IndicatorDataPoint | None) -> None:
        if point is None or state["consumed"] == point.end_time:
            return
        state["consumed"] = point.end_time
        row = IndicatorDataPoints(point.time, point.end_time)
        points.append(row)
        for name, get in getters:
            current = get().current
            per_name[_key(name)].append(current)
            row._set(name, current)
        for name in plain:
            value = getattr(indicator, name)
            extra.setdefault(_key(name), []).append((point.end_time, value))
            row._set(name, value)

    def on_updated(sender: Any, point: IndicatorDataPoint) -> None:
        if not indicator.is_ready:
            return
        if state["last"] is None or state["last"].time != point.time:
            consume(point)
        state["last"] = point

    indicator.updated += on_updated
    try:
        push = update or indicator.update
        for item in inputs:
            push(item)
        consume(state["last"])
    finally:
        indicator.updated -= on_updated
    return IndicatorHistory(points, per_name, extra)
