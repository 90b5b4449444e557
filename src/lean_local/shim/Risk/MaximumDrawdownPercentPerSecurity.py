"""``from Risk.MaximumDrawdownPercentPerSecurity import MaximumDrawdownPercentPerSecurity`` as in LEAN."""

from lean_local.framework import MaximumDrawdownPercentPerSecurity

__all__ = ["MaximumDrawdownPercentPerSecurity"]
