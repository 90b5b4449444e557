"""``lean-local demo``: the project's main job, end to end.

It runs the very commands a user would type (each is printed first): fill the workspace's data
folder (LEAN's sample data linked in place, ECB FX rates, VIX, the synthetic market linked in from
its own sub-folder), train the ML models, choose and fit the Kalman pairs (tools/kalman_fit.py,
which saves them to the object store), backtest every strategy, and print where the results and
reports are. Every step reads lean.json's data folder, as `lean-local backtest algorithms/<project>`
does with no flags. Real data serves where it exists; the ML strategy runs on the synthetic market
(its config names the market's SYNSPY and SYNVIX), and says so.

The demo is incremental: each step's inputs (its command, the source code it runs and the steps it
reads from) are hashed, and a step whose hash and outputs are unchanged since its last run is
skipped, so a second run rebuilds nothing, trains no new model version and reuses the backtests.
Old backtest folders beyond --keep-backtests per project are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import lean_local

# The ML models are trained strictly before the backtest window (the project's config.json: 2016-01-04
# to 2021-12-31): every backtest figure is out of sample.
SYNTHETIC_START = "2010-01-04"
ML_TRAIN_END = "2015-12-31"
# The FX project's config.json holds the tutorial's window; the demo also runs the longest one the ECB
# file allows with a 5-year first fit.
FX_LONGEST = ("2004-01-01", "2026-10-01", "1999-01-01")
HEADLINE_STATISTICS = ("Compounding Annual Return", "Sharpe Ratio", "Drawdown", "Win Rate", "Total Orders")
# Where the demo keeps each step's input hash (inside the data folder it builds).
STATE_FILE = ".lean-local-demo.json"
# The workspace's fitting tools the demo runs (``python <tool>``), each with the project whose
# backtest reads what it saves to the object store, and the object store key it saves.
KALMAN_FIT = ("python", "tools/kalman_fit.py")
TOOL_OUTPUTS = {"tools/kalman_fit.py": ("kalman_mean_reversion", "kalman_mean_reversion/params.json")}
KEEP_BACKTESTS = 5
# The training step's code (beside this module), hashed with its inputs.
TRAINING = Path(__file__).resolve().parent / "training"
DESCRIPTION = __doc__.replace("``", "")


@dataclass(frozen=True)
class Backtest:
    """One backtest of the demo: a label, a project, parameter overrides and a note on the data."""

    label: str
    project: str
    parameters: tuple[tuple[str, str], ...]
    data_note: str

    def command(self) -> list[str]:
        """The ``lean-local`` arguments that run it."""
        command = ["backtest", self.project]
        for name, value in self.parameters:
            command += ["--parameter", name, value]
        return command + ["--report"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="build data, train, backtest every strategy, write reports (the README's main job)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  lean-local demo                 the main job (a second run reuses what is up to date)\n"
               "  lean-local demo --stocks 600    a smaller synthetic market, for a quick look\n"
               "  lean-local demo --force         rebuild every step",
    )
    parser.add_argument("--stocks", type=int, default=None,
                        help="synthetic market size (default: the calibrated market's)")
    parser.add_argument("--years", type=float, default=None,
                        help="synthetic market years (default: the calibrated market's)")
    parser.add_argument("--force", action="store_true", help="run every step, even those up to date")
    parser.add_argument("--keep-backtests", type=int, default=KEEP_BACKTESTS, metavar="N",
                        help="backtest folders kept per project; older ones are removed (default %(default)s)")
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Run every step; stop at the first failing one with its exit code."""
    from lean_local.data.lean_sample import default_sample_folder
    from lean_local.workspace import data_folder, find_workspace

    workspace = find_workspace() or Path.cwd()
    data = data_folder()
    sample = default_sample_folder()
    market = ["--stocks", str(args.stocks)] if args.stocks else []
    market += ["--years", str(args.years)] if args.years else []
    steps: list[list[str]] = [
        ["data", "ecb-fx"],
        ["data", "vix", "--from-arch"],
        ["data", "synthetic", *market, "--start", SYNTHETIC_START],
        ["train", "ml_mean_reversion", "--end", ML_TRAIN_END],
    ]
    if sample is not None:
        steps.insert(0, ["data", "lean-sample"])
        steps.append(list(KALMAN_FIT))  # on LEAN's sample equities, linked into the data folder
    else:
        print("LEAN's sample data not found (LEAN_DATA_FOLDER, ../shared/lean-data): the Kalman pairs, "
              "which trade LEAN's sample equities, are neither fitted nor backtested")
    state = DemoState(data / STATE_FILE)
    code_root = Path(lean_local.__file__).resolve().parent
    for step in steps:
        key = step_hash(step, workspace, code_root, state, sample)
        if not args.force and state.up_to_date(" ".join(step[:2]), key, _outputs(step, workspace, data)):
            print(f"\n$ {_shown(step)}\n  up to date (inputs unchanged; --force rebuilds)", flush=True)
            continue
        code = _run(step)
        if code:
            return code
        state.record(" ".join(step[:2]), key)

    results = []
    for backtest in _backtests(sample):
        command = backtest.command()
        print(f"\n=== {backtest.label} ({backtest.data_note})")
        print("$ lean-local " + " ".join(command), flush=True)
        key = step_hash(command, workspace, code_root, state, sample)
        reused = None if args.force else state.backtest(backtest.label, key)
        if reused is not None:
            print(f"  up to date (inputs unchanged; --force reruns): {reused[1]}")
            results.append((backtest, reused[0], reused[1]))
            continue
        result = _run_backtest(backtest, workspace)
        state.record(backtest.label, key, str(result.output_dir))
        results.append((backtest, result.statistics, result.output_dir))
    for project in sorted({backtest.project for backtest, _, _ in results}):
        keep = {Path(folder) for _, _, folder in results}
        removed = prune_backtests(workspace / "algorithms" / project / "backtests", args.keep_backtests, keep)
        if removed:
            print(f"removed {len(removed)} old backtest folders of {project} (--keep-backtests {args.keep_backtests})")
    print(_summary(results))
    return 0


