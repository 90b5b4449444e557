"""``from Selection.CustomUniverseSelectionModel import CustomUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import CustomUniverseSelectionModel

__all__ = ["CustomUniverseSelectionModel"]
