"""The benchmark values LEAN's statistics sample at the edges of a run: before the first step (the
benchmark's internal hour feed) and at a ``quit``."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm
from lean_local.statistics.sampling import daily_returns, take_samples
from tests import fixtures

DAYS = ["2019-12-30", "2019-12-31", "2020-01-02", "2020-01-03", "2020-01-06"]
CLOSES = [10.0, 11.0, 12.0, 13.0, 14.0]


def _spy_folder(tmp_path):
    """SPY's daily bars and the hour bars of 2019-12-31 and 2020-01-02 (each day's last hour ends
    at 16:00 with the day's close)."""
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "SPY", fixtures.bars(DAYS, CLOSES))
    hours = pd.DatetimeIndex(["2019-12-31 09:00", "2019-12-31 15:00", "2020-01-02 09:00", "2020-01-02 15:00"],
                             name="date")
    closes = [10.5, 11.0, 11.5, 12.0]
    path = formats.equity_hour_path(root, "SPY")
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_equity_daily(path, pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes,
                                                   "volume": [1.0] * 4}, index=hours))
    return root


def test_samples_before_the_first_step_see_the_benchmarks_previous_close(tmp_path):
    """LEAN subscribes the benchmark at hour resolution from the trading day before the first step
    (``UniverseSelection.AddPendingInternalDataFeeds``): a run starting on a holiday (2020-01-01)
    samples 2019-12-31's close (11) at its first midnights, so the first daily benchmark return is
    01-02's close over it (12 / 11 - 1) where it would otherwise be 0."""
    class Holiday(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 1)
            self.set_end_date(2020, 1, 6)
            self.add_equity("SPY", Resolution.DAILY)

    _, record, _ = run_algorithm(Holiday, _spy_folder(tmp_path))
    assert (record.benchmark.index[0], record.benchmark.iloc[0]) == (pd.Timestamp("2019-12-31 16:00"), 11.0)
    samples = take_samples(record)
    assert list(samples.benchmark[:4]) == [11.0, 11.0, 12.0, 13.0]  # midnights of 01-01 .. 01-04
    _, bench = daily_returns(samples)
    assert bench[0] == pytest.approx(1.0 / 11.0)


def test_a_quit_keeps_the_steps_prices_for_the_final_sample(tmp_path):
    """``quit()`` in ``on_data``: LEAN stops before the next step, and its final sample (at the last
    data time) sees the prices of the step that quit (01-03's close, 13)."""
    class Quitter(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.add_equity("SPY", Resolution.DAILY)

        def on_data(self, data):
            if self.time.day == 3:
                self.quit()

    _, record, _ = run_algorithm(Quitter, _spy_folder(tmp_path))
    assert record.end == datetime(2020, 1, 3, 16)
    assert record.benchmark.asof(pd.Timestamp(record.end)) == 13.0
    assert take_samples(record).benchmark[-1] == 13.0


def test_a_benchmark_symbol_subscribed_without_data_still_has_its_prices(tmp_path):
    """LEAN's benchmark security is its own, priced by the internal hour feed: SPY added at minute
    resolution without minute files leaves the benchmark's adjusted closes in the samples."""
    class MinuteSpy(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.add_equity("SPY", Resolution.MINUTE)
            self.add_equity("AAA", Resolution.DAILY)

    root = _spy_folder(tmp_path)
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, CLOSES))
    _, record, _ = run_algorithm(MinuteSpy, root)
    assert list(take_samples(record).benchmark[:3]) == [11.0, 12.0, 13.0]  # midnights of 01-02 .. 01-04