def _backtests(sample: Path | None) -> list[Backtest]:
    fx_note = "ECB reference rates (real)"
    kalman = [Backtest("Kalman pairs, fitted by tools/kalman_fit.py", "kalman_mean_reversion", (),
                       "LEAN's sample equities (real)")] if sample is not None else []
    return [
        Backtest("FX momentum + reversion, tutorial window (its config.json)", "fx_momentum_reversion", (), fx_note),
        Backtest("FX momentum + reversion, longest window", "fx_momentum_reversion",
                 (("start_date", FX_LONGEST[0]), ("end_date", FX_LONGEST[1]), ("fit_start", FX_LONGEST[2]),
                  ("refit_months", "12")), fx_note),
        *kalman,
        Backtest("ML mean reversion, top 500 of the calibrated market", "ml_mean_reversion", (), "SYNTHETIC market"),
    ]


def _shown(command: Sequence[str]) -> str:
    """A step as the user types it: ``python <tool> ...`` as is, any other with ``lean-local`` first."""
    return " ".join(command) if command[0] == "python" else "lean-local " + " ".join(command)


def _run(command: Sequence[str]) -> int:
    """Run one step, printing the command first: ``python <tool> ...`` runs a workspace tool with this
    Python from the workspace; anything else is a ``lean-local`` command. Returns its exit code."""
    if command[0] == "python":
        import subprocess

        from lean_local.workspace import find_workspace

        print(f"\n$ {_shown(command)}", flush=True)
        return subprocess.run([sys.executable, *command[1:]], cwd=find_workspace() or Path.cwd()).returncode
    from lean_local.cli import main

    print(f"\n$ {_shown(command)}", flush=True)
    return main(list(command))


