"""``from Portfolio.EqualWeightingPortfolioConstructionModel import EqualWeightingPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import EqualWeightingPortfolioConstructionModel

__all__ = ["EqualWeightingPortfolioConstructionModel"]
