"""``from Selection.ManualUniverseSelectionModel import ManualUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import ManualUniverseSelectionModel

__all__ = ["ManualUniverseSelectionModel"]
