"""Every fact of a panel, and the dollar-volume facts of a folder's coarse files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data.facts.measures import (
    ENTRY_OFFSET,
    EXIT_OFFSET,
    autocorrelation,
    correlation_with,
    excess_kurtosis,
    finite_median,
    mean_pairwise_correlation,
    newey_west_t,
    reversal_ic_and_spread,
    reversal_signal_and_outcome,
    values_at_ranks,
)
from lean_local.data.facts.panel import DailyPanel, log_returns

DOLLAR_VOLUME_RANKS = (100, 250, 500)


def stylized_facts(panel: DailyPanel, min_observations: int = 60, min_names: int = 10) -> dict[str, Any]:
    """Every fact of one panel.

    Parameters
    ----------
    panel : DailyPanel
        The securities (the market already taken out of the cross section).
    min_observations : int
        Values (or pairs) a security needs to enter a per-security median.
    min_names : int
        Names a date needs for its rank IC and decile spread.

    Returns
    -------
    dict
        ``excess_kurtosis``, ``return_autocorrelation_1``, ``abs_return_autocorrelation_1`` and ``_20``,
        ``market_r_squared``, ``log_volume_autocorrelation_1`` and ``_20`` (medians over securities);
        ``mean_pairwise_correlation``; ``reversal_ic`` (mean daily rank IC of the 3-day return with the
        traded 6-day return), ``reversal_ic_t`` (Newey-West, 6 lags), ``decile_spread`` (mean, a fraction
        per 6 days) and ``decile_spread_t``; ``dollar_volume_rank_<k>`` (median over dates of the k-th
        largest dollar volume; NaN when fewer names); ``listed_names_median``, ``_min``, ``_max``
        (names with a bar, over dates with any); ``n_securities``, ``n_dates``, ``first_date``,
        ``last_date``, ``market``, ``ic_dates`` (dates with an IC).
    """
    r = log_returns(panel.close)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_volume = np.where(panel.volume > 0, np.log(panel.volume), np.nan)
    facts: dict[str, Any] = {
        "n_securities": int(len(panel.symbols)),
        "n_dates": int(len(panel.dates)),
        "first_date": f"{panel.dates[0]:%Y-%m-%d}",
        "last_date": f"{panel.dates[-1]:%Y-%m-%d}",
        "market": panel.market_source,
        "excess_kurtosis": finite_median(excess_kurtosis(r, min_observations)),
        "return_autocorrelation_1": finite_median(autocorrelation(r, 1, min_observations)),
        "abs_return_autocorrelation_1": finite_median(autocorrelation(np.abs(r), 1, min_observations)),
        "abs_return_autocorrelation_20": finite_median(autocorrelation(np.abs(r), 20, min_observations)),
        "market_r_squared": finite_median(correlation_with(r, panel.market_return, min_observations) ** 2),
        "mean_pairwise_correlation": mean_pairwise_correlation(r, min_observations),
        "log_volume_autocorrelation_1": finite_median(autocorrelation(log_volume, 1, min_observations)),
        "log_volume_autocorrelation_20": finite_median(autocorrelation(log_volume, 20, min_observations)),
    }
    signal, outcome = reversal_signal_and_outcome(panel)
    ic, spread = reversal_ic_and_spread(signal, outcome, min_names)
    lags = EXIT_OFFSET - ENTRY_OFFSET
    facts.update(
        reversal_ic=float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan"),
        reversal_ic_t=newey_west_t(ic, lags),
        decile_spread=float(np.nanmean(spread)) if np.isfinite(spread).any() else float("nan"),
        decile_spread_t=newey_west_t(spread, lags),
        ic_dates=int(np.isfinite(ic).sum()),
    )
    for k, value in zip(DOLLAR_VOLUME_RANKS, values_at_ranks(panel.dollar_volume, DOLLAR_VOLUME_RANKS).T,
                        strict=True):
        facts[f"dollar_volume_rank_{k}"] = finite_median(value)
    names = np.isfinite(panel.close).sum(axis=1)
    names = names[names > 0]
    facts.update(listed_names_median=float(np.median(names)), listed_names_min=int(names.min()),
                 listed_names_max=int(names.max()))
    return facts


def coarse_facts(data_folder: str | os.PathLike[str], start: Any = None, end: Any = None) -> dict[str, Any]:
    """Dollar volume at each rank and names per file from a folder's coarse files (medians over files);
    empty when it has none in the window."""
    from lean_local.data import formats

    coarse = formats.read_coarse_range(data_folder, start or "1900-01-01", end or "2100-12-31")
    if coarse.empty:
        return {}
    dates = pd.DatetimeIndex(coarse["date"])
    codes, uniques = pd.factorize(dates)
    position = coarse.groupby(codes).cumcount().to_numpy()
    table = np.full((len(uniques), int(position.max()) + 1), np.nan)
    table[codes, position] = coarse["dollar_volume"].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {"coarse_files": int(len(uniques))}
    for k, value in zip(DOLLAR_VOLUME_RANKS, values_at_ranks(table, DOLLAR_VOLUME_RANKS).T, strict=True):
        out[f"coarse_dollar_volume_rank_{k}"] = finite_median(value)
    out["coarse_names_median"] = float(np.median(np.isfinite(table).sum(axis=1)))
    return out
