"""LEAN's ``SecurityIdentifier`` (``Common/SecurityIdentifier.cs``): a security's first ticker,
type, market and first date, and its string form ``"<SYMBOL> <base36 properties>"``.

The properties number packs the security type (units and tens), the market code (next three
digits), an option's strike (a scale exponent times 10**5 and up to six significant digits times
10**7) and style (10**13), the first date or expiry as an OLE automation day number (10**14) and
an option's right (10**19). An option's string form ends with ``|`` and its underlying's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from lean_local.engine.enums import OptionRight, OptionStyle, SecurityType
from lean_local.engine.errors import not_supported

_OLE_EPOCH = datetime(1899, 12, 30)
_MARKET_CODES = {"empty": 0, "usa": 1, "fxcm": 2, "oanda": 3, "dukascopy": 4, "bitfinex": 5, "globex": 6,
                 "nymex": 7, "cbot": 8, "ice": 9, "cboe": 10, "india": 11}
_MARKETS = {code: name for name, code in _MARKET_CODES.items()}
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# custom data type name -> type, filled by generate_base (LEAN's SecurityIdentifier.TypeMapping)
_TYPES: dict[str, type] = {}
_MARKET_OFFSET = 100
_DAYS_OFFSET = 10**14
_STRIKE_SCALE_OFFSET = 10**5
_STRIKE_OFFSET = 10**7
_STYLE_OFFSET = 10**13
_RIGHT_OFFSET = 10**19
# strikes are stored in millionths of a unit, trailing zeros moved into the scale exponent
_STRIKE_DEFAULT_SCALE = 6
# the largest strike digits that fit the 20-bit field once LEAN reserves its top bit for the sign
_MAX_STRIKE_DIGITS = 475_712
_OPTION_TYPES = (SecurityType.OPTION, SecurityType.INDEX_OPTION, SecurityType.FUTURE_OPTION)


def _no_map_files() -> None:
    return None


# LEAN's default IMapFileProvider (Composer): the run's map files, set by the engine (use_map_files)
_map_files: Callable[[], Any] = _no_map_files


def use_map_files(resolver: Callable[[], Any] | None) -> None:
    """Make ``resolver()`` (a :class:`~lean_local.data.map_files.MapFileResolver`, or None) the map
    files :meth:`SecurityIdentifier.generate_equity` resolves tickers with (LEAN's
    ``MapFileProvider.Value``); the engine points it at the run's data folder. None: no map files."""
    global _map_files
    _map_files = resolver or _no_map_files


def _normalize_strike(strike: Decimal) -> tuple[int, int]:
    """``(digits, scale)`` of a strike (LEAN ``NormalizeStrike``): the strike in millionths with its
    trailing zeros counted in ``scale``; a negative strike sets bit 19 of the digits."""
    if strike == 0:
        return 0, 0
    value, scale = strike * 10**_STRIKE_DEFAULT_SCALE, 0
    while value % 10 == 0:
        value, scale = value / 10, scale + 1
    if abs(value) >= _MAX_STRIKE_DIGITS:
        raise ValueError(f"The option strike price {strike} is too large to be represented")
    digits = int(abs(value))
    return (digits | 1 << 19 if value < 0 else digits), scale


def _base36(value: int) -> str:
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = _DIGITS[rest] + out
    return out or "0"


