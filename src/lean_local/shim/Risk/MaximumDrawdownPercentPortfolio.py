"""``from Risk.MaximumDrawdownPercentPortfolio import MaximumDrawdownPercentPortfolio`` as in LEAN."""

from lean_local.framework import MaximumDrawdownPercentPortfolio

__all__ = ["MaximumDrawdownPercentPortfolio"]
