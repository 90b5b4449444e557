"""QuantBook: the workspace's data folder, LEAN's history frame, the shared object store."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from lean_local.engine.common import NotSupportedError, Resolution
from lean_local.research import QuantBook
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
    frame = qb.history(aaa, 2, Resolution.DAILY)
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
    assert frame["value"].tolist() == [10, 20, 11]
    assert frame["dollarvolume"].tolist() == [10_000, 200, 110]
    assert frame["volume"].tolist() == [1000, 10, 10]
    assert not frame["hasfundamentaldata"].any()  # LEAN's local fundamental provider: always False
    with pytest.raises(NotSupportedError, match="flatten=False"):
        qb.universe_history(universe, datetime(2020, 1, 3))
