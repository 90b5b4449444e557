"""End-to-end: ``lean-local backtest`` on LEAN's sample data and on generated data folders."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lean_local.cli import main
from tests import fixtures
from tests.lean_local.basic_template_daily import BASIC_TEMPLATE_DAILY, LEAN_STATISTICS


def _result(output: Path) -> dict:
    [path] = [p for p in output.glob("1*.json") if "-" not in p.stem]
    return json.loads(path.read_text())


@pytest.mark.slow
def test_basic_template_daily_matches_lean(tmp_path, lean_data_folder, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    project = fixtures.write_workspace(tmp_path, lean_data_folder, BASIC_TEMPLATE_DAILY, project="basic")
    output = tmp_path / "out"
    assert main(["backtest", str(project), "--output", str(output)]) == 0
    result = _result(output)
    assert {k: result["statistics"][k] for k in LEAN_STATISTICS} == LEAN_STATISTICS
    [order] = result["orders"].values() if isinstance(result["orders"], dict) else result["orders"]
    assert order["quantity"] == 697
    assert order["price"] == pytest.approx(143.3724, abs=5e-5)  # the Oct 9 adjusted open
    assert result["state"]["Status"] == "Completed"
    printed = capsys.readouterr().out
    assert "104486.22" in printed and "Sharpe Ratio" in printed


RAISES = '''
from AlgorithmImports import *


class Raises(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)

    def on_data(self, data):
        if self.time.day == 7:
            raise ValueError("boom on the 7th")
        if not self.portfolio.invested:
            self.set_holdings("AAA", 0.5)
'''


def _small_folder(root: Path) -> Path:
    folder = fixtures.data_folder(root / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]
    fixtures.write_equity(folder, "AAA", fixtures.bars(days, [10, 11, 12, 13, 14, 15, 16]))
    return folder


def test_algorithm_exception_writes_partial_results_and_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = _small_folder(tmp_path)
    project = fixtures.write_workspace(tmp_path, folder, RAISES)
    output = tmp_path / "out"
    assert main(["backtest", str(project), "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert "main.py" in err and "boom on the 7th" in err
    result = _result(output)
    assert result["state"]["Status"] == "RuntimeError"
    assert "boom on the 7th" in result["state"]["RuntimeError"]
    assert len(result["orders"]) == 1  # the order placed on the 2nd, before the failure


BUY = '''
from AlgorithmImports import *


class Buy(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)
        self.add_equity("MISSING", Resolution.DAILY)

    def on_data(self, data):
        self.debug(f"keys {sorted(str(k) for k in data.keys())}")
        if not self.portfolio.invested:
            self.set_holdings("AAA", 0.5)
'''


def test_missing_data_file_warns_and_runs(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = _small_folder(tmp_path)
    project = fixtures.write_workspace(tmp_path, folder, BUY)
    output = tmp_path / "out"
    with caplog.at_level("WARNING", logger="lean_local.engine"):
        assert main(["backtest", str(project), "--output", str(output)]) == 0
    assert any("MISSING" in r.getMessage() for r in caplog.records)
    logs = (output / "log.txt").read_text()
    assert "keys ['AAA']" in logs and "MISSING'" not in logs


@pytest.mark.parametrize("row, message", [
    ("20200103 00:00,110000,abc,100000,110000,1000", "abc"),
    ("20200102 00:00,110000,120000,100000,110000,1000", "date"),
    ("20200103 00:00,-110000,120000,100000,110000,1000", "negative"),
])
def test_corrupt_data_names_file_and_line_and_fails(tmp_path, capsys, monkeypatch, row, message):
    monkeypatch.setenv("CI", "1")
    folder = _small_folder(tmp_path)
    path = folder / "equity" / "usa" / "daily" / "aaa.zip"
    lines = ["20200102 00:00,100000,110000,90000,100000,1000", row]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("aaa.csv", "\n".join(lines) + "\n")
    project = fixtures.write_workspace(tmp_path, folder, BUY)
    assert main(["backtest", str(project), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2" in err
    assert message in err.lower()


def test_corrupt_zip_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = _small_folder(tmp_path)
    path = folder / "equity" / "usa" / "daily" / "aaa.zip"
    path.write_bytes(b"this is not a zip file")
    project = fixtures.write_workspace(tmp_path, folder, BUY)
    assert main(["backtest", str(project), "--output", str(tmp_path / "out")]) == 1
    assert str(path) in capsys.readouterr().err


PARAMETERS = '''
from AlgorithmImports import *


class Parameters(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)
        self.weight = self.get_parameter("weight", 0.0)
        self.debug(f"weight={self.weight} label={self.get_parameter('label')}")

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("AAA", self.weight)
'''


def test_parameters_from_config_and_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = _small_folder(tmp_path)
    project = fixtures.write_workspace(tmp_path, folder, PARAMETERS, parameters={"weight": "0.25", "label": "cfg"})
    output = tmp_path / "out"
    assert main(["backtest", str(project), "--output", str(output), "--parameter", "label", "cli"]) == 0
    assert "weight=0.25 label=cli" in (output / "log.txt").read_text()
    result = _result(output)
    [order] = result["orders"].values()
    # 0.25 x (100,000 x 0.9975) / 10 (the Jan 2 close) = 2493.75 -> 2493 shares, fee 2493 x 0.005
    assert order["quantity"] == 2493
    assert order["price"] == pytest.approx(11.0)  # market-on-open at the Jan 3 open
