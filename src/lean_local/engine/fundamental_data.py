"""Fundamental data providers (LEAN ``IFundamentalDataProvider``) and the one the runtime reads now
(LEAN's static ``FundamentalService``).

A provider answers one fundamental property (LEAN's ``FundamentalProperty`` name, such as
``"CompanyProfile_MarketCap"``) of one security (its identifier string, ``"AAPL R735QTJ8XC9X"``) on
one date. The coarse file's own fields (price, volume, dollar volume, factors) are read from the coarse
files by the universe (:mod:`lean_local.engine.fundamental_universe`); providers answer the rest.

* :class:`CoarseFundamentalDataProvider` is LEAN's default (``fundamental-data-provider`` unset): it
  knows nothing beyond the coarse file, so ``HasFundamentalData`` is False and every fine property is its
  type's missing value (``BaseFundamentalDataProvider.GetDefault``: NaN for a double, 0 for an integer,
  None for a string).
* :class:`FixedFundamentalDataProvider` answers from a table: every security has fundamental data, a
  property the table has is its value for the security (else the table's default for that property), a
  property it lacks is None. LEAN's regression runs use such a provider (``lean-local conformance``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, Protocol

#: LEAN's ``GetDefault<T>`` per value type: what a property reads as when no provider knows it
MISSING: dict[type, Any] = {float: float("nan"), int: 0, str: None, bool: False}

HAS_FUNDAMENTAL_DATA = "HasFundamentalData"


class FundamentalDataProvider(Protocol):
    """LEAN's ``IFundamentalDataProvider``."""

    def get(self, day: date, sid: str, name: str, kind: type) -> Any:
        """The value of property ``name`` (of Python type ``kind``) of security ``sid`` on ``day``."""
        ...


class CoarseFundamentalDataProvider:
    """LEAN's default provider: no fundamental data beyond the coarse files."""

    def get(self, day: date, sid: str, name: str, kind: type) -> Any:
        return MISSING[kind]


class FixedFundamentalDataProvider:
    """Fixed values per property and security, the same on every date; every security has data.

    Parameters
    ----------
    values : mapping
        ``{property name: {security identifier: value}}``.
    defaults : mapping
        ``{property name: value}`` for a security the property's table lacks; a property absent from
        both reads as None (LEAN's provider returns null for it).
    """

    def __init__(self, values: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any]) -> None:
        self._values = {name: dict(by_sid) for name, by_sid in values.items()}
        self._defaults = dict(defaults)

    def get(self, day: date, sid: str, name: str, kind: type) -> Any:
        if name == HAS_FUNDAMENTAL_DATA:
            return True
        return self._values.get(name, {}).get(sid, self._defaults.get(name))


_current: FundamentalDataProvider = CoarseFundamentalDataProvider()


def get(day: date, sid: str, name: str, kind: type) -> Any:
    """Property ``name`` of security ``sid`` on ``day`` from the current provider (LEAN
    ``FundamentalService.Get``)."""
    return _current.get(day, sid, name, kind)


@contextlib.contextmanager
def using(provider: FundamentalDataProvider) -> Iterator[None]:
    """Read fundamentals from ``provider`` inside the block (LEAN's ``FundamentalService.Initialize``
    at the engine's start), then from the previous one again."""
    global _current
    previous, _current = _current, provider
    try:
        yield
    finally:
        _current = previous
