"""Slippage models (LEAN ``QuantConnect.Orders.Slippage``)."""

from __future__ import annotations

from typing import Any


class NullSlippageModel:
    """No slippage (LEAN's default)."""

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        return 0.0


class ConstantSlippageModel:
    """Slippage of a constant fraction of the security's current price (LEAN ``ConstantSlippageModel``).

    The fill models add it to buys and subtract it from sells, so the fill moves against the order.
    """

    def __init__(self, slippage_percent: float) -> None:
        self.slippage_percent = float(slippage_percent)

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        return self.slippage_percent * asset.price
