"""``from Selection.CoarseFundamentalUniverseSelectionModel import CoarseFundamentalUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import CoarseFundamentalUniverseSelectionModel

__all__ = ["CoarseFundamentalUniverseSelectionModel"]
