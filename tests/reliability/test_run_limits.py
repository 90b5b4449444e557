"""Issue 17's run-control items: ``sys.exit``/``quit`` in a handler, LEAN's per-time-loop limit, Ctrl-C.

Each ends the run with a clear message and non-zero exit code and keeps the partial results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import fixtures

HEADER = """from AlgorithmImports import *
import sys
import time


class Algo(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 8)
        self.aaa = self.add_equity("AAA", Resolution.DAILY).symbol

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings(self.aaa, 0.5)
            return
"""


def _workspace(tmp_path, body: str, minutes: float | None = None):
    root = fixtures.data_folder(tmp_path / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]
    fixtures.write_equity(root, "AAA", fixtures.bars(days, [10, 11, 12, 13, 14]))
    project = fixtures.write_workspace(tmp_path, root, HEADER + body)
    if minutes is not None:
        config = json.loads((tmp_path / "lean.json").read_text())
        config["algorithm-manager-time-loop-maximum"] = minutes
        (tmp_path / "lean.json").write_text(json.dumps(config))
    return project


def _result(project):
    (run,) = (project / "backtests").iterdir()
    (main,) = [p for p in run.glob("*.json") if p.stem.isdigit()]
    return json.loads(main.read_text())


def _backtest(project):
    from lean_local.backtest import run_backtest

    return run_backtest(project, progress=False, quiet=True)


def test_sys_exit_in_on_data_exits_1_with_partial_results(tmp_path, capsys):
    """Item 5: ``sys.exit(0)`` in ``on_data`` exited 0 with no message and no files."""
    from lean_local.cli import main

    project = _workspace(tmp_path, "        sys.exit(0)\n")
    assert main(["backtest", str(project)]) == 1
    err = capsys.readouterr().err
    assert "SystemExit(0): the algorithm called sys.exit or quit; use self.quit() to end a run" in err
    result = _result(project)
    assert result["state"]["Status"] == "RuntimeError"
    assert len(result["orders"]) == 1  # the order placed on the first day is kept


@pytest.mark.parametrize("call", ["quit()", "sys.exit('bye')"])
def test_quit_in_on_data_is_a_runtime_error(tmp_path, call):
    from lean_local.engine.runner import AlgorithmRuntimeError

    with pytest.raises(AlgorithmRuntimeError, match="SystemExit") as error:
        _backtest(_workspace(tmp_path, f"        {call}\n"))
    assert error.value.record.state == "RuntimeError"


def test_a_time_step_longer_than_the_limit_stops_with_leans_message(tmp_path, capsys):
    """Risk: an infinite loop in ``on_data`` hung the run; LEAN's time-loop limit now stops it."""
    from lean_local.cli import main

    project = _workspace(tmp_path, "        while True:\n            pass\n", minutes=0.005)
    assert main(["backtest", str(project)]) == 1
    err = capsys.readouterr().err
    assert "Algorithm took longer than 0.005 minutes on a single time loop. CurrentTimeStepElapsed: 0.0 minutes" in err
    assert _result(project)["state"]["Status"] == "RuntimeError"


def test_a_step_that_swallows_the_time_limit_error_is_stopped_after_it(tmp_path):
    from lean_local.engine.runner import AlgorithmRuntimeError

    body = ("        try:\n            while True:\n                time.sleep(0.001)\n"
            "        except Exception:\n            self.debug('caught')\n")
    with pytest.raises(AlgorithmRuntimeError, match="on a single time loop") as error:
        _backtest(_workspace(tmp_path, body, minutes=0.005))
    assert "caught" in "\n".join(error.value.record.logs)
    assert error.value.record.end.date().isoformat() == "2020-01-03"  # stopped on the step that overran


def test_the_limit_lets_a_run_of_quick_steps_finish(tmp_path):
    body = "        time.sleep(0.1)\n"  # every step well under 0.5 s, the run itself longer
    assert _backtest(_workspace(tmp_path, body, minutes=0.5 / 60)).record.state == "Completed"


def test_the_limit_must_be_a_number():
    from lean_local.engine.time_limit import time_loop_minutes

    assert time_loop_minutes({}) == 20.0
    with pytest.raises(ValueError, match="algorithm-manager-time-loop-maximum must be a number"):
        time_loop_minutes({"algorithm-manager-time-loop-maximum": "soon"})


def test_ctrl_c_saves_the_partial_results_as_stopped(tmp_path, capsys):
    """Risk: Ctrl-C saved nothing; now the results so far are written with LEAN's Stopped state."""
    from lean_local.cli import main

    project = _workspace(tmp_path, "        raise KeyboardInterrupt\n")
    assert main(["backtest", str(project)]) == 130
    assert "Stopped by the user: partial results were written." in capsys.readouterr().err
    result = _result(project)
    assert result["state"]["Status"] == "Stopped"
    assert len(result["orders"]) == 1


