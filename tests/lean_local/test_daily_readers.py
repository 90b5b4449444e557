"""A run's securities read by ``lean_local.engine.daily_readers``: LEAN's ``SecurityIdentifier`` strings, and an
equity's subscription read back from the parsed-data cache."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lean_local.engine.common import DataNormalizationMode, SecurityType, Symbol
from lean_local.engine.daily_readers import load_equity, security_identifier, security_identifiers
from tests import fixtures


def test_security_identifiers_take_the_map_files_first_ticker_and_date_or_leans_default_date(tmp_path):
    """SPY's map file starts on 1998-01-02: LEAN's ``SPY R735QTJ8XC9X``; a ticker without a map file and a
    forex pair take day 0 (usa market 1 x 100 + equity 1 = 101 = ``2T`` in base 36; oanda 3 x 100 + forex
    4 = 304 = ``8G``); a renamed equity takes its map file's first ticker."""
    map_files = tmp_path / "equity" / "usa" / "map_files"
    map_files.mkdir(parents=True)
    (map_files / "spy.csv").write_text("19980102,spy,P\n20501231,spy,P\n")
    (map_files / "new.csv").write_text("19980102,old,P\n20100104,new,P\n20501231,new,P\n")
    symbols = [Symbol("SPY"), Symbol("ZZZ"), Symbol("EURUSD", SecurityType.FOREX, "oanda"), Symbol("NEW")]
    identifiers = security_identifiers(tmp_path, symbols)
    assert identifiers == ["SPY R735QTJ8XC9X", "ZZZ 2T", "EURUSD 8G", "OLD R735QTJ8XC9X"]
    assert [security_identifier(tmp_path, symbol) for symbol in symbols] == identifiers


def _session_times(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    days = dates.normalize().asi8
    return days + 570 * 60 * 10**9, days + 960 * 60 * 10**9  # 09:30 and 16:00


def test_the_cached_record_gives_the_parsed_columns_as_views_of_one_array(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    root = fixtures.data_folder(tmp_path / "data")
    frame = fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.5], volume=1_000.0)
    # a dividend after 2020-01-03: the first two days' prices times 0.9, their volume over it
    fixtures.write_equity(root, "AAA", frame, factors=pd.DataFrame(
        {"price_factor": [0.9, 1.0], "split_factor": [1.0, 1.0]},
        index=pd.DatetimeIndex(["2020-01-03", "2050-12-31"])))
    parsed, cached = (load_equity(root, Symbol("AAA"), DataNormalizationMode.ADJUSTED, _session_times, "test")
                      for _ in range(2))
    # the record in the cache folder, named by its key
    assert cached.record == parsed.record and os.path.dirname(cached.record) == str(tmp_path / "cache")
    assert os.path.exists(cached.record)
    assert cached.factor.tolist() == [0.9, 0.9, 1.0]
    assert cached.fields["close"].tolist() == [10.0 * 0.9, 11.0 * 0.9, 12.5]
    assert cached.fields["volume"].tolist() == [round(1_000.0 / 0.9), round(1_000.0 / 0.9), 1_000.0]
    assert cached.time.tolist() == (pd.DatetimeIndex(["2020-01-02 09:30", "2020-01-03 09:30", "2020-01-06 09:30"])
                                    .asi8.tolist())
    assert cached.end_time.dtype == np.int64 and cached.end_time.tolist() == (cached.time + 390 * 60 * 10**9).tolist()
    for name in ("time", "end_time", "factor", "ohlcv"):
        assert np.array_equal(getattr(cached, name), getattr(parsed, name))
    # one read array holds them all: no column is a copy; the record's file mapped read-only (the parsed
    # subscription's arrays are its own)
    read = _root(cached.ohlcv)
    assert len(read) == 8 * 3
    assert not read.flags.writeable and parsed.ohlcv.flags.writeable
    assert all(_root(column) is read for column in (cached.time, cached.end_time, cached.factor, cached.fields["close"]))


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def test_a_factor_file_written_later_makes_a_new_record_and_raw_prices_ignore_it(tmp_path, monkeypatch):
    """The record's key names each source file by its path, size and modification time: a factor file that
    appears after the first read is a new key (its factors apply: 0.5 before 2020-01-03); RAW prices read
    no factor file and keep the record they had."""
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    root = fixtures.data_folder(tmp_path / "data")
    frame = fixtures.bars(["2020-01-02", "2020-01-03"], [10.0, 11.0], volume=1_000.0)
    fixtures.write_equity(root, "AAA", frame)
    adjusted, raw = (load_equity(root, Symbol("AAA"), mode, _session_times, "test")
                     for mode in (DataNormalizationMode.ADJUSTED, DataNormalizationMode.RAW))
    assert adjusted.fields["close"].tolist() == raw.fields["close"].tolist() == [10.0, 11.0]
    fixtures.write_equity(root, "AAA", frame, factors=pd.DataFrame(
        {"price_factor": [0.5, 1.0], "split_factor": [1.0, 1.0]}, index=pd.DatetimeIndex(["2020-01-02", "2050-12-31"])))
    later, raw_later = (load_equity(root, Symbol("AAA"), mode, _session_times, "test")
                        for mode in (DataNormalizationMode.ADJUSTED, DataNormalizationMode.RAW))
    assert later.record != adjusted.record and later.fields["close"].tolist() == [5.0, 11.0]
    assert raw_later.fields["close"].tolist() == [10.0, 11.0]
