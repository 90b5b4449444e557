"""``from Portfolio.RiskParityPortfolioOptimizer import RiskParityPortfolioOptimizer`` as in LEAN."""

from lean_local.framework import RiskParityPortfolioOptimizer

__all__ = ["RiskParityPortfolioOptimizer"]
