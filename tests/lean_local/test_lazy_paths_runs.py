"""Runs through the paths the benchmarks do not take, of the orders held as columns until read
(``placed_orders``, ``order_batches``) and of the samples summed later from the portfolio's book
(``portfolio_samples``, ``portfolio_book``): orders and tickets read between submission and fill,
cancelled, updated, an ``on_order_event`` handler set and removed mid-run, batches half filled (bars
missing), duplicate targets, two batches a step, custom fee and slippage models, short books, cash
deposits and withdrawals, leverage changes, margin warnings and a multi-currency book.

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

HEADER = "from AlgorithmImports import *\n\n\n"

BATCH_READS = HEADER + '''
class BatchReads(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in ["SPY", "AAPL", "IBM", "BAC", "AIG"]]
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
            ts = self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, w)])
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
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in ["SPY", "AAPL", "IBM", "BAC", "AIG"]]
        self.n = 0

    def on_data(self, data):
        self.n += 1
        if self.n % 3 == 1:
            w = [0.3, 0.2, 0.2, 0.15, 0.1] if (self.n // 3) % 2 else [0.1, 0.25, 0.25, 0.2, 0.15]
            self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, w)])
'''

MID_HANDLER = HEADER + '''
class MidHandler(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 7, 31)
        self.set_cash(100000)
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in ["SPY", "AAPL", "IBM", "BAC", "AIG"]]
        self.n = 0

    def handler(self, e):
        self.log(f"h {e.order_id} {int(e.status)} {e.fill_quantity}")

    def on_data(self, data):
        self.n += 1
        w = [0.3, 0.2, 0.2, 0.15, 0.1] if self.n % 2 else [0.1, 0.25, 0.25, 0.2, 0.15]
        if self.n % 5 == 1:
            self.set_holdings([PortfolioTarget(s, x) for s, x in zip(self.syms, w)])
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
        self.syms = [self.add_equity(t, Resolution.DAILY).symbol for t in ["SPY", "AAPL", "IBM", "BAC", "AIG"]]
        self.n = 0

    def on_data(self, data):
        self.n += 1
        k, s = self.n % 25, self.syms
        if k == 1:
            self.set_holdings([PortfolioTarget(s[0], 0.3), PortfolioTarget(s[1], 0.2), PortfolioTarget(s[0], 0.1)])
        elif k == 3:
            self.set_holdings([PortfolioTarget(x, 0.18) for x in s])
            self.set_holdings([PortfolioTarget(x, 0.15) for x in s[::-1]])
        elif k == 5:
            self.market_order(s[2], 3)
            self.set_holdings([PortfolioTarget(x, 0.19) for x in s])
        elif k == 9:
            self.set_holdings([PortfolioTarget(x, w) for x, w in zip(s, [0.0, 0.5, 0.0, 0.3, 0.0])])
        elif k == 13:
            self.set_holdings([PortfolioTarget(x, 0.15) for x in s], tag="tagged")
            self.limit_order(s[1], 10, self.securities[s[1]].price * 0.5)
        elif k == 15:
            self.set_holdings([PortfolioTarget(x, 0.25) for x in s])
            self.log(f"{self.n} {self.transactions.get_open_orders_remaining_quantity(s[1])} "
                     f"{self.transactions.orders_count}")
        elif k == 17:
            self.securities[s[3]].set_fee_model(ConstantFeeModel(2.5))
            self.set_holdings([PortfolioTarget(x, 0.12) for x in s])
        elif k == 19:
            self.securities[s[3]].set_fee_model(InteractiveBrokersFeeModel())
            self.securities[s[0]].set_slippage_model(ConstantSlippageModel(0.001))
            self.set_holdings([PortfolioTarget(x, 0.2) for x in s])
        elif k == 21:
            self.securities[s[0]].set_slippage_model(NullSlippageModel())
            self.set_holdings([PortfolioTarget(x, 0.3) for x in s[:3]], liquidate_existing_holdings=True)
        elif k == 23:
            ts = self.set_holdings([PortfolioTarget(x, 0.16) for x in s])
            self.log(f"{self.n} {[repr(t) for t in ts][:2]} {self.transactions.get_order_tickets()[-1].order_id}")
'''

SHORTS_AND_CASH = HEADER + '''
class ShortsAndCash(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2014, 12, 31)
        self.set_cash(100000)
        self.secs = [self.add_equity(t, Resolution.DAILY, leverage=2) for t in ["SPY", "AAPL", "IBM", "BAC", "AIG"]]
        self.syms = [s.symbol for s in self.secs]
        self.n = 0

    def on_margin_call_warning(self):
        self.log("margin warning")

    def on_data(self, data):
        self.n += 1
        if self.n % 10 == 1:
            sign = -1 if (self.n // 10) % 2 else 1
            self.set_holdings([PortfolioTarget(s, sign * x) for s, x in zip(self.syms, [0.6, -0.5, 0.4, -0.3, 0.35])])
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
    "batch_reads": (BATCH_READS, "76", "112744.49",
                   "4ec689cec49a745e29ea254d545762ada542e5303af53845f461c68d1e65e6ea"),
    "batch_gaps": (BATCH_GAPS, "446", "114464.61",
                  "a04ffa27445f3403204d7d839926e1342da04df04b284710086dc33e4f6e3271"),
    "mid_handler": (MID_HANDLER, "163", "106004.42",
                   "ac2cbf698d23e52f94e9135b7262a959405f74992390f5c3d80208f0004b9d49"),
    "duplicates": (DUPLICATES, "244", "103921.49",
                  "20b2b75de933c2692993652b90ba16326c574f0269c8641f4577f2c2aebbd7f3"),
    "shorts_and_cash": (SHORTS_AND_CASH, "61", "-58710.74",
                       "dae2395bc94e31d1a25a824aaf3b927da8eece357ab8bcf64502cf2f6b0261a2"),
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
    one cancelled, one updated; the next step, filled with their two events each."""
    _, _, logs = _run(tmp_path, BATCH_READS, lean_data_folder)
    placed = logs.index("after-sh open=[(6, 'BAC', -433.0, 1), (7, 'IBM', -35.0, 1), (8, 'AIG', -113.0, 1), "
                        "(9, 'AAPL', -214.0, 1), (10, 'SPY', 123.0, 1)]")
    assert logs[placed + 2] == "  t6 1 q=-433.0 f=0.0 r=-433.0 p=0.0 ev=[(1, 0.0)]"
    assert logs[placed + 10] == "  t6 3 q=-433.0 f=-433.0 r=0.0 p=14.821907919 ev=[(1, 0.0), (3, -433.0)]"
    cancelled = logs.index("after-cancel open=[(17, 'IBM', -38.0, 1), (19, 'AAPL', -298.0, 1), (20, 'AIG', -113.0, 1), "
                           "(21, 'SPY', 128.0, 1)]")
    assert logs[cancelled + 3] == "  t18 5 q=-358.0 f=0.0 r=-358.0 p=0.0 ev=[(1, 0.0), (5, 0.0)]"
    assert "  t24 1 q=40.0 f=0.0 r=40.0 p=0.0 ev=[(1, 0.0), (9, 0.0)]" in logs  # updated: UpdateSubmitted
