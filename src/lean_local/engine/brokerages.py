"""Brokerage models (LEAN ``QuantConnect.Brokerages``).

A brokerage model gives each new security its fee, slippage and shortable models and its
leverage, names the default benchmark, and may refuse an order submission or update
(``can_submit_order`` / ``can_update_order``). An algorithm may subclass
:class:`DefaultBrokerageModel` and override any of these, as in LEAN; Python overrides of
``can_submit_order`` return ``(accepted, message)`` (pythonnet's form of C#'s ``out`` argument).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from lean_local.engine.common import Market, SecurityType, Symbol, not_supported
from lean_local.engine.fees import FeeModel, default_fee_model
from lean_local.engine.shortable import NullShortableProvider
from lean_local.engine.slippage import AlphaStreamsSlippageModel, NullSlippageModel


class BrokerageMessageType(IntEnum):
    """Kind of a brokerage message (LEAN ``BrokerageMessageType``)."""

    INFORMATION = 0
    WARNING = 1
    ERROR = 2
    RECONNECT = 3
    DISCONNECT = 4
    ACTION_REQUIRED = 5


class BrokerageMessageEvent:
    """A message from the brokerage (LEAN ``BrokerageMessageEvent``).

    ``str(event)`` is LEAN's ``"{Type} - Code: {Code} - {Message}"`` with the type's C# name
    (``Information``), the form LEAN puts in order error messages.
    """

    def __init__(self, type: BrokerageMessageType, code: Any, message: str) -> None:
        self.type = BrokerageMessageType(type)
        self.code = str(code)
        self.message = message

    def __str__(self) -> str:
        type_name = "".join(part.capitalize() for part in self.type.name.split("_"))
        return f"{type_name} - Code: {self.code} - {self.message}"

    def __repr__(self) -> str:
        return str(self)


class AccountType(IntEnum):
    """Margin or cash account (LEAN ``AccountType``)."""

    MARGIN = 0
    CASH = 1


#: LEAN's ``DefaultBrokerageModel.DefaultMarketMap``.
DEFAULT_MARKETS: dict[SecurityType, str] = {
    SecurityType.BASE: Market.USA,
    SecurityType.EQUITY: Market.USA,
    SecurityType.OPTION: Market.USA,
    SecurityType.FUTURE: Market.CME,
    SecurityType.FUTURE_OPTION: Market.CME,
    SecurityType.FOREX: Market.OANDA,
    SecurityType.CFD: Market.OANDA,
    SecurityType.CRYPTO: Market.COINBASE,
    SecurityType.CRYPTO_FUTURE: Market.BINANCE,
    SecurityType.INDEX: Market.USA,
    SecurityType.INDEX_OPTION: Market.USA,
}


class DefaultBrokerageModel:
    """LEAN's ``DefaultBrokerageModel``: accepts every order the runtime can fill.

    Models per security: Interactive Brokers fees for equities (zero otherwise), no slippage, no
    shortable limit (:class:`NullShortableProvider`); leverage 2 for equities, 50 for forex and
    CFDs, 1 otherwise, and 1 for everything in a cash account. Benchmark: SPY.
    """

    default_markets: dict[SecurityType, str] = DEFAULT_MARKETS

    def __init__(self, account_type: AccountType = AccountType.MARGIN) -> None:
        self.account_type = AccountType(account_type)

    @property
    def required_free_buying_power_percent(self) -> float:
        return 0.0

    def can_submit_order(self, security: Any, order: Any, message: Any = None) -> tuple[bool, Any]:
        """``(True, None)``; LEAN refuses only market-on-open orders on futures, which the runtime lacks."""
        return True, None

    def can_update_order(self, security: Any, order: Any, request: Any, message: Any = None) -> tuple[bool, Any]:
        return True, None

    def can_execute_order(self, security: Any, order: Any) -> bool:
        return True

    def get_leverage(self, security: Any) -> float:
        if self.account_type == AccountType.CASH:
            return 1.0
        return {SecurityType.EQUITY: 2.0, SecurityType.FOREX: 50.0, SecurityType.CFD: 50.0,
                SecurityType.CRYPTO_FUTURE: 25.0}.get(security.type, 1.0)

    def get_fee_model(self, security: Any) -> FeeModel:
        return default_fee_model(security.type)

    def get_slippage_model(self, security: Any) -> Any:
        return NullSlippageModel()

    def get_shortable_provider(self, security: Any) -> Any:
        return NullShortableProvider()

    def get_benchmark(self, securities: Any) -> Any:
        from lean_local.engine.benchmarks import SecurityBenchmark

        return SecurityBenchmark(Symbol("SPY", SecurityType.EQUITY, Market.USA))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise not_supported(type(self).__name__, name)


class InteractiveBrokersBrokerageModel(DefaultBrokerageModel):
    """Interactive Brokers: the default models for the equities the runtime trades.

    LEAN's IB model also prices forex with IB's forex fees, which the runtime does not implement:
    a forex security under this model raises :class:`NotSupportedError`.
    """

    def get_fee_model(self, security: Any) -> FeeModel:
        if security.type == SecurityType.FOREX:
            raise not_supported("InteractiveBrokersBrokerageModel", "forex fees")
        return super().get_fee_model(security)


class AlphaStreamsBrokerageModel(DefaultBrokerageModel):
    """LEAN's ``AlphaStreamsBrokerageModel``: a margin account only; Interactive Brokers' US equity
    fees (``AlphaStreamsFeeModel``), 0.01% slippage on equities (``AlphaStreamsSlippageModel``),
    leverage 1 (10 for forex and CFDs), immediate settlement. Forex, CFD and crypto fees are not
    modelled: such a security raises :class:`NotSupportedError`."""

    def __init__(self, account_type: AccountType = AccountType.MARGIN) -> None:
        if AccountType(account_type) == AccountType.CASH:
            raise ValueError("The Alpha Streams brokerage does not currently support Cash trading.")
        super().__init__(account_type)

    def get_leverage(self, security: Any) -> float:
        return 10.0 if security.type in (SecurityType.FOREX, SecurityType.CFD) else 1.0

    def get_fee_model(self, security: Any) -> FeeModel:
        if security.type != SecurityType.EQUITY:
            raise not_supported("AlphaStreamsFeeModel", f"{security.type.name} fees")
        return default_fee_model(security.type)

    def get_slippage_model(self, security: Any) -> Any:
        return AlphaStreamsSlippageModel()


class _LeanNames(type):
    """Metaclass: a LEAN member the runtime lacks raises :class:`NotSupportedError` naming it."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise not_supported(cls.__name__, name)


