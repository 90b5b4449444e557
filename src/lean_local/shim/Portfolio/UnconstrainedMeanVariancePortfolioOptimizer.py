"""``from Portfolio.UnconstrainedMeanVariancePortfolioOptimizer import UnconstrainedMeanVariancePortfolioOptimizer`` as in LEAN."""

from lean_local.framework import UnconstrainedMeanVariancePortfolioOptimizer

__all__ = ["UnconstrainedMeanVariancePortfolioOptimizer"]
