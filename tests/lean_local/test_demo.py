"""``lean-local demo``: the commands it runs (no data-folder flag where lean.json's folder serves), its
content hashes (a second run runs nothing; a code change reruns what reads it) and the pruning of
old backtest folders."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from lean_local import demo
from lean_local.engine.runner import RunResult

PROJECTS = ("fx_momentum_reversion", "kalman_mean_reversion", "ml_mean_reversion")


@pytest.fixture()
def workspace(tmp_path, monkeypatch) -> Path:
    """A workspace with the three projects, a library, and a stand-in for LEAN's sample folder."""
    root = tmp_path / "ws"
    (root / "Library" / "shared").mkdir(parents=True)
    (root / "Library" / "shared" / "signal.py").write_text("X = 1\n")
    (root / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    for project in PROJECTS:
        (root / "algorithms" / project).mkdir(parents=True)
        (root / "algorithms" / project / "main.py").write_text("# algorithm\n")
    sample = tmp_path / "sample"
    (sample / "equity" / "usa" / "daily").mkdir(parents=True)
    (sample / "equity" / "usa" / "daily" / "spy.zip").write_bytes(b"zip")
    monkeypatch.setenv("LEAN_DATA_FOLDER", str(sample))
    monkeypatch.chdir(root)
    return root


class Recorder:
    """Stands in for the commands and backtests: records them and writes what each step leaves."""

    runs = 0  # across recorders: every backtest gets its own folder

    def __init__(self, root: Path) -> None:
        self.root = root
        self.commands: list[list[str]] = []
        self.backtests: list[list[str]] = []

    def run(self, command):
        self.commands.append(list(command))
        data = self.root / "data"
        outputs = {"ecb-fx": data / "forex/oanda/daily/eurusd.zip", "vix": data / "index/usa/daily/vix.zip",
                   "synthetic": data / "synthetic/synthetic.json"}
        if command[0] == "data" and command[1] in outputs:
            outputs[command[1]].parent.mkdir(parents=True, exist_ok=True)
            outputs[command[1]].write_text("built")
        if command[0] == "train":
            manifest = self.root / "storage" / "ml_mean_reversion" / "manifest.json"
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text("{}")
        return 0

    def backtest(self, backtest, workspace):
        self.backtests.append(backtest.command())
        Recorder.runs += 1
        run = Recorder.runs
        folder = workspace / "algorithms" / backtest.project / "backtests" / f"2024-01-01_00-{run // 60:02d}-{run % 60:02d}"
        folder.mkdir(parents=True)
        (folder / "1234567890.json").write_text(json.dumps({"statistics": {"Sharpe Ratio": str(run)}}))
        return RunResult(None, None, {"Sharpe Ratio": str(run)}, folder, 0, 0.0)  # type: ignore[arg-type]


def _demo(recorder: Recorder, monkeypatch, **options) -> int:
    monkeypatch.setattr(demo, "_run", recorder.run)
    monkeypatch.setattr(demo, "_run_backtest", recorder.backtest)
    args = argparse.Namespace(stocks=None, years=None, force=False, keep_backtests=demo.KEEP_BACKTESTS)
    for name, value in options.items():
        setattr(args, name, value)
    return demo.run_demo(args)


def test_the_demo_runs_what_a_user_types_with_no_data_flag_but_the_synthetic_market(workspace, monkeypatch, capsys):
    recorder = Recorder(workspace)
    assert _demo(recorder, monkeypatch) == 0
    assert recorder.commands == [
        ["data", "lean-sample"], ["data", "ecb-fx"], ["data", "vix", "--from-arch"],
        ["data", "synthetic", "--start", demo.SYNTHETIC_START, "--data-folder", "data/synthetic"],
        ["train", "ml_mean_reversion", "--data-folder", "data/synthetic", "--end", demo.ML_TRAIN_END],
    ]
    assert recorder.backtests[2] == ["backtest", "kalman_mean_reversion", "--parameter", "mode", "single"]
    assert all("--data-folder" not in command for command in recorder.backtests[:4])
    assert recorder.backtests[4][:4] == ["backtest", "ml_mean_reversion", "--data-folder", "data/synthetic"]
    out = capsys.readouterr().out
    assert "$ lean-local backtest kalman_mean_reversion --parameter mode single" in out


def test_a_second_run_runs_nothing_and_a_code_change_reruns_what_reads_it(workspace, monkeypatch, capsys):
    first = Recorder(workspace)
    _demo(first, monkeypatch)
    summary = capsys.readouterr().out.split("Summary")[1]

    second = Recorder(workspace)
    assert _demo(second, monkeypatch) == 0
    assert second.commands == [] and second.backtests == []
    out = capsys.readouterr().out
    assert out.count("up to date (inputs unchanged") == 10
    assert out.split("Summary")[1] == summary  # the same statistics and folders, read back

    # the project's code changed: only its two backtests run again
    (workspace / "algorithms" / "kalman_mean_reversion" / "main.py").write_text("# changed\n")
    third = Recorder(workspace)
    _demo(third, monkeypatch)
    assert third.commands == []
    assert [command[1] for command in third.backtests] == ["kalman_mean_reversion"] * 2

    # the library changed: training and every backtest run again, the data steps do not
    (workspace / "Library" / "shared" / "signal.py").write_text("X = 2\n")
    fourth = Recorder(workspace)
    _demo(fourth, monkeypatch)
    assert [command[0] for command in fourth.commands] == ["train"]
    assert len(fourth.backtests) == 5


def test_a_missing_output_or_force_reruns_the_step(workspace, monkeypatch):
    _demo(Recorder(workspace), monkeypatch)
    (workspace / "storage" / "ml_mean_reversion" / "manifest.json").unlink()
    again = Recorder(workspace)
    _demo(again, monkeypatch)
    assert [command[0] for command in again.commands] == ["train"]
    assert len(again.backtests) == 1  # the ML backtest reads the new training
    forced = Recorder(workspace)
    _demo(forced, monkeypatch, force=True)
    assert len(forced.commands) == 5 and len(forced.backtests) == 5


def test_old_backtest_folders_are_pruned_beyond_the_count(tmp_path):
    folder = tmp_path / "backtests"
    names = [f"2024-01-0{d}_10-00-00" for d in range(1, 8)] + ["2024-01-07_10-00-00-2", "notes"]
    for name in names:
        (folder / name).mkdir(parents=True)
    protected = folder / "2024-01-01_10-00-00"
    removed = demo.prune_backtests(folder, 3, [protected])
    assert sorted(p.name for p in removed) == [f"2024-01-0{d}_10-00-00" for d in range(2, 6)]
    assert sorted(p.name for p in folder.iterdir()) == [
        "2024-01-01_10-00-00", "2024-01-06_10-00-00", "2024-01-07_10-00-00", "2024-01-07_10-00-00-2", "notes"]
    with pytest.raises(ValueError, match="--keep-backtests"):
        demo.prune_backtests(folder, -1)


def test_the_demo_prunes_each_projects_backtests(workspace, monkeypatch):
    for _ in range(3):
        _demo(Recorder(workspace), monkeypatch, force=True, keep_backtests=2)
    runs = sorted((workspace / "algorithms" / "kalman_mean_reversion" / "backtests").iterdir())
    assert len(runs) == 2