def _run_backtest(backtest: Backtest, workspace: Path):
    from lean_local.backtest import run_backtest

    return run_backtest(workspace / "algorithms" / backtest.project, parameters=dict(backtest.parameters),
                        report=True)


# ---------------------------------------------------------------------------------------------
# what a step reads: its command, the code it runs and the steps before it


def code_inputs(command: Sequence[str], workspace: Path, code_root: Path) -> list[Path]:
    """The source files and folders whose content decides a step's result.

    ``code_root`` is the runtime's package folder (``lean_local``). Data commands: ``lean_local/data``;
    training: this package's training modules, the data readers and the signals library; a workspace tool (``python <tool>``): the tool, the data readers, the object
    store and the signals library; a backtest (or any other command): all of ``lean_local``, the
    ``Library`` and the project's folder (its backtests excluded).
    """
    verb = command[0]
    if verb == "data":
        return [code_root / "data"]
    if verb == "python":
        return [workspace / command[1], code_root / "data", code_root / "object_store.py", workspace / "Library"]
    if verb == "train":
        return [TRAINING, code_root / "data", workspace / "Library"]
    paths = [code_root, workspace / "Library"]
    project = next((arg for arg in command[1:] if not arg.startswith("-")), None)
    if project is not None:
        paths.append(workspace / "algorithms" / Path(project).name)
    return paths


def hash_files(paths: Iterable[Path], hasher) -> None:
    """Feed the relative names and contents of the files under ``paths`` (sorted) to ``hasher``;
    result folders, caches and compiled files are left out."""
    skipped = {"backtests", "optimizations", "__pycache__", ".ipynb_checkpoints"}
    for root in paths:
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and not skipped.intersection(p.relative_to(root).parts)
            and p.suffix != ".pyc")
        for path in files:
            hasher.update(str(path.relative_to(root.parent)).encode() + b"\0")
            hasher.update(path.read_bytes())


