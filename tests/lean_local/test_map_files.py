"""Map-file resolution (LEAN's MapFileResolver) and the columnar reader of a map-file folder."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from lean_local.data import formats, map_files
from lean_local.data.formats import DataFormatError
from lean_local.data.map_files import MapFile, MapFileResolver


def write(folder, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text(text)


@pytest.fixture
def folder(tmp_path):
    """Google's share classes (as LEAN's sample data), a reused ticker and a plain stock."""
    root = tmp_path / "data"
    maps = formats.map_files_folder(root)
    write(maps, "googl", "20040819,goog,Q\n20140402,goog,Q\n20501231,googl,Q\n")  # class A
    write(maps, "goog", "20140327,goocv,Q\n20140402,goocv,Q\n20501231,goog,Q\n")  # class C
    write(maps, "fb.1", "19990929,fb\n20030328,fb\n")  # an older company, delisted, no exchange column
    write(maps, "fb", "20120518,fb,Q\n\n20501231,fb,Q\n")  # a blank line, as LEAN tolerates
    return root


def test_read_map_files_is_every_file_in_name_order(folder):
    rows = formats.read_map_files(formats.map_files_folder(folder))
    assert list(dict.fromkeys(rows["permtick"])) == ["fb.1", "fb", "goog", "googl"]  # "fb.1.csv" < "fb.csv"
    for permtick, part in rows.groupby("permtick", sort=False):
        alone = formats.read_map_file(formats.map_file_path(folder, permtick))
        pd.testing.assert_frame_equal(part.drop(columns="permtick"), alone)
    assert list(rows.loc[rows["permtick"] == "fb.1", "exchange"]) == ["", ""]
    assert formats.read_map_files(folder / "nowhere").empty


@pytest.mark.parametrize("text, line, message", [
    ("20140327,abc,Q\n2014o327,abc,Q\n", 2, "not a date"),
    ("20140327,abc,Q\n20140326,abc,Q\n", 2, "out of order"),
    ("20140230,abc,Q\n", 1, "not a date"),
    ("", 0, "empty"),
])
def test_read_map_files_names_the_bad_file_and_line(folder, text, line, message):
    write(formats.map_files_folder(folder), "bad", text)
    with pytest.raises(DataFormatError, match=message) as caught:
        formats.read_map_files(formats.map_files_folder(folder))
    assert caught.value.path.endswith("bad.csv") and caught.value.line == line


def test_resolve_a_ticker_on_a_date_as_lean(folder):
    resolver = MapFileResolver(formats.read_map_files(formats.map_files_folder(folder)))
    # GOOG before and on 2014-04-02 is class A (googl.csv), after it class C (goog.csv)
    assert resolver.resolve("GOOG", "2010-01-04").permtick == "GOOGL"
    assert resolver.resolve("goog", "2014-04-02").permtick == "GOOGL"
    assert resolver.resolve("GOOG", "2014-04-03").permtick == "GOOG"
    # no date: as known today (the ticker's last row), what add_equity resolves
    assert resolver.resolve("GOOG").permtick == "GOOG"
    assert resolver.resolve("GOOCV").permtick == "GOOG"
    assert resolver.resolve("FB", "2001-06-01").permtick == "FB.1"
    # between the two companies: the next row is the newer FB's, whose file starts later
    assert resolver.resolve("FB", "2005-06-01") is None
    assert resolver.resolve("FB").permtick == "FB"
    # LEAN's empty map file: unknown ticker, or a file starting after the date
    assert resolver.resolve("XYZ") is None
    assert resolver.resolve("GOOCV", "2014-01-02") is None
    # a security identifier resolves its first ticker at its listing date
    assert resolver.resolve_sid("GOOG T1AZ164W5VTX").permtick == "GOOGL"
    assert resolver.resolve_sid("GOOCV VP83T1ZUHROL").permtick == "GOOG"
    assert resolver.resolve_sid(formats.equity_sid("FB", "1999-09-29")).permtick == "FB.1"
    assert resolver.resolve_sid("not a sid") is None


def test_a_map_file_tells_segments_and_identity(folder):
    resolver = MapFileResolver(formats.read_map_files(formats.map_files_folder(folder)))
    googl = resolver.get("googl")
    assert googl.first_date == pd.Timestamp("2004-08-19") and googl.first_ticker == "GOOG"
    assert googl.sid == "GOOG T1AZ164W5VTX"  # as in LEAN's coarse files
    assert googl.delisted is None and resolver.get("FB.1").delisted == pd.Timestamp("2003-03-28")
    assert googl.segments() == [
        (pd.Timestamp("2004-08-19"), pd.Timestamp("2004-08-19"), "GOOG"),
        (pd.Timestamp("2004-08-20"), pd.Timestamp("2014-04-02"), "GOOG"),
        (pd.Timestamp("2014-04-03"), pd.Timestamp("2050-12-31"), "GOOGL"),
    ]
    assert MapFile.unmapped("abc").segments() == [(pd.Timestamp.min, pd.Timestamp.max, "ABC")]
    assert resolver.get("fb.1").permtick == "FB.1" and resolver.get("FB.2") is None


def test_the_first_file_keeps_a_row_two_files_share():
    rows = pd.DataFrame({"permtick": ["aaa", "aaa", "zzz", "zzz"], "ticker": ["aaa", "aaa", "aaa", "zzz"],
                         "exchange": "Q"},
                        index=pd.to_datetime(["2010-01-04", "2012-01-03", "2012-01-03", "2050-12-31"]))
    resolver = MapFileResolver(rows)
    assert resolver.resolve("AAA", "2011-06-01").permtick == "AAA"
    # the index as the cache keeps it (plain values) gives the same resolver
    stored = MapFileResolver.from_index(map_files._index_of(pd.DatetimeIndex(rows.index), rows["permtick"].tolist(),
                                                            rows["ticker"].tolist()))
    assert stored.resolve("AAA", "2011-06-01").permtick == "AAA" and stored.get("zzz").tickers == ["AAA", "ZZZ"]


def test_read_bars_takes_each_period_from_its_tickers_zip(tmp_path):
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "OLDC", fixtures.bars(["2019-12-31", "2020-01-02", "2020-01-03"], [9, 10, 11]))
    fixtures.write_equity(root, "NEWC", fixtures.bars(["2020-01-03", "2020-01-06"], [99, 12]),
                          map_rows=[("2020-01-02", "oldc"), ("2020-01-03", "oldc"), ("2050-12-31", "newc")])
    map_file = map_files.load_resolver(root).resolve("OLDC")
    bars = map_files.read_bars(root, map_file.segments())
    # 2019-12-31 predates the listing (an older OLDC); NEWC's 2020-01-03 bar is not NEWC's period
    assert list(bars.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03", "2020-01-06"]
    assert list(bars["close"]) == [10, 11, 12]
    assert map_files.read_bars(root, MapFile.unmapped("missing").segments()) is None


def test_load_resolver_builds_once_and_follows_changes(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    maps = formats.map_files_folder(folder)
    earlier = time.time_ns() - 60 * 10**9
    os.utime(maps, ns=(earlier, earlier))  # a folder just written is re-read on every call (racy)
    first = map_files.load_resolver(folder, cache)
    assert map_files.load_resolver(folder, cache) is first
    assert len(list(cache.glob("*.marshal"))) == 1
    # a new process reads the index back from the cache, not from the map files
    map_files._resolver.cache_clear()
    monkeypatch.setattr(formats, "read_map_files", lambda path: pytest.fail("map files read again"))
    again = map_files.load_resolver(folder, cache)
    assert again is not first and again.resolve_sid("GOOG T1AZ164W5VTX").permtick == "GOOGL"
    assert again.get("FB.1").tickers == ["FB", "FB"]
    # read back as plain values, the same index as the frame's
    for permtick in ("GOOGL", "GOOG", "FB.1", "FB"):
        stored, parsed = again.get(permtick), first.get(permtick)
        assert (stored.tickers, stored.delisted) == (parsed.tickers, parsed.delisted)
        pd.testing.assert_index_equal(stored.dates, parsed.dates, exact=True)
    assert [again.resolve(t, "2014-04-01").permtick for t in ("GOOG", "GOOGL", "FB")] == \
        [first.resolve(t, "2014-04-01").permtick for t in ("GOOG", "GOOGL", "FB")]
    monkeypatch.undo()
    # a file added (written atomically, as the data writers do) is seen by the next call
    (maps / "new.tmp").write_text("20200102,abc,Q\n20501231,new,Q\n")
    os.replace(maps / "new.tmp", maps / "new.csv")
    assert map_files.load_resolver(folder, cache).resolve("ABC").permtick == "NEW"


def test_a_relative_data_folder_is_the_folder_under_the_working_directory(folder, tmp_path, monkeypatch):
    earlier = time.time_ns() - 60 * 10**9
    maps = formats.map_files_folder(folder)
    os.utime(maps, ns=(earlier, earlier))
    absolute = map_files.load_resolver(folder, tmp_path / "cache")
    monkeypatch.chdir(folder.parent)
    assert map_files.load_resolver(folder.name, tmp_path / "cache") is absolute
    # elsewhere the same relative name is another folder: no map files there, nothing resolves
    monkeypatch.chdir(tmp_path.parent)
    assert map_files.load_resolver(folder.name, tmp_path / "cache").resolve("GOOG") is None


def test_goog_resolves_by_date_in_leans_sample_data(lean_data_folder):
    resolver = map_files.load_resolver(lean_data_folder)
    assert resolver.resolve("GOOG", "2014-04-01").permtick == "GOOGL"
    assert resolver.resolve("GOOG").permtick == "GOOG"
    assert resolver.resolve("UW").permtick == resolver.resolve("WMI").permtick == "WM"
    googl = resolver.resolve_sid("GOOG T1AZ164W5VTX")
    bars = map_files.read_bars(lean_data_folder, googl.segments())
    # goog.zip holds class A's bars until the rename, googl.zip class A's after
    assert bars.loc["2014-04-02", "close"] == 1135.10
    assert bars.loc["2014-04-03", "close"] == 571.50
    assert bars.index[0] == pd.Timestamp("2004-08-19") and bars.index.is_monotonic_increasing


@pytest.mark.parametrize(("last", "delisted"), [("2012-05-01", "2012-05-01"), ("2049-12-31", "2049-12-31"),
                                                ("2050-01-01", None), ("2050-12-31", None)])
def test_a_map_files_last_row_before_the_far_futures_year_is_its_delisting(last, delisted):
    map_file = MapFile("AAA", pd.DatetimeIndex(["2010-01-04", last]), ["AAA", "AAA"])
    assert map_file.delisted == (None if delisted is None else pd.Timestamp(delisted))
    assert delisted is None or type(map_file.delisted) is pd.Timestamp
    assert MapFile.unmapped("aaa").delisted is None
