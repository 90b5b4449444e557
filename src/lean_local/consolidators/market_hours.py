"""The daily consolidator of intraday data (LEAN ``MarketHourAwareConsolidator``).

``resolve_consolidator(symbol, Resolution.DAILY)`` (``consolidate``, ``register_indicator`` and the
indicator helpers with a daily resolution) on a minute or hour subscription consolidates each
trading day's regular session: the bar runs from the day's first market open to its last close
(``LeanData.GetDailyCalendar`` with ``Settings.DailyPreciseEndTime``), so it is emitted when the
clock reaches the close (16:00, 13:00 on early-close days), not at the next midnight. A
``timedelta`` period keeps the plain period consolidator, as LEAN's ``ResolveConsolidator``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from lean_local.consolidators.trade_bar import CalendarInfo, TradeBarConsolidator

_NS_PER_DAY = 86_400 * 10**9


def daily_session_calendar(hours: Any) -> Callable[[datetime], CalendarInfo]:
    """``time -> CalendarInfo`` of the regular session that opened last at or before ``time``
    (``SecurityExchangeHours.GetFirstDailyMarketOpen`` .. ``GetLastDailyMarketClose``).

    ``hours`` is the security's :class:`~lean_local.engine.exchange_hours.ExchangeHours`; sessions are
    looked up once per date.
    """
    sessions: dict[datetime, tuple[datetime, datetime] | None] = {}

    def session(day: datetime) -> tuple[datetime, datetime] | None:
        if day not in sessions:
            days = hours.trading_days(day.date(), day.date())
            if len(days):
                opens, closes = hours.session_times(days)
                sessions[day] = (pd.Timestamp(int(opens[0])).to_pydatetime(),
                                 pd.Timestamp(int(closes[0])).to_pydatetime())
            else:
                sessions[day] = None
        return sessions[day]

    def calendar(time: datetime) -> CalendarInfo:
        day = datetime(time.year, time.month, time.day)
        for back in range(15):  # the latest session that opened at or before ``time``
            found = session(day - timedelta(days=back))
            if found is not None and found[0] <= time:
                return CalendarInfo(found[0], found[1] - found[0])
        return CalendarInfo(day, timedelta(days=1))

    return calendar


def market_hour_aware_daily(hours: Any) -> TradeBarConsolidator:
    """A trade-bar consolidator of each regular session (see the module docstring)."""
    return TradeBarConsolidator(daily_session_calendar(hours))
