"""The FX factors' evidence table: month-clustered t-values and a random-walk bootstrap null.

Usage (after ``lean-local data ecb-fx``)::

    .venv/bin/python tools/fx_evidence.py --data-folder data [--boot 999] [--seed 0] [--output FILE.json]

Fits the pooled reversal/momentum regression on the tutorial's window (month ends January 2004 to
May 2013) under both outlier screens and both standardisations (``shared.fx_evidence``) and
prints one row per factor and specification.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Library"))

from lean_local.data import formats  # noqa: E402
from shared.fx_evidence import evidence_table  # noqa: E402
from shared.fx_factors import month_end_log_prices  # noqa: E402

PAIRS = ("EURUSD", "GBPUSD", "USDCAD", "USDJPY")


def month_end_prices(data_folder: str, start: str, end: str) -> pd.DataFrame:
    """Month-end log mid prices of the four pairs from a LEAN data folder's forex daily zips."""
    closes = {}
    for pair in PAIRS:
        bars = formats.read_forex_daily(formats.forex_daily_path(data_folder, pair))
        closes[pair] = (bars["bid_close"] + bars["ask_close"]) / 2
    prices = pd.concat(closes, axis=1).loc[start:end]
    return month_end_log_prices(prices, as_of=pd.Timestamp(end) + pd.Timedelta(days=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", default="data", help="LEAN data folder holding forex/oanda/daily")
    parser.add_argument("--start", default="2004-01-01", help="first day of the fit window")
    parser.add_argument("--end", default="2013-05-31", help="last day of the fit window")
    parser.add_argument("--boot", type=int, default=999, help="bootstrap replicates (default 999)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="also write the table as JSON here")
    args = parser.parse_args(argv)
    try:
        x = month_end_prices(args.data_folder, args.start, args.end)
    except formats.DataFormatError as error:
        print(f"error: {error} (run: lean-local data ecb-fx --data-folder {args.data_folder})", file=sys.stderr)
        return 1
    table = evidence_table(x, n_boot=args.boot, seed=args.seed)
    print(f"month ends {x.index[0]:%Y-%m} to {x.index[-1]:%Y-%m}, {args.boot} bootstrap replicates, seed {args.seed}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.output:
        with formats.atomic_write(args.output) as tmp:
            tmp.write_text(json.dumps(table.to_dict(orient="records"), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
