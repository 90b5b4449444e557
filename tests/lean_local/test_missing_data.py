"""Missing data: one line per missing file naming the command that builds it; a run with no data at
all is an error; a missing benchmark is said beside the statistics; LEAN's sample linked in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lean_local.backtest import run_backtest
from lean_local.cli import main
from lean_local.data import formats
from lean_local.data.lean_sample import link_lean_sample
from lean_local.engine import daily_readers
from lean_local.engine.common import DataNormalizationMode, SecurityType, Symbol
from lean_local.engine.runner import NoDataError
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]

BUY_AAA = '''
from AlgorithmImports import *


class BuyAaa(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("AAA", 0.5)
'''


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lean_local.engine"]


def _sessions(index):
    ns = index.asi8
    return ns, ns


@pytest.mark.parametrize("kind, ticker, command", [
    ("equity", "ZZZ", "`lean-local data csv <file>` (your own bars) or `lean-local data lean-sample` (LEAN's sample)"),
    ("index", "VIX", "`lean-local data vix`"),
    ("index", "SPX", "`lean-local data lean-sample` (LEAN's sample)"),
    ("forex", "EURUSD", "`lean-local data ecb-fx --pairs EURUSD`"),
])
def test_a_missing_file_is_one_line_naming_the_file_and_the_command(tmp_path, caplog, kind, ticker, command):
    with caplog.at_level("WARNING", logger="lean_local.engine"):
        if kind == "equity":
            data = daily_readers.load_equity(tmp_path, Symbol(ticker), DataNormalizationMode.ADJUSTED, _sessions)
            path = formats.equity_daily_path(tmp_path, ticker)
        elif kind == "index":
            data = daily_readers.load_index(tmp_path, Symbol(ticker), _sessions)
            path = formats.index_daily_path(tmp_path, ticker)
        else:
            symbol = Symbol.create(ticker, SecurityType.FOREX, "oanda")
            data = daily_readers.load_forex(tmp_path, symbol)
            path = formats.forex_daily_path(tmp_path, ticker, "oanda")
    assert len(data) == 0
    [message] = _messages(caplog)
    assert "\n" not in message
    assert message == f"no data file {path} for {ticker} (the subscription gets no data): build it with {command}"


def test_a_run_with_no_data_at_all_is_an_error_and_leaves_no_folder(tmp_path, capsys, caplog, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = fixtures.data_folder(tmp_path / "data")  # market hours only: no bars
    project = fixtures.write_workspace(tmp_path, folder, BUY_AAA)
    with pytest.raises(NoDataError, match=r"no data: no subscription of BuyAaa has data in .*data from 2020-01-02"):
        run_backtest(project, progress=False)
    assert not (project / "backtests").exists() or not any((project / "backtests").iterdir())
    assert main(["backtest", str(project)]) == 2
    assert "error: no data: no subscription of BuyAaa" in capsys.readouterr().err
    assert any("aaa.zip for AAA" in message for message in _messages(caplog))


def test_a_missing_benchmark_is_said_beside_the_statistics(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(folder, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14, 15, 16]))
    project = fixtures.write_workspace(tmp_path, folder, BUY_AAA)
    result = run_backtest(project, progress=False, report=True)
    out = capsys.readouterr().out
    assert "Benchmark SPY: no data in" in out and "measured against 0" in out
    assert result.statistics["Beta"] == "0"
    report = (result.output_dir / "report.html").read_text()
    assert 'id="benchmark-note">No benchmark data' in report

    fixtures.write_equity(folder, "SPY", fixtures.bars(DAYS, [100, 101, 99, 102, 103, 101, 104]))
    result = run_backtest(project, progress=False, report=True)
    assert "Benchmark SPY" not in capsys.readouterr().out
    assert result.statistics["Beta"] != "0"
    assert "benchmark-note" not in (result.output_dir / "report.html").read_text()


SELECT_TOP = '''
from AlgorithmImports import *


class SelectTop(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 3)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)
        self.add_universe(lambda rows: [row.symbol for row in rows][:1])
'''


def test_a_universe_without_coarse_files_says_so_in_one_line(tmp_path, capsys, caplog, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(folder, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14, 15, 16]))
    project = fixtures.write_workspace(tmp_path, folder, SELECT_TOP)
    with caplog.at_level("WARNING", logger="lean_local.engine"):
        run_backtest(project, progress=False)
    [message] = [m for m in _messages(caplog) if m.startswith("no coarse")]
    assert message == (
        f"no coarse universe file in {formats.coarse_folder(folder)} from 2020-01-02 to 2020-01-10 (the universe "
        "selects nothing): build them with `lean-local data coarse <folder with daily, factor and map files>` or "
        "`lean-local data synthetic`")

    caplog.clear()
    formats.coarse_folder(folder).mkdir(parents=True)
    (formats.coarse_folder(folder) / "20200106.csv").write_text("")
    with caplog.at_level("WARNING", logger="lean_local.engine"):
        run_backtest(project, progress=False)
    assert not [m for m in _messages(caplog) if m.startswith("no coarse")]


def test_data_check_of_an_empty_folder_fails(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["data", "check", "--data-folder", str(tmp_path / "empty")]) == 1
    assert "holds no LEAN data files" in capsys.readouterr().err


def _sample(root: Path) -> Path:
    sample = root / "sample"
    fixtures.write_equity(sample, "SPY", fixtures.bars(DAYS, [100, 101, 99, 102, 103, 101, 104]))
    (sample / "PROVENANCE.md").write_text("where it comes from\n")
    (sample / "forex" / "oanda" / "daily").mkdir(parents=True)
    (sample / "forex" / "oanda" / "daily" / "eurusd.zip").write_bytes(b"LEAN's bytes")
    return sample


def test_lean_sample_links_every_file_in_place_and_keeps_built_files(tmp_path):
    sample = _sample(tmp_path)
    data = tmp_path / "data"
    built = data / "forex" / "oanda" / "daily" / "eurusd.zip"
    built.parent.mkdir(parents=True)
    built.write_bytes(b"ECB's bytes")

    report = link_lean_sample(sample, data)
    spy = data / "equity" / "usa" / "daily" / "spy.zip"
    assert spy.is_symlink() and Path(os.readlink(spy)) == (sample / "equity/usa/daily/spy.zip").resolve()
    assert report.kept == (built.resolve(),) and built.read_bytes() == b"ECB's bytes"
    assert not (data / "PROVENANCE.md").exists()
    assert not (data / "equity").is_symlink()  # real folders: writers never reach the sample
    assert link_lean_sample(sample, data).linked == report.linked  # idempotent

    # a writer replaces the link, never the sample's file behind it
    formats.write_equity_daily(spy, fixtures.bars(DAYS[:2], [1.0, 2.0]))
    assert not spy.is_symlink()
    assert len(formats.read_equity_daily(sample / "equity/usa/daily/spy.zip")) == len(DAYS)


def test_lean_sample_refuses_a_data_folder_inside_the_sample(tmp_path):
    sample = _sample(tmp_path)
    with pytest.raises(ValueError, match="must not be the linked folder"):
        link_lean_sample(sample, sample / "data")


def test_lean_sample_command(tmp_path, capsys):
    sample = _sample(tmp_path)
    assert main(["data", "lean-sample", "--from", str(sample), "--data-folder", str(tmp_path / "data")]) == 0
    assert "linked into" in capsys.readouterr().out
    assert (tmp_path / "data" / "equity" / "usa" / "daily" / "spy.zip").is_symlink()
