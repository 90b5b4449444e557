"""``from Risk.NullRiskManagementModel import NullRiskManagementModel`` as in LEAN."""

from lean_local.framework import NullRiskManagementModel

__all__ = ["NullRiskManagementModel"]
