"""Fit the Kalman pair strategy: test every candidate pair, write the traded pairs' parameters.

Usage::

    .venv/bin/python tools/kalman_fit.py --data-folder ../shared/lean-data
        [--tickers SPY,QQQ,...] [--fit-start 2012-01-03] [--formation-end 2014-12-31]
        [--validation-end 2015-12-31] [--sims 200] [--storage storage] [--json report.json]

Adjusted daily closes (LEAN's factor files applied) of the tickers that trade on at least 95% of
the days of the fitting windows; every ordered pair goes through ``shared.kalman_pair_fit``
(Engle-Granger on the formation window, the out-of-sample half-life, the spread model's EM fit beside
the random-walk band). Prints one line per candidate, traded or not, and saves the traded pairs'
parameters to the object store under ``kalman_mean_reversion/params.json``, where
``algorithms/kalman_mean_reversion`` reads them (an empty ``pairs`` when none qualifies).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Library"))

from lean_local.data import formats  # noqa: E402
from lean_local.object_store import ObjectStore  # noqa: E402
from shared.kalman_pair_fit import fit_pairs  # noqa: E402

PARAMS_KEY = "kalman_mean_reversion/params.json"
#: LEAN's sample equities with daily data over 2012..2021 (GOOGL starts in 2014; FOXA, NWSA and the
#: GOOG share-class files hold a few days only).
DEFAULT_TICKERS = "SPY,QQQ,IWM,EEM,BNO,USO,AAPL,AIG,BAC,IBM,WM,GOOG,FB"
MIN_COVERAGE = 0.95


def adjusted_closes(data_folder: str | Path, tickers: list[str], start: str, end: str) -> pd.DataFrame:
    """Split- and dividend-adjusted closes (LEAN's factor files) of ``tickers`` from ``start`` to ``end``."""
    closes = {}
    for ticker in tickers:
        bars = formats.read_equity_daily(formats.equity_daily_path(data_folder, ticker))
        factor_path = formats.factor_file_path(data_folder, ticker)
        factors = formats.read_factor_file(factor_path) if factor_path.exists() else None
        closes[ticker] = bars["close"] * formats.adjustment_factors(factors, bars.index)
    return pd.concat(closes, axis=1).loc[start:end]


def covered(closes: pd.DataFrame) -> tuple[list[str], dict[str, float]]:
    """Tickers with a close on at least ``MIN_COVERAGE`` of the days any ticker traded, and every share."""
    share = closes.notna().mean()
    return [t for t in closes if share[t] >= MIN_COVERAGE], {t: float(share[t]) for t in closes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", default="../shared/lean-data")
    parser.add_argument("--tickers", default=DEFAULT_TICKERS)
    parser.add_argument("--fit-start", default="2012-01-03")
    parser.add_argument("--formation-end", default="2014-12-31")
    parser.add_argument("--validation-end", default="2015-12-31", help="the backtest starts after this day")
    parser.add_argument("--sims", type=int, default=200, help="random-walk pairs simulated for the band")
    parser.add_argument("--storage", default=str(ROOT / "storage"), help="object store folder")
    parser.add_argument("--json", help="also write the full table and band to this file")
    args = parser.parse_args(argv)
    try:
        closes = adjusted_closes(args.data_folder, [t.strip().upper() for t in args.tickers.split(",")],
                                 args.fit_start, args.validation_end)
    except (formats.DataFormatError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    tickers, share = covered(closes)
    for ticker in closes:
        if ticker not in tickers:
            print(f"{ticker}: left out, a close on {share[ticker]:.0%} of the days (needs {MIN_COVERAGE:.0%})")
    report = fit_pairs(closes[tickers], args.fit_start, args.formation_end, args.validation_end, n_sims=args.sims)
    table = report.table
    window = report.parameters
    print(f"formation {window['fit_start']} .. {window['formation_end']}, validation to {window['validation_end']}; "
          f"{int(table['traded'].sum())} of {len(table)} ordered pairs traded")
    band = ", ".join(f"{name} {low:.4g} .. {high:.4g}" for name, (low, high) in report.band.items())
    print(f"random-walk band (5%..95% of {args.sims} simulated pairs): {band}")
    columns = ["pair", "eg_pvalue", "half_life_validation", "phi", "half_life", "spread_gain", "fair_gain",
               "implied_acf1", "sample_acf1", "acf1_se", "reason"]
    with pd.option_context("display.max_colwidth", 80, "display.width", 250):
        print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    ObjectStore(args.storage).save(PARAMS_KEY, json.dumps(report.parameters, indent=2))
    print(f"saved {len(report.parameters['pairs'])} pair(s) to {PARAMS_KEY} in {args.storage}")
    if args.json:
        Path(args.json).write_text(json.dumps({"band": report.band, "table": table.to_dict("records")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
