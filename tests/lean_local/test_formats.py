"""LEAN data file formats: readers, writers, validation errors, adjustment factors."""

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.data import formats as F
from lean_local.data.formats import DataFormatError


def _zip(path: Path, name: str, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return path


def _bars() -> pd.DataFrame:
    index = pd.DatetimeIndex(["2013-10-08", "2013-10-09", "2013-10-10"], name="date")
    return pd.DataFrame(
        {
            "open": [143.73, 143.3724, 144.1],
            "high": [144.0, 144.5, 145.25],
            "low": [142.01, 142.5, 143.0],
            "close": [143.5, 144.0, 145.0],
            "volume": [1000.0, 2000.0, 0.0],
        },
        index=index,
    )


# ------------------------------------------------------------------------------------------
# paths


def test_paths_follow_lean_layout(tmp_path):
    assert F.equity_daily_path(tmp_path, "SPY") == tmp_path / "equity/usa/daily/spy.zip"
    assert F.factor_file_path(tmp_path, "SPY") == tmp_path / "equity/usa/factor_files/spy.csv"
    assert F.map_file_path(tmp_path, "SPY") == tmp_path / "equity/usa/map_files/spy.csv"
    assert F.coarse_path(tmp_path, "2014-03-24") == tmp_path / "equity/usa/fundamental/coarse/20140324.csv"
    assert F.forex_daily_path(tmp_path, "EURUSD") == tmp_path / "forex/oanda/daily/eurusd.zip"
    assert F.index_daily_path(tmp_path, "VIX") == tmp_path / "index/usa/daily/vix.zip"
    assert F.cboe_path(tmp_path) == tmp_path / "alternative/cboe/vix.csv"
    assert F.interest_rate_path(tmp_path) == tmp_path / "alternative/interest-rate/usa/interest-rate.csv"


# ------------------------------------------------------------------------------------------
# equity


def test_equity_writer_writes_lean_integers(tmp_path):
    path = tmp_path / "spy.zip"
    F.write_equity_daily(path, _bars())
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["spy.csv"]
        text = archive.read("spy.csv").decode()
    assert text.split("\n")[0] == "20131008 00:00,1437300,1440000,1420100,1435000,1000"
    assert text.split("\n")[1] == "20131009 00:00,1433724,1445000,1425000,1440000,2000"
    assert not text.endswith("\n")


def test_equity_round_trip(tmp_path):
    path = tmp_path / "x.zip"
    F.write_equity_daily(path, _bars())
    back = F.read_equity_daily(path)
    pd.testing.assert_frame_equal(back, _bars(), check_freq=False)
    assert back.index.name == "date"
    assert all(dtype == np.float64 for dtype in back.dtypes)


def test_equity_reader_scales_lean_sample(lean_data_folder):
    spy = F.read_equity_daily(F.equity_daily_path(lean_data_folder, "SPY"))
    # 20131009 00:00,1658200,1662000,1645300,1655700,143898404
    row = spy.loc["2013-10-09"]
    assert row["open"] == pytest.approx(165.82)
    assert row["low"] == pytest.approx(164.53)
    assert row["volume"] == 143898404
    assert spy.index[0] == pd.Timestamp("1998-01-02")
    assert spy.index.is_monotonic_increasing


@pytest.mark.parametrize(
    "kind, name",
    [("equity", "spy"), ("equity", "aapl"), ("equity", "ibm"), ("forex", "eurusd"), ("forex", "gbpusd")],
)
def test_rewrite_of_lean_zip_is_byte_identical(lean_data_folder, tmp_path, kind, name):
    if kind == "equity":
        source = F.equity_daily_path(lean_data_folder, name)
        F.write_equity_daily(tmp_path / f"{name}.zip", F.read_equity_daily(source))
    else:
        source = F.forex_daily_path(lean_data_folder, name)
        F.write_forex_daily(tmp_path / f"{name}.zip", F.read_forex_daily(source))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(tmp_path / f"{name}.zip") as ours:
        assert ours.read(f"{name}.csv") == original.read(f"{name}.csv")


@pytest.mark.parametrize(
    "kind, name",
    [
        ("factor_files", "spy.csv"),
        ("factor_files", "ibm.csv"),
        ("map_files", "aapl.csv"),
        ("map_files", "goog.csv"),
        ("map_files", "twx.1.csv"),
        ("fundamental/coarse", "20140324.csv"),
        ("fundamental/coarse", "20140407.csv"),
    ],
)
def test_rewrite_of_lean_csv_is_byte_identical(lean_data_folder, tmp_path, kind, name):
    source = lean_data_folder / "equity" / "usa" / kind / name
    reader, writer = {
        "factor_files": (F.read_factor_file, F.write_factor_file),
        "map_files": (F.read_map_file, F.write_map_file),
        "fundamental/coarse": (F.read_coarse, F.write_coarse),
    }[kind]
    writer(tmp_path / name, reader(source))
    assert (tmp_path / name).read_bytes() == source.read_bytes()


# ------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        ("20131008 00:00,1,2,3,4,5\n20131009 00:00,1,2,3,4\n", 2, "expected 6"),
        ("20131008 00:00,1,2,3,4,5\n20131009 00:00,1,2,3,4,5,6\n", 2, "expected 6"),
        ("20131008 00:00,1,2,3,4,5\n20131009 00:00,1,x,3,4,5\n", 2, "high: not a number"),
        ("20131008 00:00,1,2,3,4,5\n20131009 00:00,1,,3,4,5\n", 2, "high: not a number"),
        ("20131008 00:00,1,2,3,4,5\n20131008 00:00,1,2,3,4,5\n", 2, "duplicated"),
        ("20131009 00:00,1,2,3,4,5\n20131010 00:00,1,2,3,4,5\n20131008 00:00,1,2,3,4,5", 3, "out of order"),
        ("20131008 00:00,1,2,3,4,5\n20131009 00:00,1,2,-3,4,5\n", 2, "low is negative"),
        ("20131008 00:00,1,2,3,4,5\n2013-10-09,1,2,3,4,5\n", 2, "not a date"),
        ("20131008 00:00,1,2,3,4,5\n20130230 00:00,1,2,3,4,5\n", 2, "not a date"),
        ("20131008 00:00,1,2,3,4,5\n\n20131009 00:00,1,2,3,4,nan\n", 3, "volume: not a number"),
    ],
)
def test_equity_reader_names_file_and_line(tmp_path, body, line, fragment):
    path = _zip(tmp_path / "bad.zip", "bad.csv", body)
    with pytest.raises(DataFormatError) as info:
        F.read_equity_daily(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line
    assert fragment in error.message
    assert str(error) == f"{path}:{line}: {error.message}"


def test_blank_lines_are_skipped_like_lean(tmp_path):
    path = _zip(
        tmp_path / "ok.zip",
        "ok.csv",
        "20131008 00:00,10000,20000,10000,20000,5\n\n20131009 00:00,1,2,1,2,5\n",
    )
    frame = F.read_equity_daily(path)
    assert list(frame["close"]) == [2.0, 0.0002]


def test_corrupt_zip_is_line_zero(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(DataFormatError) as info:
        F.read_equity_daily(path)
    assert info.value.line == 0
    assert "unreadable" in info.value.message


def test_missing_file_is_a_data_format_error(tmp_path):
    with pytest.raises(DataFormatError, match="file not found"):
        F.read_factor_file(tmp_path / "none.csv")


def test_writers_refuse_bad_frames(tmp_path):
    bad = _bars()
    bad.iloc[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        F.write_equity_daily(tmp_path / "a.zip", bad)
    unsorted = _bars().iloc[::-1]
    with pytest.raises(ValueError, match="increasing"):
        F.write_equity_daily(tmp_path / "a.zip", unsorted)
    with pytest.raises(ValueError, match="missing columns"):
        F.write_equity_daily(tmp_path / "a.zip", _bars().drop(columns="volume"))
    assert not (tmp_path / "a.zip").exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with F.atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"]
    with F.atomic_write(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


# ------------------------------------------------------------------------------------------
# forex, index


def test_forex_round_trip_and_format(tmp_path):
    index = pd.DatetimeIndex(["2007-01-01", "2007-01-02"], name="date")
    frame = pd.DataFrame(
        {
            "bid_open": [1.31927, 1.32095],
            "bid_high": [1.32125, 1.32957],
            "bid_low": [1.3187, 1.32083],
            "bid_close": [1.32095, 1.32736],
            "bid_size": [0.0, 0.0],
            "ask_open": [1.32027, 1.32195],
            "ask_high": [1.32225, 1.32972],
            "ask_low": [1.3197, 1.32183],
            "ask_close": [1.32195, 1.32751],
            "ask_size": [0.0, 0.0],
        },
        index=index,
    )
    path = tmp_path / "eurusd.zip"
    F.write_forex_daily(path, frame)
    with zipfile.ZipFile(path) as archive:
        first = archive.read("eurusd.csv").decode().split("\n")[0]
    assert first == "20070101 00:00,1.31927,1.32125,1.3187,1.32095,0,1.32027,1.32225,1.3197,1.32195,0"
    pd.testing.assert_frame_equal(F.read_forex_daily(path), frame, check_freq=False)


def test_index_round_trip(tmp_path):
    frame = _bars()
    frame["volume"] = 0.0
    F.write_index_daily(tmp_path / "vix.zip", frame, decimals=4)
    pd.testing.assert_frame_equal(F.read_index_daily(tmp_path / "vix.zip"), frame, check_freq=False)


# ------------------------------------------------------------------------------------------
# factor and map files, adjustment


def test_factor_file_format_and_round_trip(tmp_path):
    frame = pd.DataFrame(
        {
            "price_factor": [0.6566606, 0.9, 1.0],
            "split_factor": [0.5, 1.0, 1.0],
            "reference_price": [109.34, 61.0, 0.0],
        },
        index=pd.DatetimeIndex(["1998-01-02", "2000-03-01", "2050-12-31"], name="date"),
    )
    path = tmp_path / "x.csv"
    F.write_factor_file(path, frame)
    assert path.read_text() == "19980102,0.6566606,0.5,109.34\n20000301,0.9000000,1,61\n20501231,1,1,0"
    pd.testing.assert_frame_equal(F.read_factor_file(path), frame)


def test_factor_file_rejects_zero_factor(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("19980102,0.5,1,1\n19990102,0,1,1\n")
    with pytest.raises(DataFormatError) as info:
        F.read_factor_file(path)
    assert info.value.line == 2


def test_map_file_round_trip(tmp_path):
    frame = pd.DataFrame(
        {"ticker": ["goocv", "goocv", "goog"], "exchange": ["Q", "Q", "Q"]},
        index=pd.DatetimeIndex(["2014-03-27", "2014-04-02", "2050-12-31"], name="date"),
    )
    F.write_map_file(tmp_path / "m.csv", frame)
    assert (tmp_path / "m.csv").read_text() == "20140327,goocv,Q\n20140402,goocv,Q\n20501231,goog,Q\n"
    pd.testing.assert_frame_equal(F.read_map_file(tmp_path / "m.csv"), frame)


def test_adjustment_factors_use_earliest_row_on_or_after_bar():
    factors = pd.DataFrame(
        {
            "price_factor": [0.5, 0.8, 1.0],
            "split_factor": [0.25, 1.0, 1.0],
            "reference_price": [0.0, 0.0, 0.0],
        },
        index=pd.DatetimeIndex(["2000-01-10", "2000-02-10", "2050-12-31"]),
    )
    dates = pd.DatetimeIndex(
        ["2000-01-03", "2000-01-10", "2000-01-11", "2000-02-10", "2000-02-11", "2051-01-01"]
    )
    np.testing.assert_allclose(F.adjustment_factors(factors, dates), [0.125, 0.125, 0.8, 0.8, 1.0, 1.0])
    np.testing.assert_array_equal(F.adjustment_factors(None, dates), np.ones(6))


def test_adjusted_spy_open_matches_lean_fill(lean_data_folder):
    # LEAN's BasicTemplateDailyAlgorithm fills at the Oct 9 2013 adjusted open 143.3724.
    spy = F.read_equity_daily(F.equity_daily_path(lean_data_folder, "SPY"))
    factors = F.read_factor_file(F.factor_file_path(lean_data_folder, "SPY"))
    day = pd.DatetimeIndex(["2013-10-09"])
    adjusted = spy.loc[day, "open"].to_numpy() * F.adjustment_factors(factors, day)
    assert adjusted[0] == pytest.approx(143.3724, abs=5e-5)


# ------------------------------------------------------------------------------------------
# coarse


def _coarse(closes) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sid": ["AAA R735QTJ8XC9X", "BBB R735QTJ8XC9Y"],
            "symbol": ["AAA", "BBB"],
            "close": closes,
            "volume": [100.0, 200.0],
            "dollar_volume": [closes[0] * 100, closes[1] * 200],
            "has_fundamental_data": [False, True],
            "price_factor": [1.0, 0.9427413],
            "split_factor": [1.0, 0.5],
        }
    )


def test_coarse_round_trip_and_format(tmp_path):
    path = F.coarse_path(tmp_path, "2014-03-24")
    F.write_coarse(path, _coarse([55.26, 1.2]))
    assert path.read_text() == (
        "AAA R735QTJ8XC9X,AAA,55.26,100,5526,False,1,1\nBBB R735QTJ8XC9Y,BBB,1.2,200,240,True,0.9427413,0.5\n"
    )
    pd.testing.assert_frame_equal(F.read_coarse(path), _coarse([55.26, 1.2]))


@pytest.mark.parametrize("batch_chars", [1, 32 * 2**20])
def test_coarse_range_reads_only_the_range(tmp_path, monkeypatch, batch_chars):
    monkeypatch.setattr(F.coarse, "_COARSE_BATCH_CHARS", batch_chars)
    for day, close in [("2014-03-21", 1.0), ("2014-03-24", 2.0), ("2014-03-25", 3.0), ("2014-03-26", 4.0)]:
        F.write_coarse(F.coarse_path(tmp_path, day), _coarse([close, close * 10]))
    frame = F.read_coarse_range(tmp_path, "2014-03-22", "2014-03-25")
    assert list(frame.columns) == ["date", *F.COARSE_COLUMNS]
    assert list(frame["date"]) == [pd.Timestamp("2014-03-24")] * 2 + [pd.Timestamp("2014-03-25")] * 2
    assert list(frame["close"]) == [2.0, 20.0, 3.0, 30.0]
    assert F.read_coarse_range(tmp_path, "2015-01-01", "2015-12-31").empty


@pytest.mark.parametrize("batch_chars", [1, 32 * 2**20])
def test_coarse_range_names_bad_file_and_line(tmp_path, monkeypatch, batch_chars):
    monkeypatch.setattr(F.coarse, "_COARSE_BATCH_CHARS", batch_chars)
    F.write_coarse(F.coarse_path(tmp_path, "2014-03-24"), _coarse([2.0, 3.0]))
    bad = F.coarse_path(tmp_path, "2014-03-25")
    bad.write_text("AAA R735QTJ8XC9X,AAA,1,1,1,False,1,1\nBBB R735QTJ8XC9Y,BBB,abc,1,1,False,1,1\n")
    with pytest.raises(DataFormatError) as info:
        F.read_coarse_range(tmp_path, "2014-03-24", "2014-03-25")
    assert info.value.path == str(bad)
    assert info.value.line == 2
    assert "close" in info.value.message


def test_coarse_range_reads_lean_sample(lean_data_folder):
    frame = F.read_coarse_range(lean_data_folder, "2014-03-24", "2014-03-25")
    first = F.read_coarse(F.coarse_path(lean_data_folder, "2014-03-24"))
    assert (frame["date"] == pd.Timestamp("2014-03-24")).sum() == len(first)
    aa = first.set_index("symbol").loc["AA"]
    assert aa["sid"] == "AA R735QTJ8XC9X"
    assert aa["close"] == 12.01
    assert aa["split_factor"] == 3.0003


# ------------------------------------------------------------------------------------------
# CBOE and interest rate


def test_cboe_reader_skips_non_digit_lines(tmp_path):
    path = tmp_path / "VIX_History.csv"
    path.write_text(
        "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/1990,17.24,17.24,17.24,17.24\n# note\n01/03/1990,18.19,18.19,18.19,18.19\n"
    )
    frame = F.read_cboe_csv(path)
    assert list(frame.index) == [pd.Timestamp("1990-01-02"), pd.Timestamp("1990-01-03")]
    assert list(frame["close"]) == [17.24, 18.19]
    F.write_cboe_csv(tmp_path / "vix.csv", frame)
    assert (tmp_path / "vix.csv").read_text().split("\n")[:2] == [
        "DATE,OPEN,HIGH,LOW,CLOSE",
        "01/02/1990,17.240000,17.240000,17.240000,17.240000",
    ]
    pd.testing.assert_frame_equal(F.read_cboe_csv(tmp_path / "vix.csv"), frame)


def test_cboe_reader_reports_real_line(tmp_path):
    path = tmp_path / "VIX_History.csv"
    path.write_text(
        "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/1990,17.24,17.24,17.24,17.24\n\n01/03/1990,18.19,x,18.19,18.19\n"
    )
    with pytest.raises(DataFormatError) as info:
        F.read_cboe_csv(path)
    assert info.value.line == 4


def test_interest_rate_reader_and_writer(lean_data_folder, tmp_path):
    rates = F.read_interest_rate(F.interest_rate_path(lean_data_folder))
    assert rates.index[0] == pd.Timestamp("2003-01-09")
    assert rates.iloc[0] == 2.25  # percent, as stored
    assert rates.loc["2023-07-27"] == 5.5
    F.write_interest_rate(tmp_path / "r.csv", rates)
    assert (tmp_path / "r.csv").read_text().split("\n")[:2] == ["DATE,PCREDIT8", "2003-01-09,2.25"]
    pd.testing.assert_series_equal(F.read_interest_rate(tmp_path / "r.csv"), rates)


def test_equity_sid_matches_lean_coarse_files():
    # From LEAN's coarse files: SPY and AAPL date from 1998-01-02, QQQ listed 1999-03-10.
    assert F.equity_sid("SPY", "1998-01-02") == "SPY R735QTJ8XC9X"
    assert F.equity_sid("aapl", pd.Timestamp("1998-01-02")) == "AAPL R735QTJ8XC9X"
    assert F.equity_sid("QQQ", "1999-03-10") == "QQQ RIWIV7K5Z9LX"


def test_decimal_strings_normalize_like_lean():
    assert F.formatting.decimal_strings([1.0, 10.0, 100.5, 0.0, -0.0, 1.23456789, 2.675], 4) == [
        "1",
        "10",
        "100.5",
        "0",
        "0",
        "1.2346",
        "2.675",
    ]
    assert F.formatting.decimal_strings([100.0, 5.4], 0) == ["100", "5"]
