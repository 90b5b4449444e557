"""``from Portfolio.RiskParityPortfolioConstructionModel import RiskParityPortfolioConstructionModel`` as in LEAN."""

from lean_local.framework import RiskParityPortfolioConstructionModel

__all__ = ["RiskParityPortfolioConstructionModel"]
