"""LEAN's ``SecurityIdentifier`` (``Common/SecurityIdentifier.cs``): a security's first ticker,
type, market and first date, and its string form ``"<SYMBOL> <base36 properties>"``.

The properties number packs the security type (units and tens), the market code (next three
digits) and the first date as an OLE automation day number (times 10**14); options' strike and
style fields are not modelled (the runtime has no options).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lean_local.engine.enums import SecurityType
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

    __slots__ = ("symbol", "security_type", "market", "date")

    DEFAULT_DATE = _OLE_EPOCH

    def __init__(self, symbol: str, security_type: SecurityType, market: str,
                 date: datetime | None = None) -> None:
        self.symbol = symbol
        self.security_type = SecurityType(security_type)
        self.market = market
        self.date = date or _OLE_EPOCH

    @property
    def properties(self) -> int:
        days = (self.date - _OLE_EPOCH).days
        return days * _DAYS_OFFSET + _MARKET_CODES.get(self.market, 0) * _MARKET_OFFSET + int(self.security_type)

    @staticmethod
    def parse(value: str) -> SecurityIdentifier:
        """``"AAPL R735QTJ8XC9X"`` -> the identifier (LEAN ``SecurityIdentifier.Parse``).

        Raises
        ------
        ValueError
            ``value`` is not ``"<SYMBOL> <base36>"``.
        """
        symbol, _, code = str(value).strip().partition(" ")
        try:
            properties = int(code, 36)
        except ValueError:
            raise ValueError(f"{value!r} is not a security identifier ('<SYMBOL> <base36 properties>')") from None
        if not symbol:
            raise ValueError(f"{value!r} is not a security identifier ('<SYMBOL> <base36 properties>')")
        security_type = SecurityType(properties % _MARKET_OFFSET)
        market = _MARKETS.get(properties // _MARKET_OFFSET % 1000, str(properties // _MARKET_OFFSET % 1000))
        days = properties // _DAYS_OFFSET % 100_000
        return SecurityIdentifier(symbol, security_type, market, _OLE_EPOCH + timedelta(days=days))

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
        return f"{self.symbol} {_base36(self.properties)}"

    def __repr__(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecurityIdentifier):
            return (self.symbol, self.security_type, self.market, self.date) == \
                (other.symbol, other.security_type, other.market, other.date)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.symbol, int(self.security_type), self.market, self.date))
