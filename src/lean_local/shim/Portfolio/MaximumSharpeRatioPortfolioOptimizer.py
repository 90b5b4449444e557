"""``from Portfolio.MaximumSharpeRatioPortfolioOptimizer import MaximumSharpeRatioPortfolioOptimizer`` as in LEAN."""

from lean_local.framework import MaximumSharpeRatioPortfolioOptimizer

__all__ = ["MaximumSharpeRatioPortfolioOptimizer"]
