"""``lean-local data coarse``: coarse rows hand-computed on a tiny folder, and LEAN's own sample files as the oracle."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.cli import main
from lean_local.data import formats
from lean_local.data.coarse_builder import coarse_rows, find_gaps, series_breaks

SID = formats.equity_sid("ABC", "2020-01-02")


def _zip(path: Path, lines: list[str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(path.stem + ".csv", "\n".join(lines) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _bar(day: str, close: float, volume: int) -> str:
    price = round(close * 10_000)
    return f"{day} 00:00,{price},{price},{price},{price},{volume}"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """ABC lists 2020-01-02, splits 2:1 on 2020-01-06 (its factor file says so) and is renamed XYZ after
    2020-01-06; xyz.zip also holds another company's XYZ bar of 2020-01-06 (LEAN reads it: both ends
    of a map-file row's range are inclusive). BBB has no factor file; SOLO no zip; ONE a single map row."""
    usa = tmp_path / "src" / "equity" / "usa"
    _zip(usa / "daily" / "abc.zip", [_bar("20200102", 100, 1000), _bar("20200103", 101.2345, 2001),
                                      _bar("20200106", 50.5, 4000), _bar("20200107", 77, 1)])
    _zip(usa / "daily" / "xyz.zip", [_bar("20200106", 100, 10), _bar("20200107", 51, 3000),
                                      _bar("20200108", 52, 3000)])
    _zip(usa / "daily" / "bbb.zip", [_bar("20200102", 10, 5), _bar("20200108", 10.5, 7)])
    _zip(usa / "daily" / "one.zip", [_bar("20200102", 3, 5)])
    _text(usa / "map_files" / "xyz.csv", "20200102,abc,Q\n20200106,abc,Q\n20501231,xyz,Q\n")
    _text(usa / "map_files" / "bbb.csv", "20200102,bbb,Q\n20501231,bbb,Q\n")
    _text(usa / "map_files" / "solo.csv", "20200102,solo,Q\n20501231,solo,Q\n")
    _text(usa / "map_files" / "one.csv", "20200102,one,Q\n")
    _text(usa / "factor_files" / "xyz.csv", "20200103,0.98,0.5,101.2345\n20501231,1,1,0")
    _text(tmp_path / "src" / "market-hours" / "market-hours-database.json", "{}")
    return tmp_path / "src"


def test_rows_are_lean_generators_hand_computed(tiny: Path) -> None:
    rows, missing, securities = coarse_rows(tiny)
    assert missing == ["SOLO"]
    assert securities == 2
    bbb = formats.equity_sid("BBB", "2020-01-02")
    expected = [
        ("2020-01-02", SID, "ABC", 100.0, 1000, 100000, 0.98, 0.5),
        ("2020-01-02", bbb, "BBB", 10.0, 5, 50, 1, 1),
        # 101.2345 x 2001 = 202570.2345, truncated
        ("2020-01-03", SID, "ABC", 101.2345, 2001, 202570, 0.98, 0.5),
        ("2020-01-06", SID, "ABC", 50.5, 4000, 202000, 1, 1),
        ("2020-01-06", SID, "XYZ", 100.0, 10, 1000, 1, 1),
        ("2020-01-07", SID, "XYZ", 51.0, 3000, 153000, 1, 1),
        ("2020-01-08", SID, "XYZ", 52.0, 3000, 156000, 1, 1),
        ("2020-01-08", bbb, "BBB", 10.5, 7, 73, 1, 1),
    ]
    got = [(f"{r.date:%Y-%m-%d}", r.sid, r.symbol, r.close, r.volume, r.dollar_volume, r.price_factor,
            r.split_factor) for r in rows.itertuples()]
    assert got == expected
    assert not rows["has_fundamental_data"].any()


def test_gaps_flag_the_duplicate_and_the_unrecorded_split(tiny: Path) -> None:
    rows, _, _ = coarse_rows(tiny)
    gaps = find_gaps(rows)
    # adjusted closes: 01-03 101.2345 x 0.49 = 49.605; 01-06 ABC 50.5 (the recorded split: ratio 1.018),
    # XYZ 100 (ratio 2.016, within 1% of 2); 01-07 51 (ratios 1.0099 and 0.51: neither).
    assert gaps[["date", "sid", "symbol", "kind"]].astype(str).values.tolist() == [
        ["2020-01-06", SID, "XYZ", "duplicate"],
        ["2020-01-06", SID, "XYZ", "split-like"],
    ]
    assert gaps["detail"].tolist()[0] == "2 rows: ABC 50.5; XYZ 100"


def test_series_breaks_split_like_moves_and_holes() -> None:
    nan = np.nan
    # 10 -> 5 is 2:1 unrecorded; 5 -> 5.2 is not; then 5 missing days (a hole) before 5.1
    values = np.array([10, 5, 5.2, nan, nan, nan, nan, nan, 5.1, 5.0, nan, nan, nan, nan, 5.05])
    assert series_breaks(values).tolist() == [1, 8]
    # 3:2 within 1% (1.5 x 1.009) is split-like; 1.5 x 1.011 is not
    assert series_breaks(np.array([10, 15.135])).tolist() == [1]
    assert series_breaks(np.array([10, 15.165])).tolist() == []
    assert series_breaks(np.array([nan, 1.0])).tolist() == []


