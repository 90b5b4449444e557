"""Runs through the paths the benchmarks do not take, of the orders held as columns until read
(``placed_orders``, ``order_batches``) and of the samples summed later from the portfolio's book
(``portfolio_samples``, ``portfolio_book``): orders and tickets read between submission and fill,
cancelled, updated, an ``on_order_event`` handler set and removed mid-run, batches half filled (bars
missing), duplicate targets, two batches a step, custom fee and slippage models, short books, cash
deposits and withdrawals, leverage changes, margin warnings, margin calls while a batch is held (hour
bars), a multi-currency book, and seeded random actions (batches, reads, cancels, updates, market orders,
cash, leverage, securities added and removed, liquidations; a handler in one). A batch is held as columns from ``step_orders.MIN_BATCH`` (8) orders: the
algorithms trade eleven equities.

Each run's algorithm logs, orders, fills, equity and holdings samples are the tree's before those
paths were lazy (main 678b127, where every order was built at once and every sample summed at its
step): the digests and figures below are that tree's, run on LEAN's sample data.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from lean_local.backtest import run_backtest
from lean_local.engine.runner import AlgorithmRuntimeError

#: eleven of LEAN's sample equities: set_holdings over them places a batch (``step_orders.MIN_BATCH`` orders or more)
HEADER = ('from AlgorithmImports import *\n\nTICKERS = ["SPY", "AAPL", "IBM", "BAC", "AIG", "BNO", "EEM", "IWM", "QQQ", '
          '"USO", "WM"]\n\n\n')

BATCH_READS = HEADER + '''
class BatchReads(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
        self.n = 0
        self.tickets = []

    def show(self, where):
        opens = self.transactions.get_open_orders()
        self.log(f"{where} open={[(o.id, str(o.symbol), o.quantity, int(o.status)) for o in opens]}")
        for t in self.tickets[-6:]:
            self.log(f"  t{t.order_id} {t.status} q={t.quantity} f={t.quantity_filled} r={t.quantity_remaining} "
                     f"p={t.average_fill_price} ev={[(int(e.status), e.fill_quantity) for e in t.order_events]}")
        self.log(f"  count={self.transactions.orders_count} cash={self.portfolio.cash:.4f} "
                 f"tpv={self.portfolio.total_portfolio_value:.4f}")

    def on_data(self, data):
        self.n += 1
        k = self.n % 20
        if k == 1:
            w = [0.3, 0.2, 0.2, 0.15, 0.1] if (self.n // 20) % 2 else [0.1, 0.25, 0.25, 0.2, 0.15]
            ts = self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, [v / 2.2 for v in w * 3])])
            self.tickets += ts or []
            if self.n == 21:
                self.show("after-sh")
            if self.n == 41:
                self.tickets.append(self.market_order(self.syms[3], 10))
            if self.n == 61 and ts:
                ts[1].cancel("cxl")
                self.show("after-cancel")
            if self.n == 81 and ts:
                ts[2].update_quantity(ts[2].quantity + 5)
                self.show("after-update")
            if self.n == 101:
                self.log(str([(o.id, int(o.status)) for o in self.transactions.get_orders(lambda o: o.quantity > 0)]))
            if self.n == 121:
                self.log(str(self.transactions.get_open_orders(self.syms[0])))
            if self.n == 141:
                self.log(str(self.transactions.get_order_by_id(self.transactions.orders_count)))
            if self.n == 161:
                self.transactions.cancel_open_orders()
        elif k == 2 and (self.n < 80 or self.n == 102):
            self.show("next")
        if self.n == 200:
            self.liquidate()
            self.show("liq")
        if self.n == 210:
            self.set_holdings(self.syms[1], 0.5)
            self.set_holdings([PortfolioTarget(self.syms[0], 0.4)])
            self.show("mix")

    def on_end_of_algorithm(self):
        self.show("end")
'''

BATCH_GAPS = HEADER + '''
class BatchGaps(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
        self.n = 0

    def on_data(self, data):
        self.n += 1
        if self.n % 3 == 1:
            w = [0.3, 0.2, 0.2, 0.15, 0.1] if (self.n // 3) % 2 else [0.1, 0.25, 0.25, 0.2, 0.15]
            self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, [v / 2.2 for v in w * 3])])
'''

MID_HANDLER = HEADER + '''
class MidHandler(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 7, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
        self.n = 0

    def handler(self, e):
        self.log(f"h {e.order_id} {int(e.status)} {e.fill_quantity}")

    def on_data(self, data):
        self.n += 1
        w = [0.3, 0.2, 0.2, 0.15, 0.1] if self.n % 2 else [0.1, 0.25, 0.25, 0.2, 0.15]
        if self.n % 5 == 1:
            self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, [v / 2.2 for v in w * 3])])
            if self.n == 11:
                self.on_order_event = self.handler
            if self.n == 21:
                del self.on_order_event
            if self.n == 31:
                self.liquidate()
            if self.n == 41:
                self.liquidate(self.syms[1])
            if self.n == 51:
                self.remove_security(self.syms[4])
            if self.n == 61:
                self.set_holdings(self.syms[0], 0.05)
        if self.n == 56:
            self.add_equity("AIG", Resolution.DAILY)
'''

DUPLICATES = HEADER + '''
class Duplicates(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 5, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
        self.n = 0

    def on_data(self, data):
        self.n += 1
        k, s = self.n % 25, self.syms
        if k == 1:
            self.set_holdings([PortfolioTarget(s[0], 0.3), PortfolioTarget(s[1], 0.2), PortfolioTarget(s[0], 0.1)])
        elif k == 3:
            self.set_holdings([PortfolioTarget(x, 0.08) for x in s])
            self.set_holdings([PortfolioTarget(x, 0.07) for x in s[::-1]])
        elif k == 5:
            self.market_order(s[2], 3)
            self.set_holdings([PortfolioTarget(x, 0.085) for x in s])
        elif k == 9:
            self.set_holdings([PortfolioTarget(x, w) for x, w in zip(s, [0.0, 0.5, 0.0, 0.3, 0.0])])
        elif k == 13:
            self.set_holdings([PortfolioTarget(x, 0.07) for x in s], tag="tagged")
            self.limit_order(s[1], 10, self.securities[s[1]].price * 0.5)
        elif k == 15:
            self.set_holdings([PortfolioTarget(x, 0.09) for x in s])
            self.log(f"{self.n} {self.transactions.get_open_orders_remaining_quantity(s[1])} "
                     f"{self.transactions.orders_count}")
        elif k == 17:
            self.securities[s[3]].set_fee_model(ConstantFeeModel(2.5))
            self.set_holdings([PortfolioTarget(x, 0.06) for x in s])
        elif k == 19:
            self.securities[s[3]].set_fee_model(InteractiveBrokersFeeModel())
            self.securities[s[0]].set_slippage_model(ConstantSlippageModel(0.001))
            self.set_holdings([PortfolioTarget(x, 0.09) for x in s])
        elif k == 21:
            self.securities[s[0]].set_slippage_model(NullSlippageModel())
            self.set_holdings([PortfolioTarget(x, 0.3) for x in s[:3]], liquidate_existing_holdings=True)
        elif k == 23:
            ts = self.set_holdings([PortfolioTarget(x, 0.075) for x in s])
            self.log(f"{self.n} {[repr(t) for t in ts][:2]} {self.transactions.get_order_tickets()[-1].order_id}")
'''

SHORTS_AND_CASH = HEADER + '''
WEIGHTS = [v / 2.2 for v in [0.6, -0.5, 0.4, -0.3, 0.35] * 3]


class ShortsAndCash(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.secs = [self.add_equity(t, Resolution.DAILY, leverage=2) for t in TICKERS]
        self.syms = [s.symbol for s in self.secs]
        self.n = 0

    def on_margin_call_warning(self):
        self.log("margin warning")

    def on_data(self, data):
        self.n += 1
        if self.n % 10 == 1:
            sign = -1 if (self.n // 10) % 2 else 1
            self.set_holdings([PortfolioTarget(s, sign * x) for s, x in zip(self.syms, WEIGHTS)])
        if self.n == 25:
            self.portfolio.set_cash(self.portfolio.cash + 25000)
        if self.n == 55:
            self.portfolio.cash_book["USD"].add_amount(-30000)
        if self.n == 70:
            self.secs[1].set_leverage(4)
            self.set_holdings(self.syms[1], -2.5)
        if self.n == 90:
            self.secs[1].set_leverage(1)
        if self.n == 120:
            self.portfolio.cash_book["USD"].add_amount(-150000)
        if self.n % 7 == 0:
            p = self.portfolio
            self.log(f"{self.n} tpv={p.total_portfolio_value:.4f} mu={p.total_margin_used:.4f} "
                     f"mr={p.margin_remaining:.4f} hv={p.total_holdings_value:.4f}")
'''

FOREX_BOOK = HEADER + '''
class ForexBook(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.set_cash("EUR", 5000)
        self.pairs = [self.add_forex(t, Resolution.DAILY, Market.OANDA, leverage=20).symbol
                      for t in ["EURUSD", "GBPUSD", "EURGBP", "NZDUSD"]]
        self.add_equity("SPY", Resolution.DAILY)
        self.n = 0

    def on_data(self, data):
        self.n += 1
        if self.n % 12 == 1:
            sign = -1 if (self.n // 12) % 2 else 1
            self.set_holdings([PortfolioTarget(s, sign * x) for s, x in zip(self.pairs, [2.0, -1.5, 1.0, -0.5])])
            self.set_holdings("SPY", 0.3)
        if self.n == 40:
            self.portfolio.cash_book["EUR"].add_amount(1000)
        if self.n == 80:
            self.set_cash("GBP", 2000)
        if self.n % 9 == 0:
            p = self.portfolio
            self.log(f"{self.n} tpv={p.total_portfolio_value:.4f} mu={p.total_margin_used:.4f} "
                     f"cb={[(c, round(v.amount, 4)) for c, v in p.cash_book.items()]}")
'''


HELD_AT_THE_END = HEADER + '''
class HeldAtTheEnd(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 6, 30)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
        self.n = 0

    def on_data(self, data):
        self.n += 1
        if self.n % 4 == 1:
            weights = [0.3, 0.4, 0.2] if self.n % 8 == 1 else [0.2, 0.2, 0.5]
            self.set_holdings([PortfolioTarget(s, x / 2.2) for s, x in zip(self.syms, weights * 4)])
        if self.n == 41:
            STOP
'''


HOUR_MARGIN_CALLS = HEADER + '''
class HourMargin(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 3, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.HOUR, leverage=4).symbol for t in TICKERS[:5]]
        self.syms += [self.add_equity(t, Resolution.DAILY, leverage=4).symbol for t in TICKERS[5:10]]
        self.n = 0
        self.schedule.on(self.date_rules.every_day("SPY"), self.time_rules.at(16, 5), self.after_close)
        self.schedule.on(self.date_rules.every_day("SPY"), self.time_rules.at(9, 0), self.pre_open)

    def on_margin_call(self, requests):
        self.log(f"margin call {[(str(r.symbol), r.quantity) for r in requests]} "
                 f"open={len(self.transactions.get_open_orders())}")
        return requests

    def on_margin_call_warning(self):
        self.log("warning")

    def after_close(self):
        self.n += 1
        w = [0.5, 0.4, 0.4, 0.3, 0.25, 0.3, 0.3, 0.2, 0.2, 0.2] if self.n % 2 \\
            else [0.25, 0.5, 0.45, 0.4, 0.3, 0.2, 0.3, 0.3, 0.2, 0.2]
        self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, w)])

    def pre_open(self):
        if self.n >= 1 and self.n % 5 == 0:
            self.portfolio.cash_book["USD"].add_amount(-15000)
            self.log(f"pre {self.portfolio.total_portfolio_value:.4f} {self.portfolio.margin_remaining:.4f}")
'''


RANDOM_ACTIONS = HEADER + '''
import random


class RandomActions(QCAlgorithm):
    def initialize(self):
        seed = SEED
        self.rng = random.Random(seed)
        self.set_start_date(2013, 6, 1 + seed % 20)
        self.set_end_date(2014, 9, 30)
        self.set_cash(100000)
        self.all = ["SPY", "AAPL", "IBM", "BAC", "AIG", "QQQ", "IWM", "EEM", "GOOG", "WM", "BNO", "USO", "NWSA",
                    "FOXA", "UW", "WMI", "GOOGL"]
        self.long_only = seed % 2 == 0
        self.syms = [self.add_equity(t, Resolution.DAILY, leverage=self.rng.choice([1, 2, 4])).symbol
                     for t in self.all[:10]]
        self.tickets = []
        if seed % 6 == 3:
            self.on_order_event = lambda e: self.log(f"ev {e.order_id} {int(e.status)} {e.fill_quantity}")

    def on_data(self, data):
        r = self.rng
        x = r.random()
        live = [s for s in self.syms if self.securities[s].price > 0]
        if x < 0.25 and live:
            if self.long_only:
                chosen = live if r.random() < 0.7 else r.sample(live, r.randint(1, len(live)))
                targets = [PortfolioTarget(s, r.uniform(0.0, 1.6) / len(live)) for s in chosen]
            else:
                targets = [PortfolioTarget(s, r.uniform(-0.5, 0.6) / 3) for s in r.sample(live, r.randint(1, len(live)))]
            ts = self.set_holdings(targets, liquidate_existing_holdings=r.random() < 0.2)
            self.tickets += ts or []
            y = r.random()
            if y < 0.15 and ts:
                t = r.choice(ts)
                self.log(f"read {t.order_id} {int(t.status)} {t.quantity_filled} {len(t.order_events)}")
            elif y < 0.25 and ts:
                r.choice(ts).cancel()
            elif y < 0.3 and ts:
                t = r.choice(ts)
                t.update_quantity(t.quantity + r.randint(-3, 3) or 1)
            elif y < 0.4:
                self.market_order(r.choice(live), r.randint(-20, 20) or 1)
            elif y < 0.45:
                self.log(f"open {[(o.id, int(o.status)) for o in self.transactions.get_open_orders()]}")
            elif y < 0.5:
                self.log(f"count {self.transactions.orders_count} {len(self.transactions.get_orders())}")
        elif x < 0.28:
            self.portfolio.cash_book["USD"].add_amount(r.uniform(-20000, 20000))
        elif x < 0.30:
            self.portfolio.set_cash(self.portfolio.cash + r.uniform(-5000, 5000))
        elif x < 0.32 and live:
            self.securities[r.choice(live)].set_leverage(r.choice([1, 1.5, 2, 3]))
        elif x < 0.34 and len(self.syms) < len(self.all):
            t = r.choice([a for a in self.all if a not in [str(s) for s in self.syms]])
            self.syms.append(self.add_equity(t, Resolution.DAILY).symbol)
        elif x < 0.35 and len(self.syms) > 2:
            s = self.syms.pop(r.randrange(len(self.syms)))
            self.remove_security(s)
        elif x < 0.37:
            self.liquidate()
        elif x < 0.38 and self.tickets:
            t = r.choice(self.tickets)
            self.log(f"old {t.order_id} {int(t.status)} {t.quantity_filled} {t.average_fill_price}")
        if r.random() < 0.05:
            p = self.portfolio
            self.log(f"pv {p.total_portfolio_value:.6f} {p.total_margin_used:.6f} {p.cash:.6f}")
'''


def _run(tmp_path: Path, source: str, data_folder: Path) -> tuple[dict[str, str], str, list[str]]:
    """Run ``source`` as a project: its statistics, the digest of its logs, orders, fills, equity and
    holdings samples, and its logs."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(source)
    (project / "config.json").write_text('{"algorithm-language": "Python", "parameters": {}}')
    result = run_backtest(project, data_folder=data_folder, output_dir=tmp_path / "out", progress=False, quiet=True)
    record = result.record
    digest = hashlib.sha256()
    for part in (record.logs, record.orders.to_csv(), record.fills.to_csv(), record.equity.to_csv(),
                 record.holdings_value_long.to_csv(), record.holdings_value_short.to_csv()):
        digest.update(repr(part).encode())
    return result.statistics, digest.hexdigest(), [line.split(" ", 2)[2] for line in record.logs]


