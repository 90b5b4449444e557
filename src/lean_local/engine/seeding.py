"""The bar ``get_last_known_prices`` seeds a benchmark security with while the benchmark's internal
hour subscription exists.

LEAN's ``GetLastKnownPrices`` requests the last ``SeedLookbackPeriod`` (5) bars of every
configuration of the symbol, internal ones included (``GetMatchingSubscriptions`` with
``useAllSubscriptions``), and keeps the bar of the newest history slice; a slice holding bars of two
resolutions keeps the finer one (``TimeSliceFactory``: "keep the highest resolution one"). From the
first time step on (``UniverseSelection.AddPendingInternalDataFeeds``, after that step's
selections), a security benchmark's symbol has the internal hour configuration (dividend-adjusted,
LEAN's default normalization), so its last hour bar, which ends with the last daily bar at the
close, is the seed whatever the user's configuration normalizes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine import intraday
from lean_local.engine.common import DataNormalizationMode, Resolution, Symbol
from lean_local.engine.feed import SubscriptionData
from lean_local.engine.slice import TradeBar

SEED_LOOKBACK_BARS = 5  # LEAN's Settings.SeedLookbackPeriod
_HOUR = intraday.PERIOD_NS[Resolution.HOUR]


def benchmark_hour_bars(data_folder: Path, symbol: Symbol, hours: Any, first_day: datetime,
                        last_day: datetime) -> SubscriptionData:
    """The benchmark's internal hour bars over ``[first_day, last_day]``: adjusted, regular hours."""
    return intraday.load_equity_intraday(data_folder, symbol, DataNormalizationMode.ADJUSTED, hours,
                                         Resolution.HOUR, first_day, last_day, warn_missing=False)


def last_hour_bar(bars: SubscriptionData, hours: Any, now: datetime) -> TradeBar | None:
    """The newest of ``bars`` ending at or before ``now`` within the last ``SEED_LOOKBACK_BARS``
    regular-session hour bars (the seed request's span), or None.

    Parameters
    ----------
    bars : SubscriptionData
        Hour bars (``end_time`` int64 ns, New York).
    hours : ExchangeHours
        The exchange's hours: the lookback counts session hours.
    now : datetime
        The seeding time (New York).
    """
    now_ns = int(pd.Timestamp(now).value)
    last = int(np.searchsorted(bars.end_time, now_ns, side="right")) - 1
    if last < 0:
        return None
    ends = intraday.session_bar_ends(hours, now - timedelta(days=14), now, _HOUR)
    ends = ends[ends <= now_ns]
    if len(ends) >= SEED_LOOKBACK_BARS and int(bars.end_time[last]) <= int(ends[-SEED_LOOKBACK_BARS]) - _HOUR:
        return None  # older than the request's start
    start = pd.Timestamp(int(bars.time[last])).to_pydatetime()
    open_, high, low, close, volume = bars.ohlcv[last].tolist()
    return TradeBar(start, bars.symbol, open_, high, low, close, volume, period=timedelta(hours=1))
