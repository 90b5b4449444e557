"""The ``Symbol`` type shared by every engine layer, with the enumerations (:mod:`.enums`) and the
not-supported error (:mod:`.errors`) every layer imports from here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from operator import attrgetter
from typing import Any

from lean_local.engine.enums import DataNormalizationMode, Market, Resolution, SecurityType
from lean_local.engine.errors import NotSupportedError, not_supported

__all__ = ["DataNormalizationMode", "Market", "NotSupportedError", "Resolution", "SecurityType", "Symbol",
           "not_supported"]


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
            obj.underlying, obj._value = None, str.__str__(obj)
            return obj
        obj = super().__new__(cls, ticker.upper())
        obj.security_type = security_type
        obj.market = market
        obj._sid = None
        obj.underlying = None
        obj._value = str.__str__(obj)
        return obj

    @staticmethod
    def create(ticker: str, security_type: SecurityType, market: str, alias: str | None = None) -> Symbol:
        """LEAN's ``Symbol.create`` for the security types the runtime supports."""
        if security_type == SecurityType.EQUITY:
            from lean_local.engine.identifiers import SecurityIdentifier

            return Symbol(SecurityIdentifier.generate_equity(ticker, market), ticker)
        return Symbol(ticker, security_type, market)

    @staticmethod
    def create_option(underlying: Any, *args: Any, **kwargs: Any) -> Symbol:
        """LEAN's ``Symbol.CreateOption``: ``create_option(underlying, market, style, right, strike,
        expiry, alias=None)``, or ``create_option(underlying, target_option, market, style, right,
        strike, expiry, alias=None)`` (SPXW on SPX). ``underlying`` is a :class:`Symbol` or an equity
        ticker (resolved through the map files). The value is the contract's OSI ticker
        (``"SPX   210115C03200000"``) unless ``alias`` is given."""
        from lean_local.engine.identifiers import SecurityIdentifier

        names = ["market", "style", "right", "strike", "expiry", "alias"]
        if len(args) > 1 and isinstance(args[1], str):  # (underlying, target_option, market, ...)
            names.insert(0, "target_option")
        values = dict(zip(names, args, strict=False)) | kwargs
        if not isinstance(underlying, Symbol):
            underlying = Symbol.create(str(underlying), SecurityType.EQUITY, values["market"])
        sid = SecurityIdentifier.generate_option(values["expiry"], underlying.id, values["market"], values["strike"],
                                                 values["right"], values["style"], values.get("target_option"))
        obj = Symbol(sid, values.get("alias") or _option_ticker(sid, underlying))
        obj.underlying = underlying
        return obj

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

    # a plain str read through a C getter: a selector reads it for each of thousands of coarse rows a day
    value = property(attrgetter("_value"), doc="The ticker, as LEAN's ``Symbol.value``.")

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

    def __eq__(self, other: object) -> bool:
        # LEAN compares symbols by security identifier: two symbols read with their identifiers (a
        # coarse row, generate_equity) differ when those do, even under one ticker (a reused ticker);
        # otherwise a symbol equals its ticker, as LEAN's implicit string conversion makes it
        sid = self._sid
        if sid is not None and isinstance(other, Symbol) and other._sid is not None:
            return sid == other._sid
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __reduce__(self):
        return (_restore_symbol, (str.__str__(self), self.security_type, self.market, self._sid, self.underlying,
                                  self._value))


def _option_ticker(sid: Any, underlying: Symbol) -> str:
    """An option contract's OSI ticker (LEAN ``Symbol.GetAlias``): the root padded to six characters
    (a longer one followed by a space), the expiry ``yyMMdd``, ``C`` or ``P``, the strike in
    thousandths on eight digits."""
    root = sid.symbol if sid.symbol != underlying.id.symbol else underlying.value
    if len(root) > 5:
        root += " "
    strike = int((sid._strike * 1000).to_integral_value(ROUND_HALF_UP))
    right = "C" if sid.option_right == 0 else "P"
    return f"{root:<6}{sid.date:%y%m%d}{right}{strike:08d}"


def _restore_symbol(text: str, security_type: SecurityType, market: str, sid: Any, underlying: Any,
                    value: Any) -> Symbol:
    obj = Symbol(text, security_type, market) if sid is None else Symbol(sid, text)
    obj.underlying = underlying
    if value is not None:  # a symbol pickled when an unset value meant the string's
        obj._value = value
    return obj
