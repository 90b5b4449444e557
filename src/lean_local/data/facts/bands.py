"""The real-equity bands each fact is judged against, the text table and the JSON file."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from lean_local.atomic import atomic_write

#: Bands measured on real US equities (issue 15) that the calibrated synthetic market must fall in;
#: ``None`` leaves a side open. Dollar volumes are within 50% of the 2014-03-24 coarse file
#: ($427 M at rank 100, $208 M at rank 250).
REAL_EQUITY_BANDS: dict[str, tuple[float | None, float | None]] = {
    "excess_kurtosis": (6.0, 15.0),
    "return_autocorrelation_1": (-0.05, 0.0),
    "abs_return_autocorrelation_1": (0.2, None),
    "abs_return_autocorrelation_20": (0.1, None),
    "market_r_squared": (0.25, 0.45),
    "mean_pairwise_correlation": (0.25, 0.40),
    "log_volume_autocorrelation_1": (0.4, 0.8),
    "log_volume_autocorrelation_20": (0.4, None),
    "reversal_ic": (-0.02, -0.005),
    "decile_spread": (None, 0.004),
    "dollar_volume_rank_100": (427e6 * 0.5, 427e6 * 1.5),
    "dollar_volume_rank_250": (208e6 * 0.5, 208e6 * 1.5),
    "listed_names_min": (3000.0, None),
}



def band_verdict(name: str, value: float) -> str:
    """``in``, ``below`` or ``above`` the real-equity band of ``name``; ``''`` without a band or value."""
    band = REAL_EQUITY_BANDS.get(name)
    if band is None or not np.isfinite(value):
        return ""
    low, high = band
    if low is not None and value < low:
        return "below"
    if high is not None and value > high:
        return "above"
    return "in"


_LABELS = (
    ("excess_kurtosis", "excess kurtosis of daily log returns (median)", "{:.2f}"),
    ("return_autocorrelation_1", "return autocorrelation, lag 1 (median)", "{:+.4f}"),
    ("abs_return_autocorrelation_1", "|return| autocorrelation, lag 1 (median)", "{:.3f}"),
    ("abs_return_autocorrelation_20", "|return| autocorrelation, lag 20 (median)", "{:.3f}"),
    ("market_r_squared", "R-squared against the market (median)", "{:.3f}"),
    ("mean_pairwise_correlation", "mean pairwise return correlation", "{:.3f}"),
    ("log_volume_autocorrelation_1", "log-volume autocorrelation, lag 1 (median)", "{:.3f}"),
    ("log_volume_autocorrelation_20", "log-volume autocorrelation, lag 20 (median)", "{:.3f}"),
    ("reversal_ic", "rank IC, 3-day return -> open t+1..t+7 return", "{:+.4f}"),
    ("reversal_ic_t", "  its t (Newey-West, 6 lags)", "{:+.1f}"),
    ("decile_spread", "decile spread, bottom - top, per 6 days", "{:+.3%}"),
    ("decile_spread_t", "  its t (Newey-West, 6 lags)", "{:+.1f}"),
    ("dollar_volume_rank_100", "dollar volume at rank 100 (median day)", "${:,.0f}"),
    ("dollar_volume_rank_250", "dollar volume at rank 250 (median day)", "${:,.0f}"),
    ("dollar_volume_rank_500", "dollar volume at rank 500 (median day)", "${:,.0f}"),
    ("listed_names_median", "listed names per day, median", "{:,.0f}"),
    ("listed_names_min", "listed names per day, min", "{:,.0f}"),
    ("listed_names_max", "listed names per day, max", "{:,.0f}"),
    ("coarse_dollar_volume_rank_100", "coarse files: dollar volume at rank 100", "${:,.0f}"),
    ("coarse_dollar_volume_rank_250", "coarse files: dollar volume at rank 250", "${:,.0f}"),
    ("coarse_dollar_volume_rank_500", "coarse files: dollar volume at rank 500", "${:,.0f}"),
    ("coarse_names_median", "coarse files: names per file, median", "{:,.0f}"),
)


def format_table(facts: dict[str, Any]) -> str:
    """The facts as a text table with each real-equity band and whether the value is in it."""
    head = (f"{facts['n_securities']} securities, {facts['n_dates']} dates {facts['first_date']}.."
            f"{facts['last_date']}, market: {facts['market']}, {facts['ic_dates']} dates with an IC")
    rows = [("fact", "value", "real-equity band", "")]
    for key, label, fmt in _LABELS:
        if key not in facts:
            continue
        value = facts[key]
        text = "n/a" if value is None or not np.isfinite(value) else fmt.format(value)
        low, high = REAL_EQUITY_BANDS.get(key, (None, None))
        band = "" if (low, high) == (None, None) else (
            f"{_short(low) if low is not None else ''}..{_short(high) if high is not None else ''}")
        rows.append((label, text, band, band_verdict(key, value) if value is not None else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [head, ""] + ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def _short(x: float) -> str:
    return f"{x / 1e6:,.0f}M" if abs(x) >= 1e6 else f"{x:g}"


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in facts.items()}


def write_facts_json(path: str | os.PathLike[str], facts: dict[str, Any]) -> None:
    """Write the facts as JSON atomically (NaN becomes null)."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(facts), indent=2, sort_keys=True) + "\n", encoding="utf-8")

