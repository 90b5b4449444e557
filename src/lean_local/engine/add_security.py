"""``QCAlgorithm.add_security``: LEAN's ``AddSecurity`` overloads, dispatched to ``add_equity``,
``add_forex`` and ``add_index`` (``Algorithm/QCAlgorithm.cs``)."""

from __future__ import annotations

from typing import Any

from lean_local.engine.common import Market, SecurityType, Symbol, not_supported
from lean_local.engine.overloads import bind_overload

# LEAN's defaults for a security type's market (``Market`` of ``BrokerageModel.DefaultMarkets``)
DEFAULT_MARKETS = {SecurityType.EQUITY: Market.USA, SecurityType.FOREX: Market.OANDA, SecurityType.INDEX: Market.USA}


def _by_symbol(symbol: Any, resolution: Any = None, fill_forward: Any = None, leverage: float = 0,
               extended_market_hours: Any = None, data_mapping_mode: Any = None, data_normalization_mode: Any = None,
               contract_depth_offset: int = 0) -> None: ...


def _by_type(security_type: SecurityType, ticker: str, resolution: Any = None, fill_forward: Any = None,
             extended_market_hours: Any = None, data_mapping_mode: Any = None,
             data_normalization_mode: Any = None) -> None: ...


def _by_type_leverage(security_type: SecurityType, ticker: str, resolution: Any, fill_forward: Any, leverage: float,
                      extended_market_hours: Any, data_mapping_mode: Any = None,
                      data_normalization_mode: Any = None) -> None: ...


def _by_type_market(security_type: SecurityType, ticker: str, resolution: Any, market: str, fill_forward: Any,
                    leverage: float, extended_market_hours: Any, data_mapping_mode: Any = None,
                    data_normalization_mode: Any = None) -> None: ...


def add_security(algorithm: Any, *args: Any, **kwargs: Any) -> Any:
    """``add_security(symbol, resolution=None, ...)`` or ``add_security(security_type, ticker,
    resolution=None, ...)``: the security the matching ``add_*`` method adds.

    The overload is chosen as pythonnet chooses it, by the arguments' types: a
    :class:`SecurityType` first selects the ticker forms (with ``market`` when the fourth argument
    is a string or ``market=`` is given, with ``leverage`` when the fifth is a number or
    ``leverage=`` is given).
    """
    first = args[0] if args else kwargs.get("security_type", kwargs.get("symbol"))
    if isinstance(first, SecurityType):
        if (len(args) > 3 and isinstance(args[3], str)) or "market" in kwargs:
            overload = _by_type_market
        elif (len(args) > 4 and not isinstance(args[4], bool)) or "leverage" in kwargs:
            overload = _by_type_leverage
        else:
            overload = _by_type
    else:
        overload = _by_symbol
    _, values = bind_overload("add_security", args, kwargs, overload)
    if overload is _by_symbol:
        symbol = values["symbol"]
        security_type = getattr(symbol, "security_type", SecurityType.EQUITY)
        ticker, market = str(symbol), getattr(symbol, "market", None)
    else:
        security_type, ticker, market = values["security_type"], values["ticker"], values.get("market")
    market = market or DEFAULT_MARKETS.get(security_type, Market.USA)
    fill_forward = True if values.get("fill_forward") is None else bool(values["fill_forward"])
    leverage = float(values.get("leverage") or 0)
    if security_type == SecurityType.EQUITY:
        return algorithm.add_equity(str(Symbol(ticker)), values["resolution"], market, fill_forward, leverage,
                                    bool(values.get("extended_market_hours") or False),
                                    values.get("data_normalization_mode"))
    if security_type == SecurityType.FOREX:
        return algorithm.add_forex(ticker, values["resolution"], market, fill_forward, leverage)
    if security_type == SecurityType.INDEX:
        return algorithm.add_index(ticker, values["resolution"], market, fill_forward)
    raise not_supported("QCAlgorithm", f"add_security for {SecurityType(security_type).name}")
