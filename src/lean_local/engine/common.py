"""Enumerations and the ``Symbol`` type shared by every engine layer.

Enum members and values follow LEAN (``quantconnect-stubs``); the runtime only needs the members the
project's algorithms use, the others exist so user code comparing against them keeps working.
"""

from __future__ import annotations

from enum import IntEnum


class Resolution(IntEnum):
    """Data resolution (LEAN ``Resolution``)."""

    TICK = 0
    SECOND = 1
    MINUTE = 2
    HOUR = 3
    DAILY = 4


class SecurityType(IntEnum):
    """Security type (LEAN ``SecurityType``)."""

    BASE = 0
    EQUITY = 1
    OPTION = 2
    COMMODITY = 3
    FOREX = 4
    FUTURE = 5
    CFD = 6
    CRYPTO = 7
    FUTURE_OPTION = 8
    INDEX = 9
    INDEX_OPTION = 10
    CRYPTO_FUTURE = 11


class DataNormalizationMode(IntEnum):
    """How equity prices are adjusted (LEAN ``DataNormalizationMode``)."""

    RAW = 0
    ADJUSTED = 1
    SPLIT_ADJUSTED = 2
    TOTAL_RETURN = 3
    FORWARD_PANAMA_CANAL = 4
    BACKWARDS_PANAMA_CANAL = 5
    BACKWARDS_RATIO = 6
    SCALED_RAW = 7


class Market:
    """Market names as LEAN spells them (lower case strings)."""

    USA = "usa"
    OANDA = "oanda"
    FXCM = "fxcm"
    CBOE = "cboe"


class Symbol(str):
    """A security identifier that behaves as its ticker string.

    LEAN's ``Symbol`` converts implicitly to and from its ticker; subclassing ``str`` gives the same
    ergonomics in Python: ``data["SPY"]`` and ``data[spy_symbol]`` look up the same key, and a
    history DataFrame's ``symbol`` level can be indexed with either.
    """

    __slots__ = ("security_type", "market", "_id")

    security_type: SecurityType
    market: str

    def __new__(cls, ticker: str, security_type: SecurityType = SecurityType.EQUITY, market: str = Market.USA):
        obj = super().__new__(cls, ticker.upper())
        obj.security_type = security_type
        obj.market = market
        obj._id = f"{ticker.upper()} {security_type.name} {market}"
        return obj

    @staticmethod
    def create(ticker: str, security_type: SecurityType, market: str, alias: str | None = None) -> Symbol:
        """LEAN's ``Symbol.create`` for the security types the runtime supports."""
        return Symbol(ticker, security_type, market)

    @property
    def value(self) -> str:
        """The ticker, as LEAN's ``Symbol.value``."""
        return str.__str__(self)

    @property
    def id(self) -> str:
        """A readable security identifier (ticker, type, market); not LEAN's encoded SID string."""
        return self._id

    def __repr__(self) -> str:
        return str.__str__(self)

    def __reduce__(self):
        return (Symbol, (str.__str__(self), self.security_type, self.market))


class NotSupportedError(AttributeError):
    """Raised for a LEAN API member the local runtime does not implement."""


def not_supported(owner: str, name: str) -> NotSupportedError:
    """The error raised when user code touches a LEAN member the local runtime lacks."""
    return NotSupportedError(
        f"{owner}.{name} is part of LEAN's API but the lean_local runtime does not provide it; "
        "run this algorithm in LEAN (lean backtest) or avoid this member"
    )
