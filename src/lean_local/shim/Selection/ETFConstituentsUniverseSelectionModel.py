"""``from Selection.ETFConstituentsUniverseSelectionModel import ETFConstituentsUniverseSelectionModel`` as in LEAN."""

from lean_local.framework import ETFConstituentsUniverseSelectionModel

__all__ = ["ETFConstituentsUniverseSelectionModel"]
