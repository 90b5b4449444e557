"""``from Execution.NullExecutionModel import NullExecutionModel`` as in LEAN."""

from lean_local.framework import NullExecutionModel

__all__ = ["NullExecutionModel"]
