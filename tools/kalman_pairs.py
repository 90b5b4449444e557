"""Every candidate pair of LEAN's sample ETFs through the Kalman strategy's pair screen.

Usage::

    .venv/bin/python tools/kalman_pairs.py --data-folder ../shared/lean-data \\
        [--tickers SPY,QQQ,IWM,EEM,BNO,USO] [--formation-end 2015-12-31] [--start 2010-06-01]

Adjusted daily closes (factor files applied), the Engle-Granger test on the formation window and
the spread's half-life after it (``shared.cointegration``); prints every ordered pair, kept or not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Library"))

from lean_local.data import formats  # noqa: E402
from shared.cointegration import screen_pairs  # noqa: E402


def adjusted_closes(data_folder: str, tickers: list[str], start: str) -> pd.DataFrame:
    """Split- and dividend-adjusted closes (LEAN's factor files), common dates from ``start``."""
    closes = {}
    for ticker in tickers:
        bars = formats.read_equity_daily(formats.equity_daily_path(data_folder, ticker))
        factor_path = formats.factor_file_path(data_folder, ticker)
        factors = formats.read_factor_file(factor_path) if factor_path.exists() else None
        closes[ticker] = bars["close"] * formats.adjustment_factors(factors, bars.index)
    return pd.concat(closes, axis=1).loc[start:].dropna()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", default="../shared/lean-data")
    parser.add_argument("--tickers", default="SPY,QQQ,IWM,EEM,BNO,USO")
    parser.add_argument("--start", default="2010-06-01", help="first day (every ticker trades from here)")
    parser.add_argument("--formation-end", default="2015-12-31", help="last day of the formation window")
    args = parser.parse_args(argv)
    try:
        prices = adjusted_closes(args.data_folder, args.tickers.split(","), args.start)
    except formats.DataFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    table = screen_pairs(prices, args.formation_end)
    print(f"{prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}, formation to {args.formation_end}; "
          f"{int(table['selected'].sum())} of {len(table)} ordered pairs selected")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
