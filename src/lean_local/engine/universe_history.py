"""History of a fundamental universe's data and ``fundamentals`` (LEAN ``QCAlgorithm.History`` of a
universe or of ``Fundamental``, ``QCAlgorithm.Fundamentals``), read from the coarse files.

The coarse file of trading day T is the universe's data point (a collection of ``Fundamental``)
ending at T+1 00:00, as the universe receives it; a history request returns the collections
ending in its window, a day without a file has none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine.common import Symbol, not_supported
from lean_local.engine.fundamental_universe import (
    FINE_GROUPS,
    Fundamental,
    FundamentalUniverse,
    fundamentals_at,
)

_ONE_DAY_NS = 86_400 * 10**9
# the Fundamental properties a flattened history frame holds, LEAN's column names (lower case)
_COLUMNS = {"value": "value", "volume": "volume", "dollarvolume": "dollar_volume", "pricefactor": "price_factor",
            "splitfactor": "split_factor", "hasfundamentaldata": "has_fundamental_data"}


def collection_days(data_folder: Path, hours: Any, now: datetime, span: Any) -> list[date]:
    """The coarse file days T whose collections (ending T+1 00:00) a history request of ``span``
    (a ``timedelta`` or a number of trading days) ending ``now`` returns, oldest first."""
    now_ns = pd.Timestamp(now).value
    if isinstance(span, timedelta):
        first = pd.Timestamp(now - span).value
        days = hours.trading_days((now - span - timedelta(days=1)).date(), now.date())
        days = [d for d in days if first < d.value + _ONE_DAY_NS <= now_ns]
    elif isinstance(span, int | np.integer):
        days = hours.trading_days((now - timedelta(days=2 * int(span) + 10)).date(), now.date())
        days = [d for d in days if d.value + _ONE_DAY_NS <= now_ns][-int(span):]
    else:
        raise not_supported("QCAlgorithm.history", f"a universe history over {span!r} (a timedelta or a count)")
    return [d.date() for d in days if formats.coarse_path(data_folder, d).exists()]


def flattened_frame(rows_by_day: list[tuple[date, list[Fundamental]]]) -> pd.DataFrame:
    """``history(..., flatten=True)``: one row per ``Fundamental``, indexed by ``(time, symbol)``
    with ``time`` the collection's end."""
    times, symbols, columns = [], [], {name: [] for name in _COLUMNS}
    for day, rows in rows_by_day:
        end = datetime.combine(day, time()) + timedelta(days=1)
        for row in rows:
            times.append(end)
            symbols.append(row.symbol)
            for name, attribute in _COLUMNS.items():
                columns[name].append(getattr(row, attribute))
    index = pd.MultiIndex.from_arrays([pd.DatetimeIndex(times), symbols], names=["time", "symbol"])
    return pd.DataFrame(columns, index=index)


def fundamental_frame(data_folder: Path, hours: Any, now: datetime, span: Any, symbols: list[Symbol]) -> pd.DataFrame:
    """``history(Fundamental, span)`` of ``symbols``: each collection's row of each symbol, indexed by
    ``(symbol, time)``, with the fine groups as columns (``earningreports``, ...)."""
    parts = []
    for day in collection_days(data_folder, hours, now, span):
        end = datetime.combine(day, time()) + timedelta(days=1)
        parts.extend(fundamentals_at(data_folder, datetime.combine(day, time()), symbols, end_time=end))
    parts.sort(key=lambda row: (symbols.index(row.symbol), row.end_time))
    index = pd.MultiIndex.from_arrays([[row.symbol for row in parts], pd.DatetimeIndex([row.end_time for row in parts])],
                                      names=["symbol", "time"])
    columns: dict[str, list[Any]] = {name: [getattr(row, attribute) for row in parts]
                                     for name, attribute in _COLUMNS.items()}
    for group in FINE_GROUPS:
        columns[group.replace("_", "")] = [getattr(row, group) for row in parts]
    return pd.DataFrame(columns, index=index)


def is_universe_type(data_type: Any) -> bool:
    return isinstance(data_type, type) and issubclass(data_type, FundamentalUniverse)
