"""Fit the Kalman pair strategy: test every candidate pair, write the traded pairs' parameters.

Usage::

    .venv/bin/python tools/kalman_fit.py [--data-folder data] [--tickers SPY,QQQ,...]
        [--fit-start 2012-01-03] [--formation-end 2014-12-31] [--validation-end 2015-12-31]
        [--sims 200] [--storage storage] [--json report.json]

The data folder and the object store are the workspace's (lean.json), as for ``lean-local backtest``;
``lean-local data lean-sample`` links LEAN's sample equities into the data folder.

Adjusted daily closes from a ``QuantBook``'s history (``shared.kalman_pair_fit.history_closes``, the
same call as ``research/kalman_mean_reversion.ipynb``: each ticker resolved through LEAN's map files
and adjusted as LEAN adjusts it) of the tickers with a close on at least 95% of the days of the
fitting windows; every ordered pair goes through ``shared.kalman_pair_fit.fit_pairs`` (Engle-Granger
on the formation window, the out-of-sample half-life, the spread model's EM fit beside the
random-walk band). Prints one line per candidate, traded or not, and saves the traded pairs'
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

from lean_local.engine.common import Resolution  # noqa: E402
from lean_local.object_store import ObjectStore  # noqa: E402
from lean_local.research import QuantBook  # noqa: E402
from lean_local.workspace import data_folder, find_workspace, object_store_root  # noqa: E402
from shared.kalman_pair_fit import (  # noqa: E402
    MIN_COVERAGE,
    SAMPLE_TICKERS,
    covered,
    fit_pairs,
    history_closes,
)

PARAMS_KEY = "kalman_mean_reversion/params.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", help="LEAN data folder (default: the workspace's, lean.json)")
    parser.add_argument("--tickers", default=",".join(SAMPLE_TICKERS), help="default: %(default)s")
    parser.add_argument("--fit-start", default="2012-01-03")
    parser.add_argument("--formation-end", default="2014-12-31")
    parser.add_argument("--validation-end", default="2015-12-31", help="the backtest starts after this day")
    parser.add_argument("--sims", type=int, default=200, help="random-walk pairs simulated for the band")
    parser.add_argument("--storage", default=str(object_store_root(find_workspace(ROOT), ROOT)),
                        help="object store folder (default: the workspace's, %(default)s)")
    parser.add_argument("--json", help="also write the full table and band to this file")
    args = parser.parse_args(argv)
    folder = data_folder(ROOT, args.data_folder, reading=True)
    if not folder.is_dir():
        print(f"error: the data folder {folder} does not exist", file=sys.stderr)
        return 2
    closes = history_closes(QuantBook(data_folder=folder), [t.strip().upper() for t in args.tickers.split(",")],
                            args.fit_start, args.validation_end, Resolution.DAILY)
    tickers, share = covered(closes)
    if len(tickers) < 2:
        print(f"error: {len(tickers)} ticker(s) with a close on {MIN_COVERAGE:.0%} of the days in {folder}, 2 needed "
              f"(the warnings above name the missing files; lean-local data lean-sample links LEAN's sample "
              "equities into the data folder)", file=sys.stderr)
        return 2
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
