"""``lean-local demo``: the commands it runs (no data-folder flag where lean.json's folder serves), its
content hashes (a second run runs nothing; a code change reruns what reads it) and the pruning of
old backtest folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from lean_local.backtest import RunResult
from workspace_jobs import demo

PROJECTS = ("fx_momentum_reversion", "kalman_mean_reversion", "ml_mean_reversion")
KALMAN_PARAMS = Path("storage") / "kalman_mean_reversion" / "params.json"


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
    (root / "tools").mkdir()
    (root / "tools" / "kalman_fit.py").write_text("# fit\n")
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
        if list(command) == ["python", "tools/kalman_fit.py"]:
            (self.root / KALMAN_PARAMS).parent.mkdir(parents=True, exist_ok=True)
            (self.root / KALMAN_PARAMS).write_text("{}")
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


def test_the_demo_runs_what_a_user_types_with_no_data_flag(workspace, monkeypatch, capsys):
    recorder = Recorder(workspace)
    assert _demo(recorder, monkeypatch) == 0
    assert recorder.commands == [
        ["data", "lean-sample"], ["data", "ecb-fx"], ["data", "vix", "--from-arch"],
        ["data", "synthetic", "--start", demo.SYNTHETIC_START],
        ["train", "ml_mean_reversion", "--end", demo.ML_TRAIN_END],
        ["python", "tools/kalman_fit.py"],  # the pairs and their parameters, saved to the object store
    ]
    # Each project's config.json holds the demo's parameters (the Kalman pairs are what the fit saved), so
    # `lean-local backtest algorithms/<project>` with no flags gives the demo's numbers; the FX project
    # also runs on its longest window.
    assert recorder.backtests == [
        ["backtest", "fx_momentum_reversion", "--report"],
        ["backtest", "fx_momentum_reversion", "--parameter", "start_date", demo.FX_LONGEST[0], "--parameter",
         "end_date", demo.FX_LONGEST[1], "--parameter", "fit_start", demo.FX_LONGEST[2], "--parameter",
         "refit_months", "12", "--report"],
        ["backtest", "kalman_mean_reversion", "--report"],
        ["backtest", "ml_mean_reversion", "--report"],
    ]
    out = capsys.readouterr().out
    assert "=== Kalman pairs, fitted by tools/kalman_fit.py (LEAN's sample equities (real))\n" \
        "$ lean-local backtest kalman_mean_reversion --report\n" in out


def test_without_leans_sample_the_kalman_pairs_are_neither_fitted_nor_backtested(workspace, monkeypatch, capsys):
    monkeypatch.delenv("LEAN_DATA_FOLDER")
    recorder = Recorder(workspace)
    assert _demo(recorder, monkeypatch) == 0
    assert ["python", "tools/kalman_fit.py"] not in recorder.commands and ["data", "lean-sample"] not in recorder.commands
    assert [command[1] for command in recorder.backtests] == [
        "fx_momentum_reversion", "fx_momentum_reversion", "ml_mean_reversion"]
    assert "the Kalman pairs, which trade LEAN's sample equities, are neither fitted nor backtested" in \
        capsys.readouterr().out


def test_a_tool_step_runs_the_workspace_script_with_this_python_and_returns_its_exit_code(workspace, capsys):
    (workspace / "tools" / "kalman_fit.py").write_text(
        "import pathlib, sys\npathlib.Path('ran.txt').write_text(sys.executable + ' ' + ' '.join(sys.argv[1:]))\n"
        "sys.exit(3)\n")
    assert demo._run(["python", "tools/kalman_fit.py", "--sims", "5"]) == 3
    assert (workspace / "ran.txt").read_text() == f"{sys.executable} --sims 5"
    assert "$ python tools/kalman_fit.py --sims 5" in capsys.readouterr().out


def test_a_second_run_runs_nothing_and_a_code_change_reruns_what_reads_it(workspace, monkeypatch, capsys):
    first = Recorder(workspace)
    _demo(first, monkeypatch)
    summary = capsys.readouterr().out.split("Summary")[1]

    second = Recorder(workspace)
    assert _demo(second, monkeypatch) == 0
    assert second.commands == [] and second.backtests == []
    out = capsys.readouterr().out
    assert out.count("up to date (inputs unchanged") == 10
    assert "\n$ python tools/kalman_fit.py\n  up to date" in out and "lean-local python" not in out
    assert out.split("Summary")[1] == summary  # the same statistics and folders, read back

    # the project's code changed: only its backtest runs again (the fit does not read it)
    (workspace / "algorithms" / "kalman_mean_reversion" / "main.py").write_text("# changed\n")
    third = Recorder(workspace)
    _demo(third, monkeypatch)
    assert third.commands == []
    assert [command[1] for command in third.backtests] == ["kalman_mean_reversion"]

    # the fitting tool changed: the fit and the backtest that reads its parameters run again
    (workspace / "tools" / "kalman_fit.py").write_text("# changed fit\n")
    refit = Recorder(workspace)
    _demo(refit, monkeypatch)
    assert refit.commands == [["python", "tools/kalman_fit.py"]]
    assert [command[1] for command in refit.backtests] == ["kalman_mean_reversion"]

    # the library changed: training, the fit and every backtest run again, the data steps do not
    (workspace / "Library" / "shared" / "signal.py").write_text("X = 2\n")
    fourth = Recorder(workspace)
    _demo(fourth, monkeypatch)
    assert [command[0] for command in fourth.commands] == ["train", "python"]
    assert len(fourth.backtests) == 4


def test_a_missing_output_or_force_reruns_the_step(workspace, monkeypatch):
    _demo(Recorder(workspace), monkeypatch)
    (workspace / "storage" / "ml_mean_reversion" / "manifest.json").unlink()
    again = Recorder(workspace)
    _demo(again, monkeypatch)
    assert [command[0] for command in again.commands] == ["train"]
    assert [command[1] for command in again.backtests] == ["ml_mean_reversion"]  # it reads the new training
    (workspace / KALMAN_PARAMS).unlink()
    refit = Recorder(workspace)
    _demo(refit, monkeypatch)
    assert refit.commands == [["python", "tools/kalman_fit.py"]]
    assert [command[1] for command in refit.backtests] == ["kalman_mean_reversion"]
    forced = Recorder(workspace)
    _demo(forced, monkeypatch, force=True)
    assert len(forced.commands) == 6 and len(forced.backtests) == 4


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
