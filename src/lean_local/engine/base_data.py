"""LEAN's ``BaseData`` and ``PythonData``, the base classes of custom data types.

Dynamic members follow LEAN's ``DynamicData`` (``Common/Data/DynamicData.cs``): ``data["Col"] =
x`` stores a case-insensitive property, read back as ``data["col"]``, ``data.get_property("Col")``
or the attribute ``data.col`` (and its snake-case form, ``data["EndOfDay"]`` as
``data.end_of_day``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lean_local.engine.common import Resolution, not_supported
from lean_local.engine.data_sources import SubscriptionDataConfig, SubscriptionDataSource

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
