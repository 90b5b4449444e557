"""``from Selection.FineFundamentalUniverseSelectionModel import FineFundamentalUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import FineFundamentalUniverseSelectionModel

__all__ = ["FineFundamentalUniverseSelectionModel"]
