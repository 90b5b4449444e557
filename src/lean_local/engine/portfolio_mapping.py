"""The portfolio's dictionary interface: LEAN's ``SecurityPortfolioManager`` is a dictionary of each
security's ``SecurityHolding`` by symbol, over the algorithm's securities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lean_local.engine.common import Symbol


class HoldingsMapping:
    """``portfolio[symbol]``, ``symbol in portfolio``, iteration, ``keys``, ``values`` and ``items``."""

    _securities: Any  # the algorithm's securities by symbol

    def __getitem__(self, symbol: str) -> Any:
        return self._securities[symbol].holdings

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._securities

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._securities)

    def keys(self) -> list[Symbol]:
        return self._securities.keys()

    def values(self) -> list[Any]:
        return [s.holdings for s in self._securities.values()]

    def items(self) -> list[tuple[Symbol, Any]]:
        return [(s.symbol, s.holdings) for s in self._securities.values()]
