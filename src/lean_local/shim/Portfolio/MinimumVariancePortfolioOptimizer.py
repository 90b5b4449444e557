"""``from Portfolio.MinimumVariancePortfolioOptimizer import MinimumVariancePortfolioOptimizer`` as in LEAN."""

from lean_local.framework import MinimumVariancePortfolioOptimizer

__all__ = ["MinimumVariancePortfolioOptimizer"]
