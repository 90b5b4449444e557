"""``from Risk.MaximumUnrealizedProfitPercentPerSecurity import MaximumUnrealizedProfitPercentPerSecurity`` as in LEAN."""

from lean_local.framework import MaximumUnrealizedProfitPercentPerSecurity

__all__ = ["MaximumUnrealizedProfitPercentPerSecurity"]
