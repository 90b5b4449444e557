"""Enumerations and the ``Symbol`` type shared by every engine layer.

Enum members and values follow LEAN (``quantconnect-stubs``); the runtime only needs the members the
project's algorithms use, the others exist so user code comparing against them keeps working.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


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
    INDIA = "india"
    CME = "cme"
    COINBASE = "coinbase"
    BINANCE = "binance"


class Symbol(str):
    """A security identifier that behaves as its ticker string.

    LEAN's ``Symbol`` converts implicitly to and from its ticker; subclassing ``str`` gives the same
    ergonomics in Python: ``data["SPY"]`` and ``data[spy_symbol]`` look up the same key, and a
    history DataFrame's ``symbol`` level can be indexed with either.

    ``Symbol(security_identifier, ticker)`` builds one from a :class:`SecurityIdentifier` (LEAN's
    constructor); ``Symbol.create_base(DataType, underlying)`` makes a custom data symbol linked to
    ``underlying``, whose string is its identifier's symbol (``"AAPL.MYDATA"``) so that it never
    collides with the underlying's key, while its ``value`` is the underlying's ticker.
    """

    __slots__ = ("security_type", "market", "_sid", "underlying", "_value")

    security_type: SecurityType
    market: str

    def __new__(cls, ticker: Any, security_type: Any = SecurityType.EQUITY, market: str = Market.USA):
        if not isinstance(ticker, str) and hasattr(ticker, "security_type"):
            sid, value = ticker, str(security_type)  # Symbol(SecurityIdentifier, ticker)
            obj = super().__new__(cls, value.upper() if sid.security_type != SecurityType.BASE else value)
            obj.security_type, obj.market, obj._sid = sid.security_type, sid.market, sid
            obj.underlying, obj._value = None, None
            return obj
        obj = super().__new__(cls, ticker.upper())
        obj.security_type = security_type
        obj.market = market
        obj._sid = None
        obj.underlying = None
        obj._value = None
        return obj

    @staticmethod
    def create(ticker: str, security_type: SecurityType, market: str, alias: str | None = None) -> Symbol:
        """LEAN's ``Symbol.create`` for the security types the runtime supports."""
        return Symbol(ticker, security_type, market)

    @staticmethod
    def create_base(data_type: type, underlying: Symbol, market: str | None = None) -> Symbol:
        """LEAN's ``Symbol.CreateBase``: a custom data symbol of ``data_type`` on ``underlying``."""
        from lean_local.engine.identifiers import SecurityIdentifier

        date = underlying.id.date if underlying.security_type in (SecurityType.EQUITY, SecurityType.BASE) else None
        sid = SecurityIdentifier.generate_base(data_type, underlying.id.symbol, market or Market.USA, date=date)
        obj = Symbol(sid, sid.symbol)
        obj.underlying = underlying
        obj._value = underlying.value
        return obj

    @property
    def value(self) -> str:
        """The ticker, as LEAN's ``Symbol.value``."""
        return self._value if self._value is not None else str.__str__(self)

    @property
    def id(self) -> Any:
        """The :class:`SecurityIdentifier`: the one the symbol was read with (coarse, constituents and
        ETF files, ``create_base``), else one from the ticker with LEAN's default first date."""
        if self._sid is None:
            from lean_local.engine.identifiers import SecurityIdentifier

            return SecurityIdentifier(str.__str__(self), self.security_type, self.market)
        return self._sid

    @property
    def has_underlying(self) -> bool:
        return self.underlying is not None

    def __repr__(self) -> str:
        return str.__str__(self)

    def __reduce__(self):
        return (_restore_symbol, (str.__str__(self), self.security_type, self.market, self._sid, self.underlying,
                                  self._value))


def _restore_symbol(text: str, security_type: SecurityType, market: str, sid: Any, underlying: Any,
                    value: Any) -> Symbol:
    obj = Symbol(text, security_type, market) if sid is None else Symbol(sid, text)
    obj.underlying, obj._value = underlying, value
    return obj


class NotSupportedError(AttributeError):
    """Raised for a LEAN API member the local runtime does not implement."""


def not_supported(owner: str, name: str) -> NotSupportedError:
    """The error raised when user code touches a LEAN member the local runtime lacks."""
    return NotSupportedError(
        f"{owner}.{name} is part of LEAN's API but the lean_local runtime does not provide it; "
        "run this algorithm in LEAN (lean backtest) or avoid this member"
    )
