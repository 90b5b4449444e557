"""LEAN's data consolidators: bars merged by count, time or calendar (``TradeBarConsolidator``),
by price range (``RangeConsolidator``) or Renko bricks (``RenkoConsolidator``), and the
``SubscriptionManager`` that feeds them each time step."""

from lean_local.consolidators.base import ConsolidatorBase, IdentityDataConsolidator
from lean_local.consolidators.manager import SubscriptionManager
from lean_local.consolidators.timeless import (
    BarDirection,
    RangeBar,
    RangeConsolidator,
    RenkoBar,
    RenkoConsolidator,
    RenkoType,
    WickedRenkoConsolidator,
)
from lean_local.consolidators.trade_bar import Calendar, CalendarInfo, TradeBarConsolidator

__all__ = [
    "BarDirection", "Calendar", "CalendarInfo", "ConsolidatorBase", "IdentityDataConsolidator", "RangeBar",
    "RangeConsolidator", "RenkoBar", "RenkoConsolidator", "RenkoType", "SubscriptionManager", "TradeBarConsolidator",
    "WickedRenkoConsolidator",
]
