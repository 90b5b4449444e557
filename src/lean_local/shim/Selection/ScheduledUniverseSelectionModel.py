"""``from Selection.ScheduledUniverseSelectionModel import ScheduledUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import ScheduledUniverseSelectionModel

__all__ = ["ScheduledUniverseSelectionModel"]
