"""Seeding a security benchmark's symbol from its internal hour subscription
(``lean_local.engine.seeding``: LEAN's ``GetLastKnownPrices`` reads internal configurations too and
keeps the finer bar of the newest history slice)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import DataNormalizationMode, Resolution, Symbol
from lean_local.engine.feed import SubscriptionData
from lean_local.engine.initializers import FuncSecuritySeeder
from lean_local.engine.runner import run_algorithm
from lean_local.engine.seeding import last_hour_bar
from tests import fixtures

DAYS = ["2019-12-31", "2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"]
HOUR = 3_600 * 10**9


def _spy_folder(root):
    """SPY's raw daily closes 100, 102, 104, 106, 108, a dividend factor of 0.5 over them, and one
    hour bar (15:00-16:00, the daily close) each day."""
    root = fixtures.data_folder(root)
    closes = [100.0, 102.0, 104.0, 106.0, 108.0]
    fixtures.write_equity(root, "SPY", fixtures.bars(DAYS, closes), factors=pd.DataFrame(
        {"price_factor": [0.5, 1.0], "split_factor": [1.0, 1.0]}, index=pd.DatetimeIndex(["2020-01-31", "2050-12-31"])))
    path = formats.equity_hour_path(root, "SPY")
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_equity_daily(path, pd.DataFrame(
        {"open": closes, "high": closes, "low": closes, "close": closes, "volume": [5.0] * 5},
        index=pd.DatetimeIndex([f"{day} 15:00" for day in DAYS], name="date")))
    return root


def test_a_readded_benchmark_symbol_is_seeded_with_the_adjusted_hour_bar(tmp_path):
    """The first selection (2020-01-02 00:00) precedes the internal hour feed: the raw daily close of
    12-31 (100). Re-added at 01-06 00:00, SPY is seeded with 01-03's 15:00-16:00 hour bar, which ends
    with the daily bar and, being finer, wins: adjusted, 104 x 0.5."""

    class ReAdds(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 7)
            self.universe_settings.resolution = Resolution.DAILY
            self.universe_settings.data_normalization_mode = DataNormalizationMode.RAW
            seeder = FuncSecuritySeeder(self.get_last_known_prices)
            self.set_security_initializer(lambda security: seeder.seed_security(security))
            self.seeds = []
            self.add_universe("u", Resolution.DAILY, lambda t: [] if t.day == 3 else ["SPY"])

        def on_securities_changed(self, changes):
            self.seeds += [(self.time, s.price) for s in changes.added_securities]

    algo, _, _ = run_algorithm(ReAdds, _spy_folder(tmp_path / "data"))
    assert algo.seeds == [(datetime(2020, 1, 2), 100.0), (datetime(2020, 1, 6), 52.0)]


def test_the_last_hour_bar_lies_within_the_seed_lookback():
    """The request spans the last five session hour bars ending by now (LEAN's seed lookback)."""
    hours = QCAlgorithm()._exchange_hours(Symbol("SPY"))
    starts = pd.DatetimeIndex(["2020-01-02 15:00", "2020-01-03 15:00"]).asi8
    bars = SubscriptionData(Symbol("SPY"), "trade", starts, starts + HOUR,
                            {name: np.array([1.0, 2.0]) for name in ("open", "high", "low", "close", "volume")},
                            np.ones(2))
    bar = last_hour_bar(bars, hours, datetime(2020, 1, 6))
    assert (bar.time, bar.end_time, bar.close) == (datetime(2020, 1, 3, 15), datetime(2020, 1, 3, 16), 2.0)
    # at 01-03 11:00 the five session bars back reach 01-02 13:00-14:00: 01-02's last bar counts ...
    assert last_hour_bar(bars, hours, datetime(2020, 1, 3, 11)).close == 1.0
    # ... at 15:30 they start at 01-03 10:00: it is too old
    assert last_hour_bar(bars, hours, datetime(2020, 1, 3, 15, 30)) is None
    assert last_hour_bar(bars, hours, datetime(2020, 1, 2, 12)) is None  # nothing ended yet
    assert last_hour_bar(bars, hours, datetime(2020, 1, 3, 15) + timedelta(days=4)) is None  # 01-07 15:00: too old
