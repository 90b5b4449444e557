"""``from Portfolio.ConfidenceWeightedPortfolioConstructionModel import ConfidenceWeightedPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import ConfidenceWeightedPortfolioConstructionModel

__all__ = ["ConfidenceWeightedPortfolioConstructionModel"]