def test_command_writes_lean_format_links_and_gaps(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["data", "coarse", str(tiny), "--data-folder", str(out)]) == 0
    coarse = out / "equity" / "usa" / "fundamental" / "coarse"
    assert sorted(p.name for p in coarse.iterdir()) == [
        "20200102.csv", "20200103.csv", "20200106.csv", "20200107.csv", "20200108.csv"]
    assert (coarse / "20200106.csv").read_text() == (
        f"{SID},ABC,50.5,4000,202000,False,1,1\n{SID},XYZ,100,10,1000,False,1,1\n")
    assert (coarse / "20200102.csv").read_text() == (
        f"{SID},ABC,100,1000,100000,False,0.98,0.5\n{formats.equity_sid('BBB', '2020-01-02')},BBB,10,5,50,False,1,1\n")
    gaps = pd.read_csv(out / "equity" / "usa" / "fundamental" / "coarse_gaps.csv")
    assert gaps["kind"].tolist() == ["duplicate", "split-like"]
    link = out / "equity" / "usa" / "daily" / "abc.zip"
    assert link.is_symlink() and link.resolve() == (tiny / "equity" / "usa" / "daily" / "abc.zip").resolve()
    assert (out / "market-hours" / "market-hours-database.json").is_symlink()
    assert not (tiny / "equity" / "usa" / "fundamental").exists()
    printed = capsys.readouterr().out
    assert "2 securities, 8 rows, 5 coarse files (2020-01-02..2020-01-08)" in printed
    assert "SOLO" in printed
    # a second run replaces the files (no stale day survives) and keeps the links
    (tiny / "equity" / "usa" / "daily" / "bbb.zip").unlink()
    (tiny / "equity" / "usa" / "map_files" / "bbb.csv").unlink()
    assert main(["data", "coarse", str(tiny), "--data-folder", str(out)]) == 0
    assert "BBB" not in (coarse / "20200102.csv").read_text()


def test_bad_map_file_stops_before_writing(tiny: Path, tmp_path: Path, capsys) -> None:
    _text(tiny / "equity" / "usa" / "map_files" / "bad.csv", "20200102,bad,Q\n2020010x,bad,Q\n")
    out = tmp_path / "out"
    assert main(["data", "coarse", str(tiny), "--data-folder", str(out)]) == 1
    assert "bad.csv:2" in capsys.readouterr().err
    assert not out.exists()


def test_lean_sample_folder_reproduces_leans_coarse_files(lean_data_folder: Path, tmp_path: Path) -> None:
    """LEAN's sample coarse files (made by LEAN's generator from the full US data) are the oracle: every
    line of a security the sample's map files know is ours, except has_fundamental_data (LEAN's
    fundamental service has Morningstar data; the folder has none) and the lines of tickers whose
    sample zip lacks the day (FOXA: the sample's foxa.zip holds two bars of 2013)."""
    rows, _, _ = coarse_rows(lean_data_folder)
    sids = set(rows["sid"])
    lean_folder = formats.coarse_folder(lean_data_folder)
    days = sorted(p.stem for p in lean_folder.glob("*.csv"))
    assert len(days) == 11

    def without_flag(lines: list[str]) -> list[str]:
        return [",".join(f for i, f in enumerate(line.split(",")) if i != 5) for line in lines]

    def has_bar(ticker: str, day: str) -> bool:
        path = formats.equity_daily_path(lean_data_folder, ticker.lower())
        return path.exists() and pd.Timestamp(day) in formats.read_equity_daily(path).index

    compared = 0
    for day in days:
        lean = [line for line in (lean_folder / f"{day}.csv").read_text().splitlines()
                if line.split(",")[0] in sids and has_bar(line.split(",")[1], day)]
        formats.write_coarse(tmp_path / f"{day}.csv", rows[rows["date"] == pd.Timestamp(day)].drop(columns="date"))
        assert without_flag((tmp_path / f"{day}.csv").read_text().splitlines()) == without_flag(lean), day
        compared += len(lean)
    # 13 securities every day; GOOAV and GOOCV 03-27..04-02, GOOCV twice on 04-02, as GOOG 04-03..04-07
    assert compared == 11 * 13 + 5 * 2 + 1 + 3
    gaps = find_gaps(rows)
    goog = gaps[gaps["sid"] == "GOOCV VP83T1ZUHROL"]
    assert goog[["date", "symbol", "kind"]].astype(str).values.tolist() == [
        ["2014-04-02", "GOOG", "duplicate"], ["2014-04-02", "GOOG", "split-like"], ["2014-04-03", "GOOG", "split-like"]]
    qqq = gaps[gaps["symbol"] == "QQQ"]
    assert qqq[["date", "kind"]].astype(str).values.tolist() == [["2011-03-23", "hole"]]
