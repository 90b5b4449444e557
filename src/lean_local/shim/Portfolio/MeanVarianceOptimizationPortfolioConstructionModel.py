"""``from Portfolio.MeanVarianceOptimizationPortfolioConstructionModel import MeanVarianceOptimizationPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import MeanVarianceOptimizationPortfolioConstructionModel

__all__ = ["MeanVarianceOptimizationPortfolioConstructionModel"]
