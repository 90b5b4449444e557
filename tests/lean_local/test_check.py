"""`lean-local data check`: problems found, with file and line."""

import zipfile

import pandas as pd

from lean_local.data import formats as F
from lean_local.data.check import check_data_folder


def _bars(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "open": [10.0, 11.0, 12.0],
            "high": [11.0, 12.0, 13.0],
            "low": [9.0, 10.0, 11.0],
            "close": [10.5, 11.5, 12.5],
            "volume": [1.0, 2.0, 3.0],
        },
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="date"),
    )
    for column, (row, value) in overrides.items():
        frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


def _good_folder(folder):
    F.write_equity_daily(F.equity_daily_path(folder, "AAA"), _bars())
    factors = pd.DataFrame(
        {"price_factor": [0.9, 1.0], "split_factor": [1.0, 1.0], "reference_price": [11.5, 0.0]},
        index=pd.DatetimeIndex(["2024-01-03", "2050-12-31"]),
    )
    F.write_factor_file(F.factor_file_path(folder, "AAA"), factors)
    F.write_map_file(
        F.map_file_path(folder, "AAA"),
        pd.DataFrame(
            {"ticker": ["aaa", "aaa"], "exchange": ["Q", "Q"]},
            index=pd.DatetimeIndex(["2024-01-02", "2050-12-31"]),
        ),
    )
    F.write_coarse(
        F.coarse_path(folder, "2024-01-02"),
        pd.DataFrame(
            {"sid": [F.equity_sid("AAA", "2024-01-02")], "symbol": ["AAA"], "close": [10.5], "volume": [1.0]}
        ),
    )


def test_clean_folder_passes(tmp_path):
    _good_folder(tmp_path)
    report = check_data_folder(tmp_path)
    assert report.exit_code == 0
    assert dict(report.counts) == {"equity daily": 1, "factor files": 1, "map files": 1, "coarse": 1}
    assert report.problems == []
    assert report.format().endswith("4 files checked, 0 errors, 0 warnings")


def test_lean_sample_folder_passes(lean_data_folder):
    report = check_data_folder(lean_data_folder)
    assert report.errors == []
    assert report.counts["equity daily"] == 21
    assert report.counts["coarse"] == 11


def test_bar_inconsistencies_are_reported_with_lines(tmp_path):
    _good_folder(tmp_path)
    F.write_equity_daily(F.equity_daily_path(tmp_path, "BBB"), _bars(high=(1, 11.2)))  # high < close 11.5
    F.write_equity_daily(F.equity_daily_path(tmp_path, "CCC"), _bars(low=(2, 12.1)))  # low > open 12
    F.write_equity_daily(F.equity_daily_path(tmp_path, "DDD"), _bars(open=(0, 0.0), low=(0, 0.0)))
    report = check_data_folder(tmp_path)
    assert report.exit_code == 1
    messages = sorted(str(p) for p in report.problems)
    assert messages == sorted(
        [
            f"{F.equity_daily_path(tmp_path, 'BBB')}:2: 2024-01-03: high is below open or close",
            f"{F.equity_daily_path(tmp_path, 'CCC')}:3: 2024-01-04: low is above open or close",
            f"{F.equity_daily_path(tmp_path, 'DDD')}:1: 2024-01-02: prices must be positive",
        ]
    )


def test_unreadable_and_malformed_files(tmp_path):
    _good_folder(tmp_path)
    broken = F.equity_daily_path(tmp_path, "ZIP")
    broken.write_bytes(b"garbage")
    unsorted = F.equity_daily_path(tmp_path, "UNS")
    with zipfile.ZipFile(unsorted, "w") as archive:
        archive.writestr("uns.csv", "20240103 00:00,1,2,1,2,5\n20240102 00:00,1,2,1,2,5")
    F.factor_file_path(tmp_path, "BAD").write_text("20240102,0.9,1,1\n20240101,0.8,1,1\n")
    F.map_file_path(tmp_path, "EMPTY").write_text("")
    F.coarse_path(tmp_path, "2024-01-03").write_text("AAA X,AAA,abc,1,1,False,1,1\n")
    (F.coarse_folder(tmp_path) / "notes.csv").write_text("")
    report = check_data_folder(tmp_path)
    found = {(p.path, p.line): p.message for p in report.errors}
    assert "unreadable" in found[(str(broken), 0)]
    assert "out of order" in found[(str(unsorted), 2)]
    assert "out of order" in found[(str(F.factor_file_path(tmp_path, "BAD")), 2)]
    assert "empty" in found[(str(F.map_file_path(tmp_path, "EMPTY")), 0)]
    assert "close: not a number" in found[(str(F.coarse_path(tmp_path, "2024-01-03")), 1)]
    assert "YYYYMMDD" in found[(str(F.coarse_folder(tmp_path) / "notes.csv"), 0)]
    assert len(report.errors) == 6
    assert report.exit_code == 1


def test_warnings_do_not_fail(tmp_path):
    _good_folder(tmp_path)
    F.write_map_file(
        F.map_file_path(tmp_path, "AAA"),
        pd.DataFrame(
            {"ticker": ["aaa", "aaa"], "exchange": ["Q", "Q"]},
            index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"]),
        ),
    )
    report = check_data_folder(tmp_path)
    assert report.exit_code == 0
    assert [p.message for p in report.warnings] == [
        "daily data runs to 2024-01-04, after the map file's last row 20240103"
    ]
    assert "warning: daily data" in report.format()


def test_forex_bid_and_ask_checked(tmp_path):
    index = pd.DatetimeIndex(["2024-01-02"], name="date")
    quote = pd.DataFrame({c: [1.1] for c in F.QUOTE_COLUMNS}, index=index)
    quote["bid_size"] = quote["ask_size"] = 0.0
    quote["ask_high"] = 1.05
    F.write_forex_daily(F.forex_daily_path(tmp_path, "EURUSD"), quote)
    report = check_data_folder(tmp_path)
    assert [p.message for p in report.errors] == ["2024-01-02: ask high is below open or close"]


def test_missing_folder(tmp_path):
    report = check_data_folder(tmp_path / "nope")
    assert report.exit_code == 1
    assert "not found" in report.errors[0].message
