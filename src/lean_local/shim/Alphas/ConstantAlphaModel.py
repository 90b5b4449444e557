"""``from Alphas.ConstantAlphaModel import ConstantAlphaModel`` as in LEAN."""

from lean_local.framework import ConstantAlphaModel

__all__ = ["ConstantAlphaModel"]