def _gapped_folder(tmp_path: Path, lean_data_folder: Path) -> Path:
    """LEAN's sample data with IBM's bars of 2014-01-30 to 2014-02-07 and of 20 days of May 2014 taken out
    (the market-on-open orders on IBM wait while the others of their batch fill)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for entry in lean_data_folder.iterdir():
        if entry.name != "equity":
            (folder / entry.name).symlink_to(entry)
    usa = folder / "equity" / "usa"
    usa.mkdir(parents=True)
    for entry in (lean_data_folder / "equity" / "usa").iterdir():
        if entry.name != "daily":
            (usa / entry.name).symlink_to(entry)
    (usa / "daily").mkdir()
    for entry in (lean_data_folder / "equity" / "usa" / "daily").iterdir():
        if entry.name != "ibm.zip":
            (usa / "daily" / entry.name).symlink_to(entry)
    with zipfile.ZipFile(lean_data_folder / "equity" / "usa" / "daily" / "ibm.zip") as archive:
        lines = archive.read("ibm.csv").decode().splitlines(keepends=True)
    kept = [line for line in lines if not (line.startswith(("2014013", "2014051", "2014052"))
                                           or "20140203" <= line[:8] <= "20140207")]
    with zipfile.ZipFile(usa / "daily" / "ibm.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ibm.csv", "".join(kept))
    return folder


#: each run: (its source, its statistics' Total Orders and End Equity, its digest) in the tree before
RUNS = {
    "batch_reads": (BATCH_READS, "161", "100727.67",
                   "1297969b31fe43d7150d3344c68eab1f81b4a51e7f43159375165e242948ee5d"),
    "batch_gaps": (BATCH_GAPS, "1019", "100567.57",
                  "973bb1ad7a37b5877eb7ab5a2a864bf303d9c7fb069e146fa8c9a25d129a0545"),
    "mid_handler": (MID_HANDLER, "377", "105298.62",
                   "28499c0943b296eed6f9c677e332cf20ad6a3f531cb39548b32a170e4f2d4306"),
    "duplicates": (DUPLICATES, "477", "103304.88",
                  "bb408911bcbe33c8023dbec23660d7b9f89961ed742f06baf5c879fcb9474c06"),
    "shorts_and_cash": (SHORTS_AND_CASH, "132", "-51836.55",
                       "365e52950e9219bef80f60c1c1fb0e3956644fb6c3867449958c314fbb82b276"),
    "random_long_2": (RANDOM_ACTIONS.replace("SEED", "2"), "976", "146131.44",
                     "285b5e0abaa12a145955b2ee71efb8375d727d3dc8a76e1a4f8ded64be70d87d"),
    "random_long_6": (RANDOM_ACTIONS.replace("SEED", "6"), "1012", "87176.16",
                     "f7961e4ce36da86a9cdda0e90d23fab5e05db7c574fb33bdfee6d72358f94d9b"),
    "random_mixed_5": (RANDOM_ACTIONS.replace("SEED", "5"), "598", "101286.47",
                      "ce2a2d13b68c1e0e24a50762c5b8780952282c745c0cf08cd7e9b0fa5ffa3301"),
    "random_handler_9": (RANDOM_ACTIONS.replace("SEED", "9"), "533", "109824.06",
                        "20a32c63145f12b8da9cca5fa1ada2cc401acbffa4a214fbfb2f9e85a93c674a"),
    "held_at_a_quit": (HELD_AT_THE_END.replace("STOP", 'self.quit("enough")'), "121", "100778.60",
                       "c969eb4b965fd9df32a9f4388c7b8567a48ccdd4742069598066eafd73951120"),
    "hour_margin_calls": (HOUR_MARGIN_CALLS, "312", "-8615.17",
                          "cbf7d2e79d306b5e9d0ef46e42c7ee9afefd72c4cd901321d133a2dd9d0824f6"),
    "forex_book": (FOREX_BOOK, "230", "468434.37",
                  "cd6584c8df0cacbd0f748063cadcf8d00713495741b963cb3f19a9583e21e2d9"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_runs_are_the_eager_trees(tmp_path, lean_data_folder, name):
    source, orders, end_equity, expected = RUNS[name]
    folder = _gapped_folder(tmp_path, lean_data_folder) if name == "batch_gaps" else lean_data_folder
    statistics, digest, _ = _run(tmp_path, source, folder)
    assert (statistics["Total Orders"], statistics["End Equity"], digest) == (orders, end_equity, expected)


def test_reads_between_a_batchs_submission_and_its_fill(tmp_path, lean_data_folder):
    """The orders of a batch held as columns, read the step they were placed: open, submitted, nothing filled;
    the next step, filled with their two events each; one cancelled (36) and one updated (48: -56 + 5) the step
    they were placed."""
    _, _, logs = _run(tmp_path, BATCH_READS, lean_data_folder)
    placed = logs.index("after-sh open=[(12, 'BAC', -192.0, 1), (13, 'USO', -9.0, 1), (14, 'IWM', -23.0, 1), "
                        "(15, 'QQQ', -29.0, 1), (16, 'AIG', -50.0, 1), (17, 'EEM', -60.0, 1), (18, 'IBM', -15.0, 1), "
                        "(19, 'AAPL', -92.0, 1), (20, 'WM', 254.0, 1), (21, 'SPY', 57.0, 1), (22, 'BNO', 207.0, 1)]")
    assert logs[placed + 1] == "  t17 1 q=-60.0 f=0.0 r=-60.0 p=0.0 ev=[(1, 0.0)]"
    assert logs[placed + 7:placed + 10] == [
        "  count=22 cash=9627.8649 tpv=97023.9976", "next open=[]",
        "  t17 3 q=-60.0 f=-60.0 r=0.0 p=33.042307428 ev=[(1, 0.0), (3, -60.0)]"]
    assert "after-cancel open=[(35, 'BAC', -193.0, 1), (37, 'IWM', -22.0, 1), (38, 'AAPL', -137.0, 1), " \
           "(39, 'AIG', -55.0, 1), (40, 'USO', -8.0, 1), (41, 'QQQ', -26.0, 1), (42, 'EEM', -59.0, 1), " \
           "(43, 'BNO', 215.0, 1), (44, 'SPY', 56.0, 1), (45, 'WM', 263.0, 1)]" in logs
    assert "after-update open=[(46, 'WM', -268.0, 1), (47, 'BNO', -215.0, 1), (48, 'SPY', -51.0, 1), " \
           "(49, 'BAC', 203.0, 1), (50, 'IWM', 27.0, 1), (51, 'QQQ', 32.0, 1), (52, 'AAPL', 148.0, 1), " \
           "(53, 'AIG', 52.0, 1), (54, 'USO', 7.0, 1), (55, 'EEM', 45.0, 1)]" in logs


def test_orders_held_when_an_error_stops_the_run(tmp_path, lean_data_folder):
    """A batch placed the step the algorithm raises: the partial record's orders hold it, submitted."""
    with pytest.raises(AlgorithmRuntimeError) as raised:
        _run(tmp_path, HELD_AT_THE_END.replace("STOP", 'raise ValueError("boom")'), lean_data_folder)
    orders = raised.value.record.orders
    assert len(orders) == 121
    assert orders["status"].tolist()[-12:] == ["Filled"] + ["Submitted"] * 11