def sample_fingerprint(sample: Path | None, hasher) -> None:
    """LEAN's sample folder by its files' names, sizes and modification times (it is read, never built)."""
    if sample is None:
        return
    for path in sorted(p for p in sample.rglob("*") if p.is_file()):
        stat = path.stat()
        hasher.update(f"{path.relative_to(sample)}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())


def step_hash(command: Sequence[str], workspace: Path, code_root: Path, state: DemoState,
              sample: Path | None) -> str:
    """The content hash of a step: its command, its code, LEAN's sample (what the data folder links)
    and the hashes of the steps it reads from (the data steps for everything after them, the
    training for the ML backtest)."""
    hasher = hashlib.sha256(json.dumps(list(command)).encode())
    hash_files(code_inputs(command, workspace, code_root), hasher)
    sample_fingerprint(sample, hasher)
    for step in sorted(state.steps):
        if _reads_from(command, step):  # its inputs and which run built it: a rerun is new input
            recorded = state.steps[step]
            hasher.update(f"{step}={recorded['hash']}:{recorded.get('run', '')}\0".encode())
    return hasher.hexdigest()


def _reads_from(command: Sequence[str], step: str) -> bool:
    """Whether ``command`` reads what ``step`` built: every later step reads the data steps; the
    ML backtest reads the training step; the Kalman backtest reads the Kalman fit."""
    if step.startswith("data "):
        return command[0] != "data"
    if command[0] != "backtest":
        return False
    verb, target = step.split()[:2]
    if verb == "python":
        return target in TOOL_OUTPUTS and TOOL_OUTPUTS[target][0] == command[1]
    return verb == "train" and target == command[1]


def _outputs(command: Sequence[str], workspace: Path, data: Path) -> list[Path]:
    """Files whose absence makes a step run again whatever its hash."""
    if command[:2] == ["data", "synthetic"]:
        from lean_local.data.synthetic.config import MARKER_FILE, WORKSPACE_SUBFOLDER

        return [data / WORKSPACE_SUBFOLDER / MARKER_FILE]
    if command[:2] == ["data", "ecb-fx"]:
        return [data / "forex" / "oanda" / "daily" / "eurusd.zip"]
    if command[:2] == ["data", "vix"]:
        return [data / "index" / "usa" / "daily" / "vix.zip"]
    if command[0] in ("train", "python"):
        from lean_local.workspace import find_workspace, object_store_root

        store = object_store_root(find_workspace(workspace))
        if command[0] == "train":
            return [store / command[1] / "manifest.json"]
        if command[1] in TOOL_OUTPUTS:
            return [store / TOOL_OUTPUTS[command[1]][1]]
    return []


class DemoState:
    """Each step's last input hash, when it ran (and a backtest's result folder), kept in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.steps: dict[str, dict] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.steps = {}

    def up_to_date(self, step: str, key: str, outputs: Iterable[Path]) -> bool:
        """The step ran with these inputs and its outputs are still there."""
        return self.steps.get(step, {}).get("hash") == key and all(p.exists() for p in outputs)

    def backtest(self, label: str, key: str) -> tuple[dict[str, str], Path] | None:
        """A backtest's statistics and folder when it ran with these inputs and its result is still there."""
        recorded = self.steps.get(label, {})
        if recorded.get("hash") != key or not recorded.get("output"):
            return None
        folder = Path(recorded["output"])
        from lean_local.report import RESULT_NAME

        results = sorted(p for p in folder.glob("*.json") if RESULT_NAME.match(p.name)) if folder.is_dir() else []
        if not results:
            return None
        statistics = json.loads(results[-1].read_text(encoding="utf-8")).get("statistics") or {}
        return statistics, folder

    def record(self, step: str, key: str, output: str | None = None) -> None:
        """Keep a step's hash (written at once, so an interrupted demo keeps what finished)."""
        from lean_local.atomic import write_atomic

        self.steps[step] = {"hash": key, "run": time.time_ns(), **({"output": output} if output else {})}
        write_atomic(self.path, (json.dumps(self.steps, indent=2, sort_keys=True) + "\n").encode())


def prune_backtests(folder: Path, keep: int, protected: Iterable[Path] = ()) -> list[Path]:
    """Remove the oldest run folders of ``folder`` (a project's ``backtests/``) beyond the newest
    ``keep``; ``protected`` folders (the ones the demo's summary shows) always stay.

    Only folders named as ``lean-local backtest`` names them (``YYYY-MM-DD_HH-MM-SS``, possibly
    with a suffix) are counted and removed. Returns the removed folders.
    """
    if keep < 0:
        raise ValueError(f"--keep-backtests must be 0 or more, not {keep}")
    if not folder.is_dir():
        return []
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and _is_run_name(p.name))
    stay = {p.resolve() for p in protected}
    removed = []
    for run in runs[: max(0, len(runs) - keep)]:
        if run.resolve() in stay:
            continue
        shutil.rmtree(run)
        removed.append(run)
    return removed


def _is_run_name(name: str) -> bool:
    stamp = name[:19]
    return len(stamp) == 19 and stamp[4] == stamp[7] == "-" and stamp[10] == "_" and \
        stamp.replace("-", "").replace("_", "").isdigit()


def _summary(results) -> str:
    lines = ["", "Summary (every figure is out of sample; see each project's docs for the full story)", ""]
    header = ["backtest", "data", *HEADLINE_STATISTICS, "results"]
    rows = [header]
    for backtest, statistics, output_dir in results:
        rows.append([backtest.label, backtest.data_note,
                     *(statistics.get(name, "") for name in HEADLINE_STATISTICS),
                     str(_report_or_folder(output_dir))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return "\n".join(lines)


def _report_or_folder(output_dir: Path | None) -> Path | None:
    if output_dir is None:
        return None
    folder = Path(output_dir)
    reports = sorted(folder.glob("*.html"))
    return reports[0] if reports else folder


if __name__ == "__main__":
    from lean_local.cli import main

    sys.exit(main(["demo", *sys.argv[1:]]))
