"""Point-in-time top-N dollar-volume universe from LEAN's coarse universe rows.

The coarse file of trading day ``T`` describes ``T``'s session and reaches LEAN's selector at
``T+1 00:00``; the securities selected from it trade from ``T+1``. :func:`top_dollar_volume` keys its
selection by the coarse date ``T`` (it serves both research, over many dates, and the algorithm's
selector, over one); :func:`membership_panel` lags it to the day the members can trade.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TOP_N = 500
MIN_PRICE = 1.0

COARSE_COLUMNS = ("date", "symbol", "close", "volume", "dollar_volume", "has_fundamental_data")


def top_dollar_volume(
    coarse: pd.DataFrame, n: int = TOP_N, min_price: float = MIN_PRICE, require_fundamental: bool = False
) -> pd.DataFrame:
    """The ``n`` coarse rows of highest dollar volume per date, price >= ``min_price``.

    Parameters
    ----------
    coarse : pd.DataFrame
        Long rows with columns ``date``, ``symbol``, ``close`` (dollars, raw), ``dollar_volume``
        (dollars) and, when ``require_fundamental``, ``has_fundamental_data``; other columns are ignored.
    n : int
        Universe size per date (500).
    min_price : float
        Minimum close (dollars, inclusive).
    require_fundamental : bool
        Keep only rows with ``has_fundamental_data`` true (off by default: LEAN's local fundamental
        provider reports False for every row).

    Returns
    -------
    pd.DataFrame
        Columns ``date``, ``symbol``, ``dollar_volume``, ``rank`` (1 = largest), sorted by date then
        rank. Ties in dollar volume go to the smaller symbol. Rows with a NaN close or dollar volume are
        never selected. Each date's selection uses only that date's rows.
    """
    missing = {"date", "symbol", "close", "dollar_volume"} - set(coarse.columns)
    if require_fundamental:
        missing |= {"has_fundamental_data"} - set(coarse.columns)
    if missing:
        raise ValueError(f"coarse rows lack columns {sorted(missing)}")
    rows = coarse[["date", "symbol", "close", "dollar_volume"]].copy()
    keep = rows["close"].ge(min_price) & rows["dollar_volume"].notna()
    if require_fundamental:
        keep &= coarse["has_fundamental_data"].fillna(False).astype(bool)
    rows = rows[keep.to_numpy()]
    rows = rows.sort_values(["date", "dollar_volume", "symbol"], ascending=[True, False, True], kind="mergesort")
    rows["rank"] = rows.groupby("date", sort=False).cumcount() + 1
    rows = rows[rows["rank"] <= n]
    return rows[["date", "symbol", "dollar_volume", "rank"]].reset_index(drop=True)


def membership_panel(selection: pd.DataFrame, dates: Any, lag: int = 1) -> pd.DataFrame:
    """Boolean universe membership on each trading day.

    Parameters
    ----------
    selection : pd.DataFrame
        Output of :func:`top_dollar_volume` (``date``, ``symbol``).
    dates : sequence of dates
        The trading days of the panel, ascending; the coarse dates must be among them.
    lag : int
        Trading days between a coarse date and the first day its members trade (1, as in LEAN).

    Returns
    -------
    pd.DataFrame of bool
        Index ``dates``, one column per selected symbol (sorted); True on day ``d`` when the symbol was
        selected from the coarse file ``lag`` trading days before ``d``. The first ``lag`` days are all
        False (no earlier coarse file).
    """
    index = pd.DatetimeIndex(dates)
    symbols = np.sort(selection["symbol"].unique())
    selected = pd.DataFrame(False, index=index, columns=pd.Index(symbols, name="symbol"))
    if len(selection):
        marks = pd.crosstab(pd.DatetimeIndex(selection["date"]), selection["symbol"]).gt(0)
        unknown = marks.index.difference(index)
        if len(unknown):
            raise ValueError(f"coarse dates not in the trading days: {list(unknown[:3])}")
        selected.loc[marks.index, marks.columns] = marks
    shifted = selected.shift(lag, fill_value=False)
    return shifted.astype(bool)
