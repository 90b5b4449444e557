"""Importing user OHLCV csv files as LEAN US equities."""

import numpy as np
import pandas as pd
import pytest

from lean_local.data import csv_import as C
from lean_local.data import formats as F
from lean_local.data.formats import DataFormatError

YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,184.53,82488700
2024-01-03,184.22,185.88,183.43,184.25,183.15,58414500
2024-01-04,182.15,183.09,180.88,181.91,181.91,71983600
2024-01-05,181.99,182.76,180.17,181.18,181.18,62303300
"""

STOOQ_LONG = """<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>
MSFT.US,D,20240102,000000,373.86,375.9,366.77,370.87,25258600,0
MSFT.US,D,20240103,000000,369.01,373.26,368.51,370.6,23083500,0
IBM.US,D,20240102,000000,162.83,163.29,160.98,161.5,3200000,0
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yahoo_file_produces_all_lean_files(tmp_path):
    source = _write(tmp_path, "AAPL.csv", YAHOO)
    folder = tmp_path / "data"
    summary = C.import_csv_files(folder, [source])
    assert summary.tickers == ["AAPL"] and summary.bars == 4 and summary.coarse_files == 4

    bars = F.read_equity_daily(F.equity_daily_path(folder, "AAPL"))
    assert list(bars.loc["2024-01-02"]) == [187.15, 188.44, 183.89, 185.64, 82488700.0]

    # adjusted/close: 184.53/185.64 = 0.994021, 183.15/184.25 = 0.994030 (one run), then 1.
    factors = F.factor_file_path(folder, "AAPL").read_text()
    assert factors == "20240102,0.9940253,1,1\n20240103,0.9940253,1,184.25\n20501231,1,1,0"
    adjusted = bars["close"].to_numpy() * F.adjustment_factors(
        F.read_factor_file(F.factor_file_path(folder, "AAPL")), bars.index
    )
    np.testing.assert_allclose(adjusted, [184.53, 183.15, 181.91, 181.18], atol=0.002)

    assert F.map_file_path(folder, "AAPL").read_text() == "20240102,aapl,Q\n20501231,aapl,Q\n"
    coarse = F.read_coarse(F.coarse_path(folder, "2024-01-03"))
    row = coarse.iloc[0]
    assert row["sid"] == F.equity_sid("AAPL", "2024-01-02")
    assert (row["symbol"], row["close"], row["volume"]) == ("AAPL", 184.25, 58414500.0)
    assert row["dollar_volume"] == np.floor(184.25 * 58414500)
    assert not row["has_fundamental_data"]
    assert row["price_factor"] == 0.9940253


def test_stooq_long_file_and_delisting(tmp_path):
    source = _write(tmp_path, "prices.txt", STOOQ_LONG)
    folder = tmp_path / "data"
    summary = C.import_csv_files(folder, [source])
    assert summary.tickers == ["MSFT", "IBM"]
    # IBM ends on 2024-01-02, before the data end 2024-01-03: delisted that day.
    assert F.map_file_path(folder, "IBM").read_text() == "20240102,ibm,Q\n"
    assert F.map_file_path(folder, "MSFT").read_text() == "20240102,msft,Q\n20501231,msft,Q\n"
    assert F.factor_file_path(folder, "MSFT").read_text() == "20240102,1,1,1\n20501231,1,1,0"
    first = F.read_coarse(F.coarse_path(folder, "2024-01-02"))
    assert list(first["symbol"]) == ["IBM", "MSFT"]


def test_coarse_merges_with_other_tickers(tmp_path):
    folder = tmp_path / "data"
    C.import_csv_files(folder, [_write(tmp_path, "prices.txt", STOOQ_LONG)])
    C.import_csv_files(folder, [_write(tmp_path, "AAPL.csv", YAHOO)])
    day = F.read_coarse(F.coarse_path(folder, "2024-01-02"))
    assert sorted(day["symbol"]) == ["AAPL", "IBM", "MSFT"]
    # Re-importing a ticker replaces its rows rather than duplicating them.
    C.import_csv_files(folder, [_write(tmp_path, "AAPL.csv", YAHOO)])
    assert len(F.read_coarse(F.coarse_path(folder, "2024-01-02"))) == 3


