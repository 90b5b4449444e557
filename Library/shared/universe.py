"""Point-in-time top-N dollar-volume universe from LEAN's coarse universe rows.

The coarse file of trading day ``T`` describes ``T``'s session and reaches LEAN's selector at
``T+1 00:00``; the securities selected from it trade from ``T+1``. :func:`top_dollar_volume` keys its
selection by the coarse date ``T`` (it serves both research, over many dates, and the algorithm's
selector, over one); :func:`membership_panel` lags it to the day the members can trade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

TOP_N = 500
MIN_PRICE = 1.0

COARSE_COLUMNS = ("date", "symbol", "close", "volume", "dollar_volume", "has_fundamental_data")


def _eligible(
    close: np.ndarray, dollar_volume: np.ndarray, min_price: float, has_fundamental: np.ndarray | None
) -> np.ndarray:
    """Rows that may be selected: close >= ``min_price``, a dollar volume, and fundamental data if asked."""
    with np.errstate(invalid="ignore"):
        keep = (close >= min_price) & ~np.isnan(dollar_volume)
    if has_fundamental is not None:
        keep &= has_fundamental
    return keep


def _best_first(dollar_volume: np.ndarray, keys: Callable[[np.ndarray], Any],
                groups: np.ndarray | None = None) -> np.ndarray:
    """Positions ordered by group (ascending), then dollar volume (descending), then key (ascending).

    The selection order of both forms: the key (a ticker) breaks dollar-volume ties deterministically, and
    the sort is stable, so rows equal in all three keep their input order. ``keys(positions)`` gives the
    keys of those positions; it is asked only for the rows tied with another in group and dollar volume
    (a day's selector then reads a handful of tickers, not thousands).
    """
    descending = -dollar_volume
    order = np.lexsort([descending] if groups is None else [descending, groups])
    ranked = descending[order]
    # the sort's order among equal values, NaN included: stable, as the keys' sort below
    same = (ranked[1:] == ranked[:-1]) | (np.isnan(ranked[1:]) & np.isnan(ranked[:-1]))
    if groups is not None:
        ranked_groups = groups[order]
        same &= ranked_groups[1:] == ranked_groups[:-1]
    if not same.any():
        return order
    tied = np.zeros(order.size, dtype=bool)
    tied[1:] = same
    tied[:-1] |= same
    # The tied rows, sorted again with their keys, fill the places the tied rows hold: runs of equal group
    # and dollar volume sit in the same order in both sorts, and each run's places are ordered by key.
    rows = order[tied]
    columns = [np.asarray(keys(rows), dtype=object), descending[rows]]
    if groups is not None:
        columns.append(groups[rows])
    order[tied] = rows[np.lexsort(columns)]
    return order


def _by_position(values: Any, size: int, dtype: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``positions -> values at positions``, for an array of ``size`` values or a function of positions."""
    if callable(values):
        return lambda at: np.asarray(values(at), dtype=dtype)
    array = np.asarray(values, dtype=dtype)
    if array.shape != (size,):
        raise ValueError("close, dollar_volume, keys and has_fundamental must be one value per row")
    return array.__getitem__


def top_dollar_volume(
    coarse: pd.DataFrame, n: int = TOP_N, min_price: float = MIN_PRICE, require_fundamental: bool = False
) -> pd.DataFrame:
    """The ``n`` coarse rows of highest dollar volume per date, price >= ``min_price``.

    The many-dates form (research, training); :func:`top_dollar_volume_index` is the one-date form the
    algorithm's selector uses, with the same eligibility and ordering code.

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
        provider reports False for every row); a missing flag counts as false.

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
    dollar_volume = coarse["dollar_volume"].to_numpy(dtype=np.float64)
    has_fundamental = None
    if require_fundamental:
        flag = coarse["has_fundamental_data"]
        has_fundamental = flag.notna().to_numpy() & flag.to_numpy(dtype=object).astype(bool)
    keep = np.flatnonzero(
        _eligible(coarse["close"].to_numpy(dtype=np.float64), dollar_volume, min_price, has_fundamental)
    )
    dates = coarse["date"].to_numpy()[keep]
    day_code = pd.factorize(dates, sort=True)[0]
    order = _best_first(dollar_volume[keep], coarse["symbol"].to_numpy()[keep].__getitem__, day_code)
    day_code = day_code[order]
    # Rank within the date: sorted by date, a row's rank is its distance from its date's first row, plus one.
    rank = np.arange(order.size) - np.searchsorted(day_code, day_code) + 1
    chosen = keep[order[rank <= n]]
    rows = coarse.iloc[chosen][["date", "symbol", "dollar_volume"]].reset_index(drop=True)
    rows["rank"] = rank[rank <= n]
    return rows


def top_dollar_volume_index(
    close: Any,
    dollar_volume: Any,
    keys: Any,
    n: int = TOP_N,
    min_price: float = MIN_PRICE,
    has_fundamental: Any = None,
) -> np.ndarray:
    """One date's selection of :func:`top_dollar_volume` from plain arrays, for a live selector.

    ``close``, ``keys`` and ``has_fundamental`` may each be a function of row positions (an int array)
    returning those rows' values: it is then asked only for the rows in contention (the largest dollar
    volumes for the close and the flag, the rows tied in dollar volume for the key), so a selector reads
    a few hundred of a day's thousands of rows.

    Parameters
    ----------
    close : array-like of float, shape (m,), or function
        Each coarse row's close (dollars, raw); NaN is never selected.
    dollar_volume : array-like of float, shape (m,)
        Each row's dollar volume (dollars); NaN is never selected.
    keys : sequence of str, length m, or function
        Each row's ticker (e.g. ``Fundamental.symbol.value``): breaks dollar-volume ties, smaller first.
    n : int
        Universe size (500).
    min_price : float
        Minimum close (dollars, inclusive).
    has_fundamental : array-like of bool, shape (m,), or function, optional
        When given, only rows with True are eligible (``require_fundamental``).

    Returns
    -------
    np.ndarray of int
        Row positions of the selected rows, largest dollar volume first: at most ``n``. Equal to the
        rows :func:`top_dollar_volume` selects for a date holding these rows, in its rank order.
    """
    dollar_volume = np.asarray(dollar_volume, dtype=np.float64)
    if dollar_volume.ndim != 1:
        raise ValueError("dollar_volume must be one value per row")
    size = dollar_volume.size
    close_at, key_at = _by_position(close, size, np.float64), _by_position(keys, size, object)
    flag_at = None if has_fundamental is None else _by_position(has_fundamental, size, bool)
    contenders = np.flatnonzero(~np.isnan(dollar_volume))
    if n <= 0:
        return contenders[:0]
    # A row below the k-th largest dollar volume has k rows ahead of it: once those hold n eligible rows,
    # it is never selected. The rows are examined from the largest down, k doubling until they do.
    volumes, ahead = dollar_volume[contenders], n
    while True:
        head = contenders
        if contenders.size > ahead:
            cut = np.partition(volumes, contenders.size - ahead)[contenders.size - ahead]
            head = contenders[volumes >= cut]
        flags = None if flag_at is None else flag_at(head)
        eligible = head[_eligible(close_at(head), dollar_volume[head], min_price, flags)]
        if eligible.size >= n or head.size == contenders.size:
            break
        ahead *= 2
    return eligible[_best_first(dollar_volume[eligible], lambda at: key_at(eligible[at]))[:n]]


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
