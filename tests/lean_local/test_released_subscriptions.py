"""A removed universe member's bars are released and read again when it is re-added
(``DataFeed.KEEP_REMOVED``, ``ReleasedSubscription``): the run is the one that keeps every bar loaded."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.feed import DataFeed
from lean_local.engine.runner import run_algorithm
from lean_local.engine.subscription_data import ReleasedSubscription
from tests import fixtures

TICKERS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")


def _market(root):
    days = pd.bdate_range("2020-01-02", "2020-03-31")
    days = days[~days.isin(pd.to_datetime(["2020-01-20", "2020-02-17"]))]  # NYSE holidays
    root = fixtures.data_folder(root)
    rng = np.random.default_rng(11)
    for k, ticker in enumerate(TICKERS):
        keep = rng.random(len(days)) > 0.1  # missing days: fill-forward copies
        closes = 20 + k + np.cumsum(rng.normal(0, 0.5, len(days)))
        fixtures.write_equity(root, ticker, fixtures.bars(days[keep], closes[keep]))
    for day in days:
        volumes = rng.integers(1, 1000, len(TICKERS))
        fixtures.write_coarse_day(root, day, [(t, 20.0, int(v)) for t, v in zip(TICKERS, volumes, strict=True)])
    return root


class Rotation(QCAlgorithm):
    """Holds the day's two top dollar-volume stocks: members leave and come back every few days; each
    added one is warmed by a history request, and the removed ones' prices are read every day."""

    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 3, 31)
        self.set_cash(100_000)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self.select)
        self.log_lines = []
        self.chosen = []

    def select(self, rows):
        ranked = sorted(rows, key=lambda f: (-f.dollar_volume, f.symbol.value))
        self.chosen = [f.symbol for f in ranked[:2]]
        return self.chosen

    def on_securities_changed(self, changes):
        added = [s.symbol for s in changes.added_securities]
        if added:
            history = self.history(added, 5, Resolution.DAILY)
            self.log_lines.append(("history", self.time, history["close"].round(10).tolist()))

    def on_data(self, data):
        prices = sorted((str(s.symbol), s.price) for s in self.securities.values())
        self.log_lines.append((self.time, sorted((str(s), b.close, b.is_fill_forward, b.time)
                                                 for s, b in data.bars.items()), prices))
        for symbol in data.keys():
            if symbol not in self.chosen and self.portfolio[symbol].invested:
                self.liquidate(symbol)
            elif symbol in self.chosen and not self.portfolio[symbol].invested:
                self.set_holdings(symbol, 0.4)


@pytest.mark.parametrize("cache", ["parsed", "off"])
def test_releasing_removed_members_changes_nothing_and_frees_their_bars(tmp_path, monkeypatch, cache):
    root = _market(tmp_path / "data")
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache") if cache == "parsed" else "0")
    runs = []
    for keep in (10**6, 2, 0):  # two kept: a day's removals release some of themselves and older ones
        monkeypatch.setattr(DataFeed, "KEEP_REMOVED", keep)
        algo, record, _ = run_algorithm(Rotation, root)
        runs.append((algo.log_lines, record.fills.to_dict("list"), list(record.equity)))
    assert len(runs[0][1]["order_id"]) > 20  # the rotation trades
    assert sum(line[0] == "history" for line in runs[0][0]) > 10  # members come back, warmed again
    assert runs[0] == runs[1] == runs[2]

    # without release every removed member keeps its bars; with KEEP_REMOVED = 0 none does
    feed = algo._feed
    removed = sorted(algo._run.removed)
    assert removed
    assert all(isinstance(feed.subs[column], ReleasedSubscription) for column in removed)
    assert all(len(feed.subs[column]) == 1 for column in removed)
    # the feed's set of released columns is the columns holding a ReleasedSubscription
    assert feed._released == {column for column, sub in enumerate(feed.subs) if isinstance(sub, ReleasedSubscription)}
    whole = feed.data(removed[0])
    assert len(whole) > 40 and not isinstance(whole, ReleasedSubscription)
    assert (whole.emit_times is feed.subs[removed[0]].emit_times)


def test_the_released_bars_are_gone(tmp_path, monkeypatch):
    """Nothing holds a released subscription's bars: they are freed."""
    root = _market(tmp_path / "data")
    monkeypatch.setattr(DataFeed, "KEEP_REMOVED", 0)
    originals: list[weakref.ref] = []
    release = DataFeed._release

    def watched(self, column, reload):
        originals.append(weakref.ref(self.panel.subs[column]))
        release(self, column, reload)

    monkeypatch.setattr(DataFeed, "_release", watched)
    algo, _, _ = run_algorithm(Rotation, root)
    gc.collect()
    assert len(originals) > 10
    assert all(ref() is None for ref in originals)


def test_removals_together_release_the_oldest_as_one_at_a_time(monkeypatch):
    """``remove_many`` keeps the ``KEEP_REMOVED`` latest removals with a reader and releases the older
    ones oldest first, as removing one column at a time does (a column without a reader is not kept)."""
    feed = DataFeed()
    monkeypatch.setattr(DataFeed, "KEEP_REMOVED", 3)
    monkeypatch.setattr(feed.panel, "freeze_many", lambda columns, step: None)
    released: list[tuple[int, str]] = []
    monkeypatch.setattr(feed, "_release", lambda column, reload: released.append((column, reload())))

    def reader(name):
        return lambda: name

    feed.remove_many([0, 1], True, [reader("r0"), None])
    assert released == []
    feed.remove_many([2, 3, 4, 5], True, [reader(f"r{column}") for column in (2, 3, 4, 5)])
    assert released == [(0, "r0"), (2, "r2")]  # kept: 3, 4, 5
    feed.remove_many([6], False, [reader("r6")])
    assert released == [(0, "r0"), (2, "r2"), (3, "r3")]
