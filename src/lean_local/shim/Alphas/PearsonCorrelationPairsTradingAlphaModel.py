"""``from Alphas.PearsonCorrelationPairsTradingAlphaModel import PearsonCorrelationPairsTradingAlphaModel`` as in LEAN."""

from lean_local.framework import PearsonCorrelationPairsTradingAlphaModel

__all__ = ["PearsonCorrelationPairsTradingAlphaModel"]