class BrokerageName(metaclass=_LeanNames):
    """The brokerages ``set_brokerage_model(BrokerageName.X)`` accepts (LEAN ``BrokerageName``).

    Only the ones the runtime models are members; another LEAN name (``BrokerageName.GDAX``)
    raises :class:`NotSupportedError` naming it.
    """

    DEFAULT = 0
    QUANTCONNECT_BROKERAGE = 0
    INTERACTIVE_BROKERS_BROKERAGE = 1
    ALPHA_STREAMS = 14


def brokerage_model_for(name: Any, account_type: AccountType = AccountType.MARGIN) -> DefaultBrokerageModel:
    """The model ``set_brokerage_model(BrokerageName.X, account_type)`` installs."""
    if isinstance(name, str):
        name = getattr(BrokerageName, name.upper())
    if name == BrokerageName.INTERACTIVE_BROKERS_BROKERAGE:
        return InteractiveBrokersBrokerageModel(account_type)
    if name == BrokerageName.DEFAULT:
        return DefaultBrokerageModel(account_type)
    if name == BrokerageName.ALPHA_STREAMS:
        return AlphaStreamsBrokerageModel(account_type)
    raise not_supported("BrokerageName", str(name))


def ask_brokerage(answer: Any, what: str) -> tuple[bool, Any]:
    """Normalize a model's ``can_submit_order`` / ``can_update_order`` answer to ``(accepted, message)``.

    A Python override returns ``(bool, message)``; a bare bool means no message.
    """
    if isinstance(answer, tuple):
        if len(answer) != 2:
            raise TypeError(f"{what} must return (bool, BrokerageMessageEvent), got {answer!r}")
        return bool(answer[0]), answer[1]
    return bool(answer), None
