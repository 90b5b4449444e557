"""Exchange calendars: LEAN's market-hours database and our own rule-based US calendar.

Two sources, one object model:

* :class:`MarketHoursDatabase` reads ``market-hours/market-hours-database.json`` (LEAN's format:
  ``{"entries": {"<SecurityType>-<market>-<symbol>": {...}}}``, with ``[*]`` entries as the
  fallback for a security type and market).
* :func:`us_equity_holidays` / :func:`generated_market_hours` build calendars from NYSE rules, so
  data folders we generate carry their own ``market-hours-database.json``
  (:func:`write_market_hours_database`) instead of a copy of LEAN's.

All times are naive and in the exchange's time zone (``exchange_time_zone``); dates are naive
midnight timestamps.
Modules: :mod:`.entry` (one entry and its json), :mod:`.database` (LEAN's json file) and
:mod:`.us_calendar` (our calendars and the json writer).
"""

from lean_local.data.market_hours.database import MarketHoursDatabase
from lean_local.data.market_hours.entry import WEEKDAYS, MarketHoursEntry, Segment
from lean_local.data.market_hours.us_calendar import (
    US_SPECIAL_CLOSURES,
    forex_entry,
    generated_market_hours,
    us_equity_early_closes,
    us_equity_entry,
    us_equity_holidays,
    us_index_entry,
    write_market_hours_database,
)

__all__ = [
    "MarketHoursEntry",
    "MarketHoursDatabase",
    "Segment",
    "us_equity_holidays",
    "us_equity_early_closes",
    "us_equity_entry",
    "us_index_entry",
    "forex_entry",
    "generated_market_hours",
    "write_market_hours_database",
    "WEEKDAYS",
    "US_SPECIAL_CLOSURES",
]
