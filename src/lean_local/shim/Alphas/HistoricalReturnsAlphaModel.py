"""``from Alphas.HistoricalReturnsAlphaModel import HistoricalReturnsAlphaModel`` as in LEAN."""

from lean_local.framework import HistoricalReturnsAlphaModel

__all__ = ["HistoricalReturnsAlphaModel"]
