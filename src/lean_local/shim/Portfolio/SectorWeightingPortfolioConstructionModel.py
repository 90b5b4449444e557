"""``from Portfolio.SectorWeightingPortfolioConstructionModel import SectorWeightingPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import SectorWeightingPortfolioConstructionModel

__all__ = ["SectorWeightingPortfolioConstructionModel"]
