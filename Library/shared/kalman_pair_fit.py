"""Choose and fit the Kalman strategy's pairs: every candidate's tests, the traded pairs' parameters.

Three consecutive windows of daily prices:

* **formation** (``fit_start`` .. ``formation_end``): the Engle-Granger test (``shared.cointegration``),
  stage 1's fair-value parameters and stage 2's EM fit (``shared.kalman_spread``) with its
  diagnostics, beside the random-walk band simulated for the same length and volatilities;
* **validation** (after ``formation_end`` .. ``validation_end``): the spread's half-life with the
  formation hedge ratio (out of sample), and the filter keeps running so that its state at
  ``validation_end`` is where the algorithm starts;
* the backtest, after ``validation_end``: nothing here reads it.

The prices are ``qb.history``'s adjusted daily closes (:func:`history_closes`), so the fitting
command and the research notebook fit the same series: each ticker is the security LEAN's map files
resolve it to today (``GOOG`` is the class C share, listed 2014-03-27; the Google of 2012 is
``GOOGL``), with its splits and dividends adjusted as LEAN adjusts them.

A candidate is traded when all of these hold (``reason`` names the first that fails): the
Engle-Granger p-value is below ``max_pvalue``; the validation half-life is inside
``half_life_range``; EM converged; the fitted ``phi`` is below the random-walk band's lower edge
("no mean reversion" otherwise); the model's half-life is inside ``half_life_range``; and, of ``Y/X``
and ``X/Y``, it is the ordering with the lower Engle-Granger p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np
import pandas as pd

from shared.cointegration import assess_pair
from shared.kalman import HedgeRatioFilter, HedgeRatioResult
from shared.kalman_spread import (
    DEFAULT_DELTA,
    diagnostics,
    fair_value_filter,
    fair_value_params,
    fit_ar1_em,
    random_walk_band,
)

__all__ = ["MIN_COVERAGE", "SAMPLE_TICKERS", "PairFitReport", "covered", "fit_pairs", "history_closes"]

#: LEAN's sample equities with daily data over 2012..2021 (FB is listed in 2012-05 and is left out by
#: the coverage rule; the GOOG of 2012 is today's GOOGL).
SAMPLE_TICKERS = ("SPY", "QQQ", "IWM", "EEM", "BNO", "USO", "AAPL", "AIG", "BAC", "IBM", "WM", "GOOGL", "FB")
#: A ticker is a candidate when it has a close on this share of the days any ticker traded.
MIN_COVERAGE = 0.95


def history_closes(qb: Any, tickers: list[str] | tuple[str, ...], start: str, end: str, daily: Any) -> pd.DataFrame:
    """Adjusted daily closes of ``tickers`` from ``start`` to ``end`` (inclusive), as ``qb.history`` gives them.

    Parameters
    ----------
    qb : QuantBook
        LEAN's research object (``lean_local.research.QuantBook`` outside LEAN): its equities are
        added at daily resolution, resolved through the map files and adjusted (LEAN's default
        normalization).
    tickers : sequence of str
    start, end : str
        Dates ``YYYY-MM-DD``.
    daily : Resolution
        LEAN's ``Resolution.DAILY``, passed in: the library does not import LEAN.

    Returns
    -------
    DataFrame
        One column per ticker (in ``tickers``' order), indexed by the bars' days; NaN where a
        ticker has no bar on a day another has one (no fill-forward: the filter must not see a copy
        of an old close). A ticker without any bar in the window is an all-NaN column.
    """
    symbols = {ticker: qb.add_equity(ticker, daily, fill_forward=False).symbol for ticker in tickers}
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    history = qb.history(list(symbols.values()), first.to_pydatetime(), (last + pd.Timedelta(days=1)).to_pydatetime(),
                         daily)
    ticker_of = {str(symbol): ticker for ticker, symbol in symbols.items()}
    if len(history) == 0:
        return pd.DataFrame(np.nan, index=pd.DatetimeIndex([]), columns=list(tickers))
    close = history["close"].unstack(level=0).rename(columns=lambda s: ticker_of[str(s)])
    close = close.reindex(columns=list(tickers))
    close.index = pd.DatetimeIndex(close.index).normalize()  # a daily bar ends at 16:00 of its day
    return close.loc[first:last]


def covered(closes: pd.DataFrame, min_coverage: float = MIN_COVERAGE) -> tuple[list[str], dict[str, float]]:
    """The tickers with a close on at least ``min_coverage`` of ``closes``' days, and each ticker's share."""
    share = closes.notna().mean() if len(closes) else pd.Series(0.0, index=closes.columns)
    return [t for t in closes if share[t] >= min_coverage], {t: float(share[t]) for t in closes}


@dataclass(frozen=True)
class PairFitReport:
    """What :func:`fit_pairs` found.

    Attributes
    ----------
    table : DataFrame
        One row per ordered candidate ``y/x``: ``eg_pvalue``, ``half_life_validation`` (bars, the
        formation hedge ratio's spread after the formation), the fitted ``phi``, ``half_life``,
        ``spread_gain``, ``fair_gain``, ``implied_acf1``, ``sample_acf1``, ``acf1_se``, ``converged``,
        ``traded`` and ``reason`` ("" when traded), sorted by p-value.
    band : dict
        The random-walk band: name -> (low, high) (``shared.kalman_spread.random_walk_band``).
    parameters : dict
        JSON-ready parameters of the traded pairs for the algorithm (:func:`fit_pairs`).
    """

    table: pd.DataFrame
    band: dict[str, tuple[float, float]]
    parameters: dict[str, Any]


def fit_pairs(
    prices: pd.DataFrame,
    fit_start: str | pd.Timestamp,
    formation_end: str | pd.Timestamp,
    validation_end: str | pd.Timestamp,
    max_pvalue: float = 0.05,
    half_life_range: tuple[float, float] = (2.0, 30.0),
    delta: float = DEFAULT_DELTA,
    n_sims: int = 200,
    seed: int = 0,
) -> PairFitReport:
    """Test and fit every ordered pair of ``prices``' columns.

    Parameters
    ----------
    prices : DataFrame
        Adjusted daily closes (dollars), one column per ticker, on a ``DatetimeIndex``; rows with a
        NaN are dropped (every leg trades on every used day).
    fit_start, formation_end, validation_end : date
        The windows (module docstring); each needs 30 rows.
    max_pvalue, half_life_range, delta
        As in the module docstring and ``shared.kalman_spread``.
    n_sims, seed : int
        Simulated random-walk pairs for the band, and their seed.

    Returns
    -------
    PairFitReport
        ``parameters`` holds, per traded pair ``"Y/X"``: ``y_scale``, ``x_scale``, ``r``,
        ``transition_cov``, the filter's prior ``state_mean`` and ``state_cov`` for the first bar
        after ``validation_end``, ``phi`` and ``half_life``; and the windows, ``delta`` and
        ``state_date`` (= the last validation day).
    """
    start, formation_end, validation_end = (pd.Timestamp(d) for d in (fit_start, formation_end, validation_end))
    data = prices.loc[start:validation_end].dropna()
    formation = data.loc[:formation_end]
    validation = data.loc[data.index > formation_end]
    if len(formation) < 30 or len(validation) < 30:
        raise ValueError(f"need 30 rows in each window: {len(formation)} formation, {len(validation)} validation")
    pairs = list(permutations(data.columns, 2))
    ys, xs = [p[0] for p in pairs], [p[1] for p in pairs]
    screens = [assess_pair(data[y], data[x], formation_end, max_pvalue, half_life_range) for y, x in pairs]

    stage1 = fair_value_params(formation[ys].to_numpy(), formation[xs].to_numpy(), delta)
    whole = fair_value_filter(data[ys].to_numpy(), data[xs].to_numpy(), stage1)
    in_formation = len(formation)
    spread = whole.innovation[:in_formation]
    fit = fit_ar1_em(spread)
    found = diagnostics(spread, 1.0 - stage1.r / whole.innovation_var[:in_formation], fit)

    log_returns = np.diff(np.log(formation.to_numpy()), axis=0).std(axis=0, ddof=1)
    std_of = dict(zip(formation.columns, log_returns, strict=True))
    band = random_walk_band(np.array([[std_of[y], std_of[x]] for y, x in pairs]), in_formation, n_sims, seed, delta)

    low, high = half_life_range
    rows = []
    for j, ((y, x), screen) in enumerate(zip(pairs, screens, strict=True)):
        reason = screen.reason
        if not reason and not fit.converged[j]:
            reason = "EM did not converge"
        elif not reason and not found["phi"][j] < band["phi"][0]:
            reason = f"no mean reversion (phi {found['phi'][j]:.4f} inside the random-walk band)"
        elif not reason and not low <= found["half_life"][j] <= high:
            reason = f"model half-life {found['half_life'][j]:.1f} outside [{low:g}, {high:g}]"
        rows.append({
            "pair": f"{y}/{x}", "eg_pvalue": screen.eg_pvalue, "half_life_validation": screen.half_life_validation,
            **{name: float(values[j]) for name, values in found.items()},
            "converged": bool(fit.converged[j]), "traded": reason == "", "reason": reason,
        })
    # Y/X and X/Y are one relationship: only the ordering with the lower p-value is traded.
    for row in sorted(rows, key=lambda row: row["eg_pvalue"]):
        y, x = row["pair"].split("/")
        reverse = next(other for other in rows if other["pair"] == f"{x}/{y}")
        if row["traded"] and reverse["traded"]:
            reverse["traded"], reverse["reason"] = False, f"the reverse ordering {row['pair']} is traded"
    table = pd.DataFrame(rows).sort_values("eg_pvalue", kind="stable").reset_index(drop=True)

    traded = [j for j, row in enumerate(rows) if row["traded"]]
    keys = [rows[j]["pair"] for j in traded]
    state = HedgeRatioFilter.from_result(keys, stage1.r[traded], _columns(whole, traded),
                                         transition_cov=stage1.transition_cov[traded]) if traded else None
    parameters: dict[str, Any] = {
        "fit_start": f"{data.index[0]:%Y-%m-%d}",
        "formation_end": f"{formation.index[-1]:%Y-%m-%d}",
        "validation_end": f"{validation.index[-1]:%Y-%m-%d}",
        "state_date": f"{validation.index[-1]:%Y-%m-%d}",
        "delta": delta,
        "pairs": {},
    }
    for k, j in enumerate(traded):
        assert state is not None
        parameters["pairs"][keys[k]] = {
            "y_scale": float(stage1.y_scale[j]), "x_scale": float(stage1.x_scale[j]), "r": float(stage1.r[j]),
            "transition_cov": stage1.transition_cov[j].tolist(),
            "state_mean": state.predicted_state[k].tolist(), "state_cov": state.predicted_cov[k].tolist(),
            "phi": float(fit.phi[j]), "half_life": float(fit.half_life[j]),
        }
    return PairFitReport(table, band, parameters)


def _columns(result: HedgeRatioResult, columns: list[int]) -> HedgeRatioResult:
    """The hedge-ratio result restricted to some pairs (for ``HedgeRatioFilter.from_result``)."""
    return HedgeRatioResult(result.beta[:, columns], result.alpha[:, columns], result.state_cov[:, columns],
                            result.innovation[:, columns], result.innovation_var[:, columns])
