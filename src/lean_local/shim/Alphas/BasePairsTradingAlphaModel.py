"""``from Alphas.BasePairsTradingAlphaModel import BasePairsTradingAlphaModel`` as in LEAN."""

from lean_local.framework import BasePairsTradingAlphaModel

__all__ = ["BasePairsTradingAlphaModel"]
