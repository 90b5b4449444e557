"""``self.subscription_manager``: the consolidators registered on each subscription (LEAN
``SubscriptionManager.add_consolidator`` / ``remove_consolidator``).

Each time step with data, before ``on_data``, every consolidator of a subscription that has data
at that step receives the slice's bar for it (also a fill-forward bar, as in LEAN), then
``scan(time)``; consolidators of subscriptions without data at that step are scanned only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lean_local.consolidators.base import ConsolidatorBase
from lean_local.consolidators.trade_bar import TradeBarConsolidator
from lean_local.engine.common import SecurityType, not_supported


class ConsolidatorSet(list):
    """A subscription's consolidators as pythonnet shows LEAN's ``HashSet`` (``count``)."""

    @property
    def count(self) -> int:
        return len(self)


class SubscriptionDataConfig:
    """One data subscription of a security as LEAN lists it (``SubscriptionDataConfig``): its symbol,
    data type (``TradeBar``, ``QuoteBar``), resolution and the consolidators it feeds."""

    def __init__(self, symbol: Any, data_type: str, resolution: Any, consolidators: list[Any]) -> None:
        self.symbol = symbol
        self.type = data_type
        self.resolution = resolution
        self.consolidators = ConsolidatorSet(consolidators)

    def __repr__(self) -> str:
        return f"{self.symbol},#{self.type},{getattr(self.resolution, 'name', self.resolution)}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise not_supported("SubscriptionDataConfig", name)


class SubscriptionManager:
    """The algorithm's consolidator registry.

    Parameters
    ----------
    resolve_security : callable
        ``symbol or ticker -> Security`` of a subscribed security, or None when the algorithm has
        no subscription for it.
    """

    def __init__(self, resolve_security: Callable[[Any], Any],
                 subscribed: Callable[[], list[Any]] = lambda: []) -> None:
        self._resolve = resolve_security
        self._subscribed = subscribed
        self._by_symbol: dict[Any, list[Any]] = {}

    @property
    def subscriptions(self) -> list[SubscriptionDataConfig]:
        """The active subscriptions (LEAN ``SubscriptionManager.Subscriptions``): a trade-bar one per
        security (a quote-bar one for forex), plus a quote-bar one for a minute equity; the
        consolidators hang on the trade bars."""
        configs = []
        for security in self._subscribed():
            consolidators = list(self._by_symbol.get(security.symbol, ()))
            main = "QuoteBar" if security.type == SecurityType.FOREX else "TradeBar"
            configs.append(SubscriptionDataConfig(security.symbol, main, security.resolution, consolidators))
            if security.quoted:
                configs.append(SubscriptionDataConfig(security.symbol, "QuoteBar", security.resolution, []))
        return configs

    @property
    def has_consolidators(self) -> bool:
        return bool(self._by_symbol)

    def add_consolidator(self, symbol: Any, consolidator: Any, tick_type: Any = None) -> None:
        """Feed ``consolidator`` with ``symbol``'s data from the next time step on.

        Raises
        ------
        ValueError
            No subscription for ``symbol`` (LEAN: ``Please subscribe to this symbol before adding a
            consolidator for it.``), or a trade-bar consolidator on a quote-bar subscription.
        """
        security = self._resolve(symbol)
        if security is None:
            raise ValueError(f"Please subscribe to this symbol before adding a consolidator for it. Symbol: {symbol}")
        if not hasattr(consolidator, "update") or not hasattr(consolidator, "data_consolidated"):
            raise not_supported("SubscriptionManager", "add_consolidator with a Python consolidator class")
        if isinstance(consolidator, TradeBarConsolidator) and security.type == SecurityType.FOREX:
            raise ValueError(f"Type mismatch found between consolidator and symbol. Symbol: {security.symbol} does not "
                             "support input type: TradeBar. Supported types: QuoteBar.")
        registered = self._by_symbol.setdefault(security.symbol, [])
        if consolidator not in registered:  # LEAN keeps a set per subscription
            registered.append(consolidator)

    def remove_consolidator(self, symbol: Any, consolidator: Any) -> None:
        """Stop feeding ``consolidator`` and drop its event handlers (LEAN disposes it)."""
        keys = list(self._by_symbol) if symbol is None else [getattr(self._resolve(symbol), "symbol", symbol)]
        for key in keys:
            registered = self._by_symbol.get(key)
            if registered and consolidator in registered:
                registered.remove(consolidator)
                if not registered:
                    del self._by_symbol[key]
        if isinstance(consolidator, ConsolidatorBase):
            consolidator.dispose()

    def _update(self, data: Any, local_time: datetime) -> None:
        """One time step: each registered subscription's bar from ``data`` (a ``Slice``)."""
        for symbol, consolidators in list(self._by_symbol.items()):
            bar = data.get(symbol) if data is not None else None
            for consolidator in tuple(consolidators):
                if bar is not None:
                    consolidator.update(bar)
                consolidator.scan(local_time)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise not_supported("SubscriptionManager", name)
