"""nautilus_trader runs one of the benchmark's strategies on the panel; prints one JSON line.

Run by ``benchmarks/bench_runtime.py`` with the interpreter of ``benchmarks/peers/.venv-nautilus``
(``make bench-peers``). Each stock is an ``Equity`` on one simulated venue (netting, cash account, the
default fill and fee models); its bars become ``Bar`` objects through ``BarDataWrangler`` and are added to
a ``BacktestEngine`` once: that is ``setup_seconds``. ``seconds`` is ``engine.run()`` alone. The strategy
sees every bar in ``on_bar``; when the last stock's bar of a day arrives on a month's first trading day
(``rebalance``) or on the first day (``buy-and-hold``), it sizes each stock to the target weight of the
account's value at the day's closes and submits market orders for the differences, sells first.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import CASH, WEIGHT_TOTAL, arguments, read_panel  # noqa: E402

#: Bars are stamped at 16:00 New York in winter (the date's close; only the order of days matters here).
CLOSE_UTC = pd.Timedelta(hours=21)


def main() -> None:
    import nautilus_trader
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
    from nautilus_trader.model.instruments import Equity
    from nautilus_trader.model.objects import Money, Price, Quantity
    from nautilus_trader.persistence.wranglers import BarDataWrangler
    from nautilus_trader.trading.strategy import Strategy

    args = arguments(__doc__)
    panel = read_panel(args.panel)
    tickers = [str(t) for t in panel["tickers"]]
    venue = Venue("XNYS")

    class EqualWeight(Strategy):
        def __init__(self, bar_types: list, instruments: list) -> None:
            super().__init__()
            self.bar_types = bar_types
            self.ids = [instrument.id for instrument in instruments]
            self.closes: dict = {}
            self.points = 0
            self.orders = 0
            self.seen_today = 0
            self.month: int | None = None

        def on_start(self) -> None:
            for bar_type in self.bar_types:
                self.subscribe_bars(bar_type)

        def on_bar(self, bar) -> None:
            self.points += 1
            self.closes[bar.bar_type.instrument_id] = bar.close.as_double()
            self.seen_today += 1
            if self.seen_today < len(self.ids):
                return
            self.seen_today = 0
            month = pd.Timestamp(bar.ts_event, unit="ns").month
            if month == self.month or (args.strategy == "buy-and-hold" and self.month is not None):
                return
            self.month = month
            self.rebalance()

        def rebalance(self) -> None:
            positions = {iid: float(self.portfolio.net_position(iid)) for iid in self.ids}
            equity = self.portfolio.account(venue).balance_total(USD).as_double()
            equity += sum(positions[iid] * self.closes[iid] for iid in self.ids)
            weight = WEIGHT_TOTAL / len(self.ids)
            deltas = {iid: int(weight * equity / self.closes[iid]) - int(positions[iid]) for iid in self.ids}
            for iid in sorted(self.ids, key=lambda i: deltas[i]):  # sells first, as LEAN orders reductions first
                delta = deltas[iid]
                if delta == 0:
                    continue
                side = OrderSide.BUY if delta > 0 else OrderSide.SELL
                self.submit_order(self.order_factory.market(iid, side, Quantity.from_int(abs(delta))))
                self.orders += 1

    began = time.perf_counter()
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(venue=venue, oms_type=OmsType.NETTING, account_type=AccountType.CASH, base_currency=USD,
                     starting_balances=[Money(CASH, USD)])
    stamps = pd.DatetimeIndex(panel["dates"].astype("datetime64[ns]")) + CLOSE_UTC
    instruments, bar_types, bars = [], [], []
    for column, ticker in enumerate(tickers):
        instrument = Equity(instrument_id=InstrumentId(Symbol(ticker), venue), raw_symbol=Symbol(ticker), currency=USD,
                            price_precision=4, price_increment=Price.from_str("0.0001"),
                            lot_size=Quantity.from_int(1), ts_event=0, ts_init=0)
        engine.add_instrument(instrument)
        bar_type = BarType.from_str(f"{ticker}.{venue}-1-DAY-LAST-EXTERNAL")
        frame = pd.DataFrame({name: panel[name][:, column] for name in ("open", "high", "low", "close", "volume")},
                             index=pd.Index(stamps, name="timestamp"))
        bars.extend(BarDataWrangler(bar_type, instrument).process(frame))
        instruments.append(instrument)
        bar_types.append(bar_type)
    engine.add_data(bars)
    strategy = EqualWeight(bar_types, instruments)
    engine.add_strategy(strategy)
    setup_seconds = time.perf_counter() - began

    began, cpu = time.perf_counter(), time.process_time()
    engine.run()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    denied = sum(1 for order in engine.cache.orders() if order.is_closed and not order.filled_qty)
    result = {"points": strategy.points, "seconds": seconds, "cpu_seconds": cpu, "setup_seconds": setup_seconds, "orders": strategy.orders,
              "unfilled": denied, "version": nautilus_trader.__version__,
              "final_value": float(np.round(engine.portfolio.account(venue).balance_total(USD).as_double()
                                            + sum(float(engine.portfolio.net_position(i.id)) * strategy.closes[i.id]
                                                  for i in instruments), 2))}
    engine.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
