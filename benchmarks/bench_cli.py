"""The command line's own costs, each beside issue 20's target, measured as a user meets them (new processes).

* ``lean-local --help``: the median wall time of 5 runs (target under 0.3 s);
* a backtest of LEAN's BasicTemplateDailyAlgorithm end to end: ``lean-local backtest`` on a project holding
  it, from process start to the result files written, median of 3 runs (target under 1 s). The algorithm
  is read from the regression set (``$LEAN_REGRESSION_FOLDER`` or ``../shared/lean-regression``) when it
  holds ``BasicTemplateDailyAlgorithm.py``, else it is the project's text of it
  (``tests/lean_local/basic_template_daily.py``);
* ``lean-local conformance``: the whole regression set, one run (target under 60 s).

Every command runs as a user's does, with a bytecode cache: ``PYTHONDONTWRITEBYTECODE`` is dropped from the
children's environment (a pip install writes the cache of its packages, and Python writes the project's on
the first run; without one each start compiles every module of the engine again, about 0.4 s more), and
one untimed run of each command writes the cache first.

The backtest and the conformance run need LEAN's sample data (``$LEAN_DATA_FOLDER``) and are skipped with a
message when it is absent; the conformance run also when the regression set is. Not part of the test run::

    .venv/bin/python benchmarks/bench_cli.py [--skip-conformance]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"help": 0.3, "backtest": 1.0, "conformance": 60.0}


def lean_local() -> list[str]:
    """The ``lean-local`` entry point of this interpreter's environment, else ``python -m lean_local.cli``."""
    script = Path(sys.executable).parent / "lean-local"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lean_local.cli"]


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: the children's environment: a user's, which writes and reads a bytecode cache
USER_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of ``runs`` runs of ``command`` (each checked), after one
    untimed run that writes the bytecode cache."""
    subprocess.run(command, capture_output=True, env=USER_ENVIRONMENT)
    walls, cpus = [], []
    for _ in range(runs):
        began, cpu = time.perf_counter(), children_cpu()
        process = subprocess.run(command, capture_output=True, text=True, env=USER_ENVIRONMENT)
        walls.append(time.perf_counter() - began)
        cpus.append(children_cpu() - cpu)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{process.stderr[-2000:]}")
    return statistics.median(walls), statistics.median(cpus)


def regression_set() -> Path:
    return Path(os.environ.get("LEAN_REGRESSION_FOLDER", ROOT.parent / "shared" / "lean-regression"))


def basic_template_daily() -> tuple[str, str]:
    """The algorithm's text and where it came from."""
    path = regression_set() / "algorithms" / "BasicTemplateDailyAlgorithm.py"
    if path.exists():
        return path.read_text(), str(path)
    sys.path.insert(0, str(ROOT))
    from tests.lean_local.basic_template_daily import BASIC_TEMPLATE_DAILY

    return BASIC_TEMPLATE_DAILY, "tests/lean_local/basic_template_daily.py (the regression set has none)"


def verdict(wall: float, cpu: float, name: str) -> str:
    """The wall time beside the target, and the CPU time (the wall time on an idle machine, one process)."""
    target = TARGETS[name]
    return (f"{wall:.3g} s wall, {cpu:.3g} s CPU; target < {target:g} s: wall {'met' if wall < target else 'MISSED'}, "
            f"CPU {'met' if cpu < target else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-conformance", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    wall, cpu = timed([*lean_local(), "--help"], runs=5)
    print(f"lean-local --help (median of 5): {verdict(wall, cpu, 'help')}")

    data = os.environ.get("LEAN_DATA_FOLDER")
    if not data or not (Path(data) / "equity" / "usa" / "daily" / "spy.zip").exists():
        print("BasicTemplateDailyAlgorithm backtest and conformance: skipped, LEAN's sample data is absent "
              "(set LEAN_DATA_FOLDER)")
        return
    text, source = basic_template_daily()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "BasicTemplateDaily"
        project.mkdir()
        (project / "main.py").write_text(text)
        (project / "config.json").write_text('{"algorithm-language": "Python", "parameters": {}}')
        output = Path(tmp) / "out"
        wall, cpu = timed([*lean_local(), "backtest", str(project), "--data-folder", data, "--output", str(output)],
                          runs=3)
        files = sorted(path.name for path in output.iterdir())
        print(f"BasicTemplateDailyAlgorithm backtest end to end (median of 3, {len(files)} files written; from "
              f"{source}): {verdict(wall, cpu, 'backtest')}")
        shutil.rmtree(output, ignore_errors=True)

    algorithms = regression_set() / "algorithms"
    if args.skip_conformance:
        return
    if not algorithms.is_dir():
        print(f"conformance: skipped, no regression set at {regression_set()} (set LEAN_REGRESSION_FOLDER)")
        return
    count = len(list(algorithms.glob("*.py")))
    began = time.perf_counter()
    process = subprocess.run([*lean_local(), "conformance", "--algorithms", str(algorithms), "--data-folder", data],
                             capture_output=True, text=True, env=USER_ENVIRONMENT)
    wall = time.perf_counter() - began
    summary = (process.stdout.strip().splitlines() or ["no output"])[-1]
    # wall time only: the algorithms run in forkserver processes whose CPU time is not reported to us
    print(f"conformance, {count} algorithms, {os.cpu_count()} at once ({summary}): {wall:.0f} s wall at load "
          f"{os.getloadavg()[0]:.1f}; target < {TARGETS['conformance']:g} s: "
          f"{'met' if wall < TARGETS['conformance'] else 'MISSED'}")


if __name__ == "__main__":
    main()
