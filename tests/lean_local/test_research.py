"""QuantBook: the workspace's data folder, LEAN's history frame, the shared object store."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from lean_local.engine.common import Resolution
from lean_local.research import UNIVERSE_COLUMNS, QuantBook
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_forex(root, "EURUSD", DAYS[:3], [1.1, 1.2, 1.3], spread=0.0002)
    (tmp_path / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    (tmp_path / "research").mkdir()
    monkeypatch.chdir(tmp_path / "research")
    monkeypatch.delenv("LEAN_DATA_FOLDER", raising=False)
    return tmp_path


def test_quantbook_history_by_periods_and_dates(workspace):
    qb = QuantBook()
    aaa = qb.add_equity("AAA").symbol
    # the research clock is now: the last 2 sessions hold no AAA bar, and LEAN returns nothing then
    assert qb.history(aaa, 2, Resolution.DAILY).empty
    frame = qb.history(aaa, datetime(2020, 1, 7), datetime(2020, 1, 9), Resolution.DAILY)
    assert frame.loc["AAA"]["close"].tolist() == [13, 14]
    frame = qb.history([aaa], datetime(2020, 1, 3), datetime(2020, 1, 7), Resolution.DAILY)
    assert frame.index.get_level_values("time").tolist() == [pd.Timestamp("2020-01-03 16:00"),
                                                               pd.Timestamp("2020-01-06 16:00")]
    eur = qb.add_forex("EURUSD").symbol
    quotes = qb.history(eur, 10, Resolution.DAILY)
    assert quotes["askclose"].tolist() == pytest.approx([1.1001, 1.2001, 1.3001])
    assert quotes["close"].tolist() == pytest.approx([1.1, 1.2, 1.3])


def test_quantbook_object_store_is_the_workspace_storage(workspace):
    qb = QuantBook()
    qb.object_store.save("models/x", "hello")
    assert (workspace / "storage" / "models" / "x").read_text() == "hello"


def test_quantbook_universe_history_is_lean_flattened_frame(workspace):
    root = workspace / "data"
    fixtures.write_coarse_day(root, "2020-01-02", [("AAA", 10, 1000), ("BBB", 20, 10)])
    fixtures.write_coarse_day(root, "2020-01-03", [("AAA", 11, 10)])
    fixtures.write_coarse_day(root, "2020-01-06", [("BBB", 22, 5)])
    qb = QuantBook()
    universe = qb.add_universe(lambda fundamental: [f.symbol for f in fundamental])
    frame = qb.universe_history(universe, datetime(2020, 1, 3), datetime(2020, 1, 4), flatten=True)
    # rows of the 2nd and 3rd: handed over at 00:00 the next day; the 6th's file is after the end
    assert [(t, str(s)) for t, s in frame.index] == [(pd.Timestamp("2020-01-03"), "AAA"),
                                                     (pd.Timestamp("2020-01-03"), "BBB"),
                                                     (pd.Timestamp("2020-01-04"), "AAA")]
    assert list(frame.columns) == list(UNIVERSE_COLUMNS)  # LEAN's Fundamental members
    assert frame["value"].tolist() == [10, 20, 11]
    assert frame["dollarvolume"].tolist() == [10_000, 200, 110]
    assert frame["volume"].tolist() == [1000, 10, 10]
    assert not frame["hasfundamentaldata"].any()  # LEAN's local fundamental provider: always False
    assert frame["valuationratios"].isna().all() and (frame["marketcap"] == 0).all()


def test_quantbook_universe_history_runs_the_selector_and_defaults_to_a_series(workspace):
    """Issue 14.3: as LEAN's QuantBook.UniverseHistory, the universe's selector filters each day's rows;
    without flatten the result is a Series of per-day lists indexed by (universe symbol, time)."""
    root = workspace / "data"
    fixtures.write_coarse_day(root, "2020-01-02", [("AAA", 10, 1000), ("BBB", 20, 10), ("CCC", 0.5, 10**6)])
    fixtures.write_coarse_day(root, "2020-01-03", [("AAA", 11, 10), ("BBB", 21, 1000)])
    qb = QuantBook()

    def top_one(fundamental):
        liquid = [f for f in fundamental if f.price >= 1]
        return [max(liquid, key=lambda f: f.dollar_volume).symbol]

    universe = qb.add_universe(top_one)
    series = qb.universe_history(universe, datetime(2020, 1, 1), datetime(2020, 1, 5))
    assert isinstance(series, pd.Series) and series.index.names == ["symbol", "time"]
    assert list(series.index.get_level_values("time")) == [pd.Timestamp("2020-01-03"), pd.Timestamp("2020-01-04")]
    assert [[str(f.symbol) for f in day] for day in series] == [["AAA"], ["BBB"]]
    flat = qb.universe_history(universe, datetime(2020, 1, 1), datetime(2020, 1, 5), flatten=True)
    assert [str(s) for _, s in flat.index] == ["AAA", "BBB"]
