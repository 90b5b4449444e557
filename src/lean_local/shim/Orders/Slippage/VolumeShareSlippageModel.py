"""``from Orders.Slippage.VolumeShareSlippageModel import VolumeShareSlippageModel``, as LEAN ships it."""

from lean_local.engine.slippage import VolumeShareSlippageModel

__all__ = ["VolumeShareSlippageModel"]
