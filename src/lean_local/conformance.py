"""Conformance with LEAN: run LEAN's own regression algorithms and compare LEAN's statistics.

A regression set is a folder of LEAN Python algorithms (``<Name>.py``, run unmodified) and a JSON
file of what LEAN prints for each (``{"<Name>": {"statistics": {...}, "DataPoints": n}}``, the
``ExpectedStatistics`` and ``DataPoints`` of their C# twins). Each algorithm runs in its own
process (forked from a server that has imported the runtime once), with the runtime's
``AlgorithmImports``, the algorithms' folder and its sibling ``support/`` first on ``sys.path``, as
LEAN runs them with ``Algorithm.Python/`` on the path.

A statistic reproduces when it equals LEAN's string at LEAN's printed precision:

- ``Total Orders``, ``Start Equity``, ``End Equity`` and ``Total Fees``: the same string;
- every other number: the same form (``$`` prefix, ``%`` suffix) and at most one unit in the last
  digit LEAN printed (``"0.321"`` accepts 0.320 to 0.322);
- text (``Lowest Capacity Asset``): the same string.

``OrderListHash`` is not compared: LEAN's is the MD5 of every order serialized by Newtonsoft.Json
with all of C#'s ``Order`` properties in declaration order (``Common/Extensions.cs`` ``GetHash``),
which this runtime's orders do not carry. ``AlgorithmHistoryDataPoints`` is not compared either
(the runtime does not count history requests' data points).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import multiprocessing
import multiprocessing.connection
import os
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

EXACT_STATISTICS = frozenset({"Total Orders", "Start Equity", "End Equity", "Total Fees"})
NOT_COMPARED = {
    "OrderListHash": "MD5 of LEAN's Newtonsoft.Json serialization of its C# Order objects "
                     "(Common/Extensions.cs GetHash); the runtime's orders do not carry those properties",
}
DEFAULT_TIMEOUT = 60.0


# --- LEAN's printed precision -------------------------------------------------------------------

@dataclass(frozen=True)
class PrintedNumber:
    """A statistic as LEAN prints it: ``$`` prefix, a decimal number, ``%`` suffix.

    Attributes
    ----------
    value : Decimal
        The number as printed (no float rounding).
    decimals : int
        Digits printed after the decimal point (0 for an integer).
    prefix, suffix : str
        ``"$"`` or ``""``; ``"%"`` or ``""``.
    """

    value: Decimal
    decimals: int
    prefix: str
    suffix: str

    @property
    def unit(self) -> Decimal:
        """One unit in the last printed digit (``0.001`` for ``"0.321"``, ``1`` for ``"67%"``)."""
        return Decimal(1).scaleb(-self.decimals)


def parse_printed(text: str) -> PrintedNumber | None:
    """Parse ``"-1.989"``, ``"$14.78"``, ``"-0.49%"`` or ``"$120000000.00"``; None for text that is
    not a number (``"IBM R735QTJ8XC9X"``, ``"NaN"``, ``""``)."""
    body = text.strip()
    sign = ""
    if body.startswith("-"):
        sign, body = "-", body[1:]
    prefix = "$" if body.startswith("$") else ""
    body = body[len(prefix):]
    if body.startswith("-"):  # "$-5.00"
        sign, body = "-", body[1:]
    suffix = "%" if body.endswith("%") else ""
    body = body[: len(body) - len(suffix)]
    if not body or not all(c.isdigit() or c == "." for c in body) or body.count(".") > 1 or body == ".":
        return None
    try:
        value = Decimal(sign + body)
    except InvalidOperation:
        return None
    decimals = len(body.split(".")[1]) if "." in body else 0
    return PrintedNumber(value, decimals, prefix, suffix)


def statistic_matches(name: str, expected: str, actual: str | None) -> bool:
    """Whether ``actual`` reproduces LEAN's ``expected`` string for statistic ``name``.

    Exact for :data:`EXACT_STATISTICS` and for text; otherwise the same ``$``/``%`` form and a
    difference of at most one unit in the last digit of ``expected``. A missing ``actual`` (None)
    never matches.
    """
    if actual is None:
        return False
    if name in EXACT_STATISTICS or expected == actual:
        return expected == actual
    lean, ours = parse_printed(expected), parse_printed(actual)
    if lean is None or ours is None:
        return False
    if (lean.prefix, lean.suffix) != (ours.prefix, ours.suffix):
        return False
    return abs(ours.value - lean.value) <= lean.unit


def compare_statistics(expected: dict[str, str], actual: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """Every statistic of ``expected`` (except :data:`NOT_COMPARED`) that ``actual`` does not
    reproduce, as ``(name, LEAN's, ours)`` in ``expected``'s order."""
    return [(name, value, actual.get(name)) for name, value in expected.items()
            if name not in NOT_COMPARED and not statistic_matches(name, value, actual.get(name))]


# --- the regression set -------------------------------------------------------------------------

@dataclass(frozen=True)
class RegressionSet:
    """Where a regression set lives.

    Attributes
    ----------
    algorithms : Path
        Folder of ``<Name>.py`` algorithms.
    expected : Path
        JSON of LEAN's statistics per algorithm name.
    data_folder : Path
        The LEAN data folder to run them on.
    fundamental_data_provider : str
        LEAN's name of the fundamental data provider the runs read (``TestFundamentalDataProvider``, as
        LEAN's test runner, or ``CoarseFundamentalDataProvider``, LEAN's default): see
        :mod:`lean_local.conformance_fundamentals`.
    """

    algorithms: Path
    expected: Path
    data_folder: Path
    fundamental_data_provider: str = "TestFundamentalDataProvider"

    def names(self) -> list[str]:
        """The algorithms of the set (``.py`` files), sorted."""
        return sorted(p.stem for p in self.algorithms.glob("*.py"))

    def expectations(self) -> dict[str, dict[str, Any]]:
        """``expected.json``: name -> {"statistics": {...}, "DataPoints": n, ...}."""
        return json.loads(self.expected.read_text())

    def import_paths(self) -> list[str]:
        """What goes first on ``sys.path``: the runtime's shim, the algorithms' folder and its
        sibling ``support/`` (LEAN's ``Algorithm.Python/``)."""
        from lean_local.backtest.project import SHIM

        paths = [str(SHIM), str(self.algorithms)]
        support = self.algorithms.parent / "support"
        if support.is_dir():
            paths.append(str(support))
        return paths


def default_regression_folder(repo_root: Path | None = None) -> Path:
    """``LEAN_REGRESSION_FOLDER``, else ``../shared/lean-regression`` beside the repository."""
    env = os.environ.get("LEAN_REGRESSION_FOLDER")
    if env:
        return Path(env).resolve()
    root = repo_root or Path(__file__).resolve().parents[2]
    return (root.parent / "shared" / "lean-regression").resolve()


# --- one run --------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What running one regression algorithm gave.

    Attributes
    ----------
    name : str
        The algorithm (file stem).
    status : str
        ``"reproduces"``, ``"mismatch"``, ``"error"`` (it raised, or did not load) or ``"timeout"``.
    mismatches : list of (str, str, str or None)
        ``(statistic, LEAN's, ours)`` for each statistic that does not reproduce; ``DataPoints``
        is listed here too when ``expected.json`` gives it and the count differs.
    error : str
        The exception's last line (``NameError: name 'AlphaModel' is not defined``), or the
        timeout; empty when the algorithm ran.
    seconds : float
        Wall time of the run.
    """

    name: str
    status: str
    mismatches: list[tuple[str, str, str | None]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def reproduces(self) -> bool:
        return self.status == "reproduces"

    def line(self) -> str:
        """One line for the command's output."""
        if self.status == "reproduces":
            return f"{self.name}: reproduces"
        if self.status == "mismatch":
            shown = "; ".join(f"{n} LEAN {lean!r} ours {ours!r}" for n, lean, ours in self.mismatches[:3])
            more = f" (+{len(self.mismatches) - 3} more)" if len(self.mismatches) > 3 else ""
            return f"{self.name}: mismatch: {shown}{more}"
        return f"{self.name}: {self.status}: {self.error}"


def _algorithm_class(module: Any, base: type) -> type:
    """The ``QCAlgorithm`` subclass LEAN would load: the one defined in the file (LEAN's loader
    requires exactly one; an algorithm file may also define helper classes that are not algorithms)."""
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
             and obj.__module__ == module.__name__]
    if len(found) != 1:
        raise ValueError(f"{module.__file__} defines {len(found)} QCAlgorithm subclasses; LEAN needs exactly one")
    return found[0]


def _last_line(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def run_here(regression: RegressionSet, name: str, expected: dict[str, Any]) -> Outcome:
    """Run ``name`` in this process and compare it with ``expected`` (its ``expected.json`` entry).

    Imports the algorithm file as module ``name`` with :meth:`RegressionSet.import_paths` first on
    ``sys.path``; meant for a fresh process (it leaves the modules it imported behind).
    """
    started = time.perf_counter()
    for path in reversed(regression.import_paths()):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    from lean_local.conformance_fundamentals import PROVIDERS
    from lean_local.engine import fundamental_data
    from lean_local.engine.runner import AlgorithmRuntimeError, run_algorithm
    from lean_local.statistics import compute_statistics

    try:
        import AlgorithmImports

        spec = importlib.util.spec_from_file_location(name, regression.algorithms / f"{name}.py")
        if spec is None or spec.loader is None:
            raise FileNotFoundError(regression.algorithms / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        algorithm_class = _algorithm_class(module, AlgorithmImports.QCAlgorithm)
        with fundamental_data.using(PROVIDERS[regression.fundamental_data_provider]):
            _algo, record, loop = run_algorithm(algorithm_class, regression.data_folder)
        statistics = compute_statistics(record)
    except AlgorithmRuntimeError as error:
        cause = error.__cause__ if error.__cause__ is not None else error
        return Outcome(name, "error", error=_last_line(cause), seconds=time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - a file that does not load is an outcome, not a crash
        return Outcome(name, "error", error=_last_line(error), seconds=time.perf_counter() - started)
    mismatches = compare_statistics(expected.get("statistics", {}), statistics)
    if "DataPoints" in expected and int(expected["DataPoints"]) != loop.data_points:
        mismatches.append(("DataPoints", str(expected["DataPoints"]), str(loop.data_points)))
    return Outcome(name, "mismatch" if mismatches else "reproduces", mismatches,
                   seconds=time.perf_counter() - started)


def _child(regression: RegressionSet, name: str, expected: dict[str, Any], connection: Any) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    try:
        outcome = run_here(regression, name, expected)
    except BaseException as error:  # noqa: BLE001 - report anything, even SystemExit from the algorithm
        outcome = Outcome(name, "error", error=_last_line(error))
    connection.send(outcome)
    connection.close()


def _context() -> Any:
    """Processes forked from a server that imported the runtime once (fast and clean); plain
    ``spawn`` where ``fork`` does not exist."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["numpy", "pandas", "lean_local.engine.runner", "lean_local.statistics"])
        return context
    return multiprocessing.get_context("spawn")


class _Running:
    """One algorithm running in its own process."""

    def __init__(self, context: Any, regression: RegressionSet, name: str, expected: dict[str, Any]) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(regression, name, expected, sender), daemon=True)
        self.process.start()
        sender.close()

    def poll(self, timeout: float) -> Outcome | None:
        """The outcome once the process has reported, died or run past ``timeout`` seconds."""
        elapsed = time.perf_counter() - self.started
        if self.receiver.poll(0):
            try:
                outcome: Outcome = self.receiver.recv()
            except EOFError:
                outcome = Outcome(self.name, "error", error=f"the process died (exit code {self.process.exitcode})")
            self.process.join()
            outcome.seconds = elapsed
            return outcome
        if not self.process.is_alive():
            self.process.join()
            return Outcome(self.name, "error", error=f"the process died (exit code {self.process.exitcode})",
                           seconds=elapsed)
        if elapsed > timeout:
            self.process.kill()
            self.process.join()
            return Outcome(self.name, "timeout", error=f"still running after {timeout:g} s", seconds=elapsed)
        return None


def run_isolated(regression: RegressionSet, names: Iterable[str], *, jobs: int = 1,
                 timeout: float = DEFAULT_TIMEOUT) -> Iterator[Outcome]:
    """Run each algorithm of ``names`` in its own process, ``jobs`` at a time, and yield each
    outcome as it finishes (an algorithm past ``timeout`` seconds is killed: status ``timeout``).

    A name without an ``expected.json`` entry gives status ``error``.
    """
    expectations = regression.expectations()
    context = _context()
    waiting = list(names)
    running: list[_Running] = []
    while waiting or running:
        while waiting and len(running) < max(1, jobs):
            name = waiting.pop(0)
            if name not in expectations:
                yield Outcome(name, "error", error=f"no entry in {regression.expected}")
                continue
            if not (regression.algorithms / f"{name}.py").is_file():
                yield Outcome(name, "error", error=f"no {name}.py in {regression.algorithms}")
                continue
            running.append(_Running(context, regression, name, expectations[name]))
        for item in list(running):
            outcome = item.poll(timeout)
            if outcome is not None:
                running.remove(item)
                yield outcome
        if running:
            multiprocessing.connection.wait([r.receiver for r in running] + [r.process.sentinel for r in running],
                                            timeout=0.2)


# --- the command ----------------------------------------------------------------------------------

def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``conformance`` command."""
    from lean_local.conformance_fundamentals import DEFAULT_PROVIDER, PROVIDERS

    parser = subparsers.add_parser(
        "conformance",
        help="run LEAN's regression algorithms and compare LEAN's statistics",
        description="Run each algorithm of a LEAN regression set unmodified on a LEAN data folder and compare every "
                    "statistic with what LEAN prints (expected.json), at LEAN's printed precision. Prints one line "
                    "per algorithm and 'k/N reproduce'.",
        epilog="examples:\n"
               "  lean-local conformance                                 the set in $LEAN_REGRESSION_FOLDER or "
               "../shared/lean-regression\n"
               "  lean-local conformance BasicTemplateIndexDailyAlgorithm one algorithm\n"
               "  lean-local conformance --algorithms Lean/Algorithm.Python --expected expected.json "
               "--data-folder Lean/Data",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="algorithms to run (default: every .py of the set)")
    parser.add_argument("--algorithms", help="folder of <Name>.py algorithms (default: <set>/algorithms)")
    parser.add_argument("--expected", help="JSON of LEAN's statistics per algorithm (default: <algorithms>/../expected.json)")
    parser.add_argument("--data-folder", help="LEAN data folder (default: $LEAN_DATA_FOLDER, else lean.json's)")
    parser.add_argument("--fundamental-data-provider", choices=sorted(PROVIDERS), default=DEFAULT_PROVIDER,
                        help="fundamental data the algorithms read (default: LEAN's test runner's, with which LEAN "
                             "made its statistics)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="algorithms run at once (default: cores)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds before an algorithm is stopped (default: {DEFAULT_TIMEOUT:g})")
    parser.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    from lean_local.workspace import data_folder as workspace_data_folder

    algorithms = Path(args.algorithms).resolve() if args.algorithms else default_regression_folder() / "algorithms"
    expected = Path(args.expected).resolve() if args.expected else algorithms.parent / "expected.json"
    if args.data_folder:
        data_folder = Path(args.data_folder).resolve()
    elif os.environ.get("LEAN_DATA_FOLDER"):
        data_folder = Path(os.environ["LEAN_DATA_FOLDER"]).resolve()
    else:
        data_folder = workspace_data_folder(reading=True)
    for path, what in ((algorithms, "algorithms folder"), (expected, "expected statistics file"),
                       (data_folder, "data folder")):
        if not path.exists():
            print(f"error: no {what} at {path}", file=sys.stderr)
            return 2
    regression = RegressionSet(algorithms, expected, data_folder, args.fundamental_data_provider)
    names = args.names or regression.names()
    outcomes = {o.name: o for o in run_isolated(regression, names, jobs=args.jobs, timeout=args.timeout)}
    for name in names:
        print(outcomes[name].line())
    reproduced = sum(o.reproduces for o in outcomes.values())
    print(f"{reproduced}/{len(names)} reproduce")
    return 0
