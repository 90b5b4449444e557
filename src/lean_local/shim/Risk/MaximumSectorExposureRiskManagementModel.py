"""``from Risk.MaximumSectorExposureRiskManagementModel import MaximumSectorExposureRiskManagementModel`` as in LEAN."""

from lean_local.framework import MaximumSectorExposureRiskManagementModel

__all__ = ["MaximumSectorExposureRiskManagementModel"]
