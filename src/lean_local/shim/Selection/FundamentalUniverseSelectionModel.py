"""``from Selection.FundamentalUniverseSelectionModel import FundamentalUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import FundamentalUniverseSelectionModel

__all__ = ["FundamentalUniverseSelectionModel"]