def test_generic_export_with_ticker_override_and_descending_dates(tmp_path):
    text = "TIMESTAMP,open,HIGH,low,Close,Vol\n01/03/2024,10,11,9,10.5,100\n01/02/2024,10,10,10,10,0\n"
    source = _write(tmp_path, "export.csv", text)
    C.import_csv_files(tmp_path / "d", [source], ticker="xyz")
    bars = F.read_equity_daily(F.equity_daily_path(tmp_path / "d", "XYZ"))
    assert list(bars.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert list(bars["close"]) == [10.0, 10.5]


def test_factor_rows_cut_runs_at_dividends():
    dates = pd.bdate_range("2024-01-01", periods=6)
    close = pd.Series([100.0, 101, 102, 103, 104, 105], index=dates)
    adjusted = close * np.array([0.98, 0.98, 0.99, 0.99, 1.0, 1.0])
    rows = C.factor_rows(close, adjusted)
    assert list(rows.index) == [dates[0], dates[1], dates[3], F.FAR_FUTURE]
    assert list(rows["price_factor"]) == [0.98, 0.98, 0.99, 1.0]
    assert list(rows["reference_price"]) == [1.0, 101.0, 103.0, 0.0]
    np.testing.assert_allclose(close * F.adjustment_factors(rows, dates), adjusted)


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        (
            "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-03,1,2,1,abc,10\n",
            3,
            "close: not a number",
        ),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-03,1,2,1,2\n", 3, "too few fields"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-03,1,2,1,2,10,7\n", 3, "malformed"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-02,1,2,1,2,10\n", 3, "duplicated"),
        (
            "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-04,1,2,1,2,10\n2024-01-03,1,2,1,2,10\n",
            4,
            "out of order",
        ),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-03,0,2,0,2,10\n", 3, "positive"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,-1,2,1,2,10\n", 2, "positive"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,-10\n", 2, "volume is negative"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,1.5,1,2,10\n", 2, "high is below"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1.5,2,10\n", 2, "low is above"),
        (
            "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-13-45,1,2,1,2,10\n",
            3,
            "date: cannot read",
        ),
        ("Date,Open,High,Low,Close\n2024-01-02,1,2,1,2\n", 1, "missing columns ['volume']"),
        ("Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,1,2,0,10\n", 2, "adjusted close"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,null,10\n", 2, "close: not a number"),
    ],
)
def test_bad_input_names_file_and_line_and_writes_nothing(tmp_path, text, line, fragment):
    source = _write(tmp_path, "BAD.csv", text)
    folder = tmp_path / "data"
    with pytest.raises(DataFormatError) as info:
        C.import_csv_files(folder, [source])
    assert info.value.path == str(source)
    assert info.value.line == line
    assert fragment in info.value.message
    assert not folder.exists()


def test_second_file_error_stops_before_any_write(tmp_path):
    good = _write(tmp_path, "AAPL.csv", YAHOO)
    bad = _write(tmp_path, "MSFT.csv", "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,x,10\n")
    with pytest.raises(DataFormatError):
        C.import_csv_files(tmp_path / "data", [good, bad])
    assert not (tmp_path / "data").exists()


def test_corrupt_existing_coarse_file_stops_before_any_write(tmp_path):
    folder = tmp_path / "data"
    broken = F.coarse_path(folder, "2024-01-03")
    broken.parent.mkdir(parents=True)
    broken.write_text("SPY R735QTJ8XC9X,SPY,oops,1,1,False,1,1\n")
    with pytest.raises(DataFormatError) as info:
        C.import_csv_files(folder, [_write(tmp_path, "AAPL.csv", YAHOO)])
    assert info.value.path == str(broken)
    assert not F.equity_daily_path(folder, "AAPL").exists()


def test_unknown_tickers_are_reported(tmp_path):
    source = _write(tmp_path, "prices.txt", STOOQ_LONG)
    with pytest.raises(ValueError, match="not found in the input files: TSLA"):
        C.import_csv_files(tmp_path / "data", [source], tickers=["MSFT", "TSLA"])
    summary = C.import_csv_files(tmp_path / "data", [source], tickers=["msft"])
    assert summary.tickers == ["MSFT"]
    assert not F.equity_daily_path(tmp_path / "data", "IBM").exists()