def test_ctrl_c_stops_an_optimization_instead_of_counting_a_failed_point(tmp_path):
    from lean_local.engine.runner import AlgorithmInterrupted
    from lean_local.optimize import GridParameter, Objective, optimize

    project = _workspace(tmp_path, "        raise KeyboardInterrupt\n")
    config = json.loads((project / "config.json").read_text())
    config["parameters"] = {"x": "1"}
    (project / "config.json").write_text(json.dumps(config))
    with pytest.raises(AlgorithmInterrupted):
        optimize(project, [GridParameter.parse("x", "1", "3", "1")], Objective("Sharpe Ratio", "max", ()))


def test_bad_inputs_name_the_file_and_line_instead_of_a_traceback(tmp_path, capsys):
    """Item 9: a bad ``config.json``, a truncated market-hours database, ``--output`` naming a file and
    ``data csv`` given a folder each print ``path:line: message`` (or the argument) and exit non-zero."""
    from lean_local.cli import main

    project = _workspace(tmp_path, "")
    config = project / "config.json"
    good = config.read_text()
    config.write_text('{"parameters": {\n')
    assert main(["backtest", str(project)]) == 2
    assert f"{config}:2: Expecting property name enclosed in double quotes" in capsys.readouterr().err
    config.write_text(good)

    (tmp_path / "file").write_text("")
    assert main(["backtest", str(project), "--output", str(tmp_path / "file")]) == 2
    assert "is a file: give a folder for the results" in capsys.readouterr().err

    hours = tmp_path / "data" / "market-hours" / "market-hours-database.json"
    hours.parent.mkdir(parents=True, exist_ok=True)
    hours.write_text('{"entries": {\n  "Equity-usa-[*]": {\n')
    assert main(["backtest", str(project)]) == 1
    assert f"{hours}:3: Expecting property name" in capsys.readouterr().err
    assert not (project / "backtests").exists() or not any((project / "backtests").iterdir())  # nothing kept

    (tmp_path / "csvs").mkdir()
    assert main(["data", "csv", str(tmp_path / "csvs"), "--data-folder", str(tmp_path / "out")]) == 1
    assert "csvs:0: is a folder: give the CSV files" in capsys.readouterr().err


def test_the_runtime_refuses_zero_prices_as_data_check_does(tmp_path, capsys):
    """Item 8: a zero price ran to garbage statistics; now it stops the run naming file and line."""
    from lean_local.cli import main
    from lean_local.data import formats

    project = _workspace(tmp_path, "")
    path = formats.equity_daily_path(tmp_path / "data", "AAA")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]
    fixtures.write_equity(tmp_path / "data", "AAA", fixtures.bars(days, [10, 11, 0, 13, 14]))
    assert main(["backtest", str(project)]) == 1
    assert f"{path}:3: 2020-01-06: prices must be positive" in capsys.readouterr().err
    assert main(["data", "check", "--data-folder", str(tmp_path / "data")]) == 1  # data check flags the same row


def test_a_zip_holding_an_empty_csv_stops_the_run(tmp_path, capsys):
    """Risk: a zip holding an empty csv ran with no data and exit 0."""
    import zipfile

    from lean_local.cli import main
    from lean_local.data import formats

    project = _workspace(tmp_path, "")
    path = formats.equity_daily_path(tmp_path / "data", "AAA")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("aaa.csv", "")
    assert main(["backtest", str(project)]) == 1
    assert f"{path}:0: empty file: no bars" in capsys.readouterr().err


def _children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_optimize_workers_end_with_a_parent_killed_by_sigkill(tmp_path):
    """Item 26: after ``kill -9`` of ``lean-local optimize`` its loky workers lingered (busy, then idle
    for loky's five minutes); now they die with it."""
    project = _workspace(tmp_path, "        time.sleep(60)\n")
    config = json.loads((project / "config.json").read_text())
    config["parameters"] = {"x": "1"}
    (project / "config.json").write_text(json.dumps(config))
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "lean_local.cli", "optimize", str(project), "--parameter", "x", "1", "2", "1",
         "--jobs", "2"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root / "src")})
    try:
        deadline = time.monotonic() + 120
        while len(workers := [pid for pid in _children(process.pid)
                              if b"LokyProcess" in Path(f"/proc/{pid}/cmdline").read_bytes()]) < 2:
            assert time.monotonic() < deadline, "the optimization started no worker in 120 s"
            assert process.poll() is None, "the optimization ended before its workers started"
            time.sleep(0.2)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 20
    while alive := [pid for pid in workers if Path(f"/proc/{pid}").exists()
                    and Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"]:
        assert time.monotonic() < deadline, f"workers {alive} outlived the killed optimization"
        time.sleep(0.2)
