"""zipline-reloaded runs one of the benchmark's strategies on the panel; prints one JSON line.

Run by ``benchmarks/bench_runtime.py`` with the interpreter of ``benchmarks/peers/.venv-zipline``
(``make bench-peers``). The panel is ingested once into a bundle (zipline's own bcolz/SQLite store) in a
temporary ``ZIPLINE_ROOT``; that is ``setup_seconds``. ``seconds`` is ``run_algorithm`` alone, with
zipline's default commission (``PerShare``) and slippage (``VolumeShareSlippage``) models, the rebalance
scheduled on ``date_rules.month_start()`` at the open (daily mode: orders fill on the next bar).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import CASH, WEIGHT_TOTAL, arguments, read_panel  # noqa: E402

BUNDLE = "lean-local-bench"


def ingest_panel(panel: dict[str, np.ndarray]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Register and ingest the panel as the bundle ``BUNDLE``; returns the first and last session."""
    from zipline.data import bundles

    dates = pd.DatetimeIndex(panel["dates"].astype("datetime64[ns]"))
    tickers = [str(t) for t in panel["tickers"]]
    first, last = dates[0], dates[-1]

    def ingest(environ, asset_db_writer, minute_bar_writer, daily_bar_writer, adjustment_writer, calendar,
               start_session, end_session, cache, show_progress, output_dir):
        sessions = calendar.sessions_in_range(first, last)
        if not sessions.equals(dates):
            extra, missing = dates.difference(sessions), sessions.difference(dates)
            raise SystemExit(f"the panel's days differ from zipline's XNYS sessions: {len(extra)} extra "
                             f"({list(extra[:3].date)}), {len(missing)} missing ({list(missing[:3].date)})")
        equities = pd.DataFrame({"symbol": tickers, "asset_name": tickers, "start_date": first, "end_date": last,
                                 "first_traded": first, "auto_close_date": last + pd.Timedelta(days=1),
                                 "exchange": "NYSE"})
        exchanges = pd.DataFrame({"exchange": ["NYSE"], "canonical_name": ["NYSE"], "country_code": ["US"]})
        asset_db_writer.write(equities=equities, exchanges=exchanges)

        def frames():
            for sid in range(len(tickers)):
                yield sid, pd.DataFrame({name: panel[name][:, sid] for name in ("open", "high", "low", "close", "volume")},
                                        index=dates)

        daily_bar_writer.write(frames(), show_progress=False)
        adjustment_writer.write()

    bundles.register(BUNDLE, ingest, calendar_name="XNYS", start_session=first, end_session=last)
    bundles.ingest(BUNDLE, environ=os.environ, show_progress=False)
    return first, last


def main() -> None:
    args = arguments(__doc__)
    panel = read_panel(args.panel)
    with tempfile.TemporaryDirectory() as root:
        os.environ["ZIPLINE_ROOT"] = root
        import zipline
        from zipline import run_algorithm
        from zipline.api import date_rules, order_target_percent, schedule_function, symbol, time_rules

        began = time.perf_counter()
        first, last = ingest_panel(panel)
        setup_seconds = time.perf_counter() - began
        tickers = [str(t) for t in panel["tickers"]]
        state = {"points": 0, "orders": 0, "bought": False}

        def initialize(context):
            context.assets = [symbol(t) for t in tickers]
            if args.strategy == "rebalance":
                schedule_function(rebalance, date_rules.month_start(), time_rules.market_open())

        def rebalance(context, data):
            weight = WEIGHT_TOTAL / len(context.assets)
            for asset in context.assets:
                if order_target_percent(asset, weight) is not None:
                    state["orders"] += 1

        def handle_data(context, data):
            state["points"] += len(context.assets)
            if args.strategy == "buy-and-hold" and not state["bought"]:
                state["bought"] = True
                rebalance(context, data)

        began, cpu = time.perf_counter(), time.process_time()
        run_algorithm(start=first, end=last, initialize=initialize, handle_data=handle_data, capital_base=CASH,
                      data_frequency="daily", bundle=BUNDLE,
                      benchmark_returns=pd.Series(0.0, index=pd.DatetimeIndex(panel["dates"].astype("datetime64[ns]"),
                                                                              tz="UTC")))
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(json.dumps({"points": state["points"], "seconds": seconds, "cpu_seconds": cpu, "setup_seconds": setup_seconds,
                      "orders": state["orders"], "version": zipline.__version__}))


if __name__ == "__main__":
    main()
