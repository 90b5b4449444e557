"""``from Portfolio.MeanReversionPortfolioConstructionModel import MeanReversionPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import MeanReversionPortfolioConstructionModel

__all__ = ["MeanReversionPortfolioConstructionModel"]
