"""`lean-local data ...` command line: parsing, defaults, exit codes, messages."""

import argparse
import json
import zipfile

import pytest

from lean_local.data import cli
from lean_local.data import formats as F


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lean-local")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture()
def ecb_source(tmp_path):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "eurofxref-hist.csv",
            "Date,USD,JPY,GBP,CAD,\n2020-01-03,1.1147,121.2,0.85,1.4488,\n2020-01-02,1.1193,121.75,0.84828,1.4549,\n",
        )
    return path


@pytest.mark.parametrize("command", ["ecb-fx", "vix", "csv", "check", "lean-sample"])
def test_each_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as info:
        _run(["data", command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"lean-local data {command}" in out
    assert "--data-folder" in out


def test_ecb_fx_writes_into_workspace_data_folder(tmp_path, monkeypatch, ecb_source, capsys):
    (tmp_path / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    monkeypatch.chdir(tmp_path)
    assert _run(["data", "ecb-fx", "--source", str(ecb_source), "--pairs", "EURUSD,USDJPY", "GBPUSD"]) == 0
    for pair in ("eurusd", "usdjpy", "gbpusd"):
        assert (tmp_path / "data" / "forex" / "oanda" / "daily" / f"{pair}.zip").exists()
    assert (tmp_path / "data" / "market-hours" / "market-hours-database.json").exists()
    assert "USDJPY: 2 daily bars" in capsys.readouterr().out


def test_ecb_fx_unknown_currency_exits_1_with_file_and_line(tmp_path, ecb_source, capsys):
    code = _run(
        [
            "data",
            "ecb-fx",
            "--source",
            str(ecb_source),
            "--pairs",
            "EURNZD",
            "--data-folder",
            str(tmp_path / "d"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {ecb_source}:1: currency NZD of EURNZD is not in the ECB file")
    assert not (tmp_path / "d").exists()


def test_ecb_fx_rejects_negative_spread(tmp_path, ecb_source, capsys):
    code = _run(
        ["data", "ecb-fx", "--source", str(ecb_source), "--spread-pips", "-1", "--data-folder", str(tmp_path)]
    )
    assert code == 1
    assert "non-negative" in capsys.readouterr().err


def test_vix_from_file_and_bad_file(tmp_path, capsys):
    good = tmp_path / "VIX_History.csv"
    good.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n")
    assert _run(["data", "vix", str(good), "--data-folder", str(tmp_path / "d")]) == 0
    assert F.read_index_daily(F.index_daily_path(tmp_path / "d", "VIX")).loc["2020-01-02", "close"] == 12.47
    bad = tmp_path / "bad.csv"
    bad.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,1,2,x,1\n")
    assert _run(["data", "vix", str(bad), "--data-folder", str(tmp_path / "e")]) == 1
    assert f"{bad}:3: low: not a number" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_vix_needs_a_source():
    with pytest.raises(SystemExit) as info:
        _run(["data", "vix"])
    assert info.value.code == 2


def test_csv_then_check(tmp_path, capsys):
    source = tmp_path / "SPY.csv"
    source.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,472.16,473.67,470.49,472.65,123623700\n")
    folder = tmp_path / "d"
    assert _run(["data", "csv", str(source), "--data-folder", str(folder)]) == 0
    assert "imported 1 tickers (SPY), 1 bars, 1 coarse files" in capsys.readouterr().out
    assert _run(["data", "check", "--data-folder", str(folder)]) == 0
    assert "0 errors" in capsys.readouterr().out
    F.coarse_path(folder, "2024-01-03").write_text("SPY R735QTJ8XC9X,SPY,1,1\n")
    assert _run(["data", "check", "--data-folder", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{F.coarse_path(folder, '2024-01-03')}:1: expected 8 comma-separated fields, found 4" in out


def test_csv_unknown_ticker_exits_1(tmp_path, capsys):
    source = tmp_path / "SPY.csv"
    source.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,472.16,473.67,470.49,472.65,123623700\n")
    assert _run(["data", "csv", str(source), "--tickers", "QQQ", "--data-folder", str(tmp_path / "d")]) == 1
    assert "QQQ" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_progress_is_quiet_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    items = [1, 2, 3]
    assert cli.progress_bar(items, desc="x") is items
