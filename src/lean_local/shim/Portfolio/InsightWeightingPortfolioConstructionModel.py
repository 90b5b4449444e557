"""``from Portfolio.InsightWeightingPortfolioConstructionModel import InsightWeightingPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import InsightWeightingPortfolioConstructionModel

__all__ = ["InsightWeightingPortfolioConstructionModel"]
