"""LEAN's ``DataPoints`` count beyond the bars and events the algorithm receives.

LEAN counts every data point of every time slice (``TimeSliceFactory``), including two feeds the
algorithm never sees:

- the internal hourly subscription of a security benchmark (``UniverseSelection.
  AddPendingInternalDataFeeds``: hour trade bars, no fill-forward, regular hours, from the start of
  the trading day before the first time step to the end date), so SPY's hour bars count in every
  algorithm with LEAN's default benchmark;
- one trigger of each user-defined universe at its start (``UserDefinedUniverse.GetTriggerTimes``:
  the first trigger only, its interval being ``Time.MaxTimeSpan``); ``add_equity``, ``add_forex``
  and the like create one per security type and market;
- one more trigger of such a universe each time a delisting removes one of its securities (below).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine.common import SecurityType, Symbol


def benchmark_hour_ends(data_folder: Path, symbol: Symbol, hours: Any, first_step: datetime, end: datetime) -> np.ndarray:
    """End times (int64 ns, New York) of the hour bars of the benchmark's internal subscription
    between ``first_step`` and ``end`` (empty for a benchmark that is not a US equity or has no hour file).

    LEAN subscribes the benchmark at hour resolution (internal, not filled forward) from the trading
    day before the start (``UniverseSelection.AddPendingInternalDataFeeds``): its bars reach neither
    the slice nor the statistics, but each is a data point and a time step of its own. ``hours`` is the
    benchmark's :class:`~lean_local.engine.exchange_hours.ExchangeHours`: a bar counts when it overlaps its
    day's regular session (LEAN's market-hours filter) and ends at or after the open of the trading
    day before ``first_step``.
    """
    none = np.empty(0, dtype=np.int64)
    if symbol.security_type != SecurityType.EQUITY:
        return none
    path = formats.equity_hour_path(data_folder, symbol.value)
    if not path.exists():
        return none
    from lean_local.engine.parsed_cache import cached_read

    starts = pd.DatetimeIndex(cached_read(formats.read_equity_daily, path).index).asi8
    previous = hours.trading_days(pd.Timestamp(first_step).normalize() - pd.Timedelta(days=10),
                                  pd.Timestamp(first_step).normalize() - pd.Timedelta(days=1))
    if not len(previous):
        return none
    since, _ = hours.session_times(previous[-1:])
    hour = 3_600 * 10**9
    ends = starts + hour
    window = (ends >= since[0]) & (starts <= pd.Timestamp(end).value)
    starts, ends = starts[window], ends[window]
    opens, closes = hours.session_times(pd.DatetimeIndex(starts))
    has_session = np.isin(pd.DatetimeIndex(starts).normalize().asi8, hours.trading_days(
        pd.Timestamp(first_step).normalize() - pd.Timedelta(days=10), pd.Timestamp(end).normalize()).asi8)
    return ends[has_session & (starts < closes) & (ends > opens)]


def user_defined_universes(securities: list[Any]) -> int:
    """User-defined universes the manually added ``securities`` create: one per security type and
    market."""
    return len({(security.type, security.symbol.market) for security in securities})


def delisting_triggers(delisted: list[Any], added_by_api: set[Any], universes: list[Any]) -> int:
    """New triggers of the user-defined universes that held the ``delisted`` securities.

    ``BacktestingBrokerage.ProcessDelistings`` removes a delisted security from each user-defined
    universe holding it (the one ``add_equity`` and the like fill, or a ``ManualUniverse``) and
    updates the universe: its one-trigger subscription has ended, so ``DataManager.AddSubscription``
    subscribes it anew, which triggers once more (one data point per universe and step).
    ``added_by_api`` holds the symbols added by the algorithm's ``add_*`` calls.
    """
    keys: set[Any] = set()
    for security in delisted:
        if security.symbol in added_by_api:
            keys.add((security.type, security.symbol.market))
        keys.update(id(universe) for universe in universes
                    if universe.explicit_members and security.symbol in universe.members)
    return len(keys)