class SecurityIdentifier:
    """A security's identity (LEAN ``SecurityIdentifier``).

    Attributes
    ----------
    symbol : str
        The first ticker (custom data: ``"<TICKER>.<TypeName>"``).
    security_type : SecurityType
    market : str
    date : datetime
        The first date (LEAN's default, 1899-12-30, when unknown).
    """

    __slots__ = ("symbol", "security_type", "market", "date", "_strike", "option_right", "option_style", "underlying")

    DEFAULT_DATE = _OLE_EPOCH

    def __init__(self, symbol: str, security_type: SecurityType, market: str,
                 date: datetime | None = None) -> None:
        self.symbol = symbol
        self.security_type = SecurityType(security_type)
        self.market = market
        self.date = date or _OLE_EPOCH
        # an option's contract terms and underlying (LEAN: only options have them)
        self._strike = Decimal(0)  # exact, as LEAN's decimal, for the encoding
        self.option_right = OptionRight.CALL
        self.option_style = OptionStyle.AMERICAN
        self.underlying: SecurityIdentifier | None = None

    @property
    def properties(self) -> int:
        days = (self.date - _OLE_EPOCH).days
        value = days * _DAYS_OFFSET + _MARKET_CODES.get(self.market, 0) * _MARKET_OFFSET + int(self.security_type)
        if self.security_type in _OPTION_TYPES:
            digits, scale = _normalize_strike(self._strike)
            value += (int(self.option_right) * _RIGHT_OFFSET + int(self.option_style) * _STYLE_OFFSET
                      + digits * _STRIKE_OFFSET + scale * _STRIKE_SCALE_OFFSET)
        return value

    @property
    def strike_price(self) -> float:
        """An option's strike (0 for other types)."""
        return float(self._strike)

    @property
    def has_underlying(self) -> bool:
        return self.underlying is not None

    @staticmethod
    def generate_option(expiry: datetime, underlying: SecurityIdentifier, market: str, strike: Any,
                        option_right: OptionRight, option_style: OptionStyle,
                        target_option: str | None = None) -> SecurityIdentifier:
        """LEAN's ``GenerateOption``: an option on ``underlying`` expiring on ``expiry`` (its date
        field), an index option when the underlying is an index; its symbol is ``target_option``
        (SPXW on SPX), else the underlying's."""
        kinds = {SecurityType.EQUITY: SecurityType.OPTION, SecurityType.INDEX: SecurityType.INDEX_OPTION,
                 SecurityType.FUTURE: SecurityType.FUTURE_OPTION}
        if underlying.security_type not in kinds:
            raise ValueError(f"No option type exists for underlying SecurityType: {underlying.security_type.name}")
        if int(option_right) not in (0, 1):
            raise ValueError("option_right must be either OptionRight.CALL or OptionRight.PUT")
        sid = SecurityIdentifier((target_option or underlying.symbol).upper(), kinds[underlying.security_type],
                                 market, datetime(expiry.year, expiry.month, expiry.day))
        sid._strike = Decimal(str(strike))
        _normalize_strike(sid._strike)  # LEAN refuses a strike it cannot encode when generating
        sid.option_right, sid.option_style = OptionRight(option_right), OptionStyle(option_style)
        sid.underlying = underlying
        return sid

    @staticmethod
    def parse(value: str) -> SecurityIdentifier:
        """``"AAPL R735QTJ8XC9X"`` -> the identifier (LEAN ``SecurityIdentifier.Parse``).

        Raises
        ------
        ValueError
            ``value`` is not ``"<SYMBOL> <base36>"``.
        """
        own, _, underlying = str(value).strip().partition("|")
        symbol, _, code = own.partition(" ")
        try:
            properties = int(code, 36)
        except ValueError:
            raise ValueError(f"{value!r} is not a security identifier ('<SYMBOL> <base36 properties>')") from None
        if not symbol:
            raise ValueError(f"{value!r} is not a security identifier ('<SYMBOL> <base36 properties>')")
        security_type = SecurityType(properties % _MARKET_OFFSET)
        market = _MARKETS.get(properties // _MARKET_OFFSET % 1000, str(properties // _MARKET_OFFSET % 1000))
        days = properties // _DAYS_OFFSET % 100_000
        sid = SecurityIdentifier(symbol, security_type, market, _OLE_EPOCH + timedelta(days=days))
        if security_type in _OPTION_TYPES:
            digits = properties // _STRIKE_OFFSET % 1_000_000
            scale = properties // _STRIKE_SCALE_OFFSET % 100
            magnitude = Decimal(digits & ~(1 << 19)).scaleb(scale - _STRIKE_DEFAULT_SCALE)
            sid._strike = -magnitude if digits >> 19 & 1 else magnitude
            sid.option_style = OptionStyle(properties // _STYLE_OFFSET % 10)
            sid.option_right = OptionRight(properties // _RIGHT_OFFSET % 10)
        if underlying:
            sid.underlying = SecurityIdentifier.parse(underlying)
        return sid

    @staticmethod
    def generate_equity(*args: Any, **kwargs: Any) -> SecurityIdentifier:
        """LEAN's ``GenerateEquity``: ``generate_equity(symbol, market, map_symbol=True,
        map_file_provider=None, mapping_resolve_date=None)`` or ``generate_equity(date, symbol, market)``.

        With ``map_symbol`` the ticker is resolved through the map files as of
        ``mapping_resolve_date`` (LEAN: today; here the ticker's last row, see
        ``MapFileResolver.resolve``): the identifier takes the map file's first ticker and first date,
        else the ticker with LEAN's default date. ``map_file_provider`` must be None (the run's).
        """
        if args and isinstance(args[0], datetime):
            first, symbol, market = (list(args) + [kwargs.get("symbol"), kwargs.get("market")])[:3]
            return SecurityIdentifier(str(symbol).upper(), SecurityType.EQUITY, str(market), first)
        names = ("symbol", "market", "map_symbol", "map_file_provider", "mapping_resolve_date")
        values = dict(zip(names, args, strict=False)) | kwargs
        if values.get("map_file_provider") is not None:
            raise not_supported("SecurityIdentifier.generate_equity", "map_file_provider")
        symbol, market = str(values["symbol"]).upper(), str(values["market"])
        first = None
        resolver = _map_files() if values.get("map_symbol", True) else None
        found = resolver.resolve(symbol, values.get("mapping_resolve_date")) if resolver is not None else None
        if found is not None:
            symbol, first = found.first_ticker.upper(), found.first_date.to_pydatetime()
        return SecurityIdentifier(symbol, SecurityType.EQUITY, market, first)

    @staticmethod
    def generate_constituent_identifier(symbol: str, security_type: SecurityType, market: str) -> SecurityIdentifier:
        """The identifier of a constituents universe (LEAN: the default date, the symbol kept as given)."""
        return SecurityIdentifier(symbol, security_type, market)

    @staticmethod
    def generate_base(data_type: type | None, symbol: str, market: str, map_symbol: bool = False,
                      date: datetime | None = None) -> SecurityIdentifier:
        """A custom data identifier: ``"<SYMBOL>.<TypeName>"`` (LEAN ``GenerateBase``; ``map_symbol`` is
        not supported and ignored only when False)."""
        if map_symbol:
            raise not_supported("SecurityIdentifier.generate_base", "map_symbol=True")
        name = symbol
        if data_type is not None:
            _TYPES[data_type.__name__] = data_type
            name = f"{symbol.upper()}.{data_type.__name__}"
        return SecurityIdentifier(name, SecurityType.BASE, market, date)

    @property
    def custom_data_type(self) -> type | None:
        """The custom data type named after the last ``.`` of a BASE identifier's symbol, when a
        ``generate_base`` of this run made it (LEAN ``TryGetCustomDataTypeInstance``)."""
        head, dot, name = self.symbol.rpartition(".")
        return _TYPES.get(name) if dot and head else None

    def __str__(self) -> str:
        text = f"{self.symbol} {_base36(self.properties)}"
        return text if self.underlying is None else f"{text}|{self.underlying}"

    def __repr__(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecurityIdentifier):
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.symbol, int(self.security_type), self.market, self.date))

    def _key(self) -> tuple:
        return (self.symbol, self.security_type, self.market, self.date, self._strike, self.option_right,
                self.option_style, self.underlying)
