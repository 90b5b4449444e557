"""``from Execution.ImmediateExecutionModel import ImmediateExecutionModel`` as in LEAN."""

from lean_local.framework import ImmediateExecutionModel

__all__ = ["ImmediateExecutionModel"]
