"""LEAN's dictionaries as Python sees them through pythonnet (the slice's bars, splits, dividends...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class KeyValuePair:
    """One entry of a LEAN dictionary as Python sees it through pythonnet: ``.key`` and ``.value``
    (not a tuple: ``for k, v in data.bars`` fails in LEAN too; use ``data.bars.items()``)."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"[{self.key}, {self.value}]"


class DataDictionary(dict):
    """A dict keyed by symbol with LEAN's ``DataDictionary`` semantics in Python: ``contains_key``,
    ``get``, ``[]``, ``in``, ``len``, ``count``, ``keys()``, ``values()``, ``items()``; iterating it
    yields :class:`KeyValuePair` objects, as pythonnet iterates a .NET dictionary."""

    def contains_key(self, key: Any) -> bool:
        return key in self

    @property
    def count(self) -> int:
        return len(self)

    def __iter__(self) -> Iterator[KeyValuePair]:  # type: ignore[override]
        return (KeyValuePair(k, v) for k, v in dict.items(self))

    def __missing__(self, key: Any) -> Any:
        raise KeyError(f"'{key}' wasn't found in the {type(self).__name__} object, likely because there was no data "
                       "for this symbol at this time: check data.contains_key(symbol) first")
