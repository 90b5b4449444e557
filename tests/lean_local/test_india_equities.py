"""India equities (``Market.INDIA``) on LEAN's sample data: the Kolkata session converted to New
York time date by date, LEAN's auxiliary events at the exchange's midnight, and an INR account."""

from __future__ import annotations

from datetime import datetime

import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, NotSupportedError, Resolution
from lean_local.engine.runner import run_algorithm


class Cccl(QCAlgorithm):
    def initialize(self):
        self.set_account_currency("INR")
        self.set_start_date(2010, 1, 1)
        self.set_end_date(2010, 6, 30)
        self.cccl = self.add_equity("CCCL", Resolution.DAILY, Market.INDIA).symbol
        self.bars, self.events, self.refused = [], [], []

    def on_data(self, data):
        if data.bars.contains_key(self.cccl):
            bar = data.bars[self.cccl]
            self.bars.append((self.time, bar.time, bar.end_time, bar.close))
        try:
            self.market_order(self.cccl, 1)
        except NotSupportedError as error:
            self.refused.append(str(error))

    def on_splits(self, splits):
        split = splits[self.cccl]
        self.events.append((self.time, "split", int(split.type), split.split_factor, split.reference_price))

    def on_dividends(self, dividends):
        dividend = dividends[self.cccl]
        self.events.append((self.time, "dividend", dividend.distribution, dividend.reference_price))


def test_an_india_equity_trades_09_15_to_15_30_kolkata_and_its_events_come_at_kolkata_midnight(lean_data_folder):
    """CCCL's bar of 2010-01-04 is 09:15-15:30 in Kolkata, 22:45 (Jan 3) to 05:00 in New York
    (10:30 behind); in June New York is 9:30 behind (06:00). Its close 413 adjusted by the factor
    file's 2010-01-04 row: 413 x 0.9800619 x 0.2 = 80.9531. The split after 2010-02-09 (factor 0.2,
    reference 421) comes at 2010-02-10 00:00 Kolkata = 02-09 13:30 New York, the dividend after
    2010-06-15 (88.8 x (1 - 0.9800619 / 0.9856115) = 0.50) at 06-16 00:00 Kolkata = 06-15 14:30."""
    algo, _, _ = run_algorithm(Cccl, lean_data_folder)
    first, last = algo.bars[0], algo.bars[-1]
    assert first[:3] == (datetime(2010, 1, 4, 5), datetime(2010, 1, 3, 22, 45), datetime(2010, 1, 4, 5))
    assert first[3] == pytest.approx(413 * 0.9800619 * 0.2)
    assert last[:3] == (datetime(2010, 6, 30, 6), datetime(2010, 6, 29, 23, 45), datetime(2010, 6, 30, 6))
    assert (datetime(2010, 2, 9, 13, 30), "split", 1, 0.2, 421.0) in algo.events
    assert (datetime(2010, 6, 15, 14, 30), "dividend", 0.5, 88.8) in algo.events
    assert algo.refused and all("orders in a INR account" in message for message in algo.refused)


class Renamed(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2004, 6, 1)
        self.set_end_date(2004, 6, 30)
        self.symbol = self.add_equity("3MINDIA", Resolution.DAILY, Market.INDIA).symbol
        self.changes = []

    def on_symbol_changed_events(self, changes):
        change = changes[self.symbol]
        self.changes.append((self.time, change.old_symbol, change.new_symbol))


def test_an_india_rename_reads_the_india_map_file(lean_data_folder):
    """equity/india/map_files/3mindia.csv: BIRLA3M until 2004-06-15, then 3MINDIA (no data file: the
    event still comes, at 2004-06-16 00:00 Kolkata = 06-15 14:30 New York)."""
    algo, _, _ = run_algorithm(Renamed, lean_data_folder)
    assert algo.changes == [(datetime(2004, 6, 15, 14, 30), "BIRLA3M", "3MINDIA")]
    with pytest.raises(NotSupportedError, match="orders on India equities"):  # a USD account
        algo.market_order(algo.symbol, 1)
