"""``run_algorithm``: one algorithm initialized, run over its data by LEAN's event loop
(:mod:`lean_local.engine.loop`) and recorded (:mod:`lean_local.engine.run_record`); the errors a run
ends with."""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lean_local.collector import objects_frozen
from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.loop import BacktestLoop
from lean_local.engine.run_record import bare_record, build_record
from lean_local.engine.time_limit import DEFAULT_MINUTES, TimeLoopLimit
from lean_local.statistics import BacktestRecord


class AlgorithmRuntimeError(RuntimeError):
    """An exception raised by the algorithm's own code; ``record`` holds the partial results."""

    def __init__(self, message: str, record: BacktestRecord) -> None:
        super().__init__(message)
        self.record = record


class NoDataError(RuntimeError):
    """A run in which no subscription had data: an error, not a table of zeros."""


class AlgorithmInterrupted(KeyboardInterrupt):
    """The user interrupted the run (Ctrl-C); ``record`` holds the partial results (state ``Stopped``).

    A ``KeyboardInterrupt``, so that a caller running many backtests (an optimization) stops too.
    """

    def __init__(self, record: BacktestRecord) -> None:
        super().__init__("interrupted")
        self.record = record



# the handlers LEAN calls by name (AlgorithmPythonWrapper)
_HANDLERS = ("initialize", "on_data", "on_order_event", "on_securities_changed", "on_warmup_finished", "on_splits",
             "on_dividends", "on_delistings", "on_symbol_changed_events", "on_end_of_algorithm", "on_margin_call",
             "on_margin_call_warning", "on_end_of_day")


def bind_pascal_case_handlers(algo: QCAlgorithm) -> None:
    """LEAN looks a handler up as ``Extensions.GetMethod`` does: the snake_case method the algorithm's
    class defines, else its PascalCase one (``OnData``, ``Initialize``): such a class gets the
    PascalCase method bound under the snake_case name the engine calls."""
    cls = type(algo)
    for snake in _HANDLERS:
        base = getattr(QCAlgorithm, snake, None)
        pascal = "".join(part.capitalize() for part in snake.split("_"))
        own = getattr(cls, pascal, None)
        if base is not None and getattr(cls, snake) is base and callable(own) and own is not getattr(QCAlgorithm,
                                                                                                    pascal, None):
            setattr(algo, snake, getattr(algo, pascal))


def run_algorithm(algorithm_class: type[QCAlgorithm], data_folder: Path, parameters: dict[str, str] | None = None,
                  object_store: Any = None, on_step: Any = None,
                  time_loop_minutes: float = DEFAULT_MINUTES) -> tuple[QCAlgorithm, BacktestRecord, BacktestLoop]:
    """Initialize and run ``algorithm_class``; returns the algorithm, its record and the loop.

    ``time_loop_minutes`` is LEAN's ``algorithm-manager-time-loop-maximum``: a time step running
    longer stops the run with LEAN's error (0 or less: no limit).

    Raises
    ------
    AlgorithmRuntimeError
        The algorithm's code raised (``sys.exit`` and ``quit`` included) or a time step ran past the
        limit; the exception's ``record`` holds the partial results (state ``RuntimeError``) and its
        message the traceback.
    AlgorithmInterrupted
        Ctrl-C; its ``record`` holds the partial results (state ``Stopped``).
    """
    # At its first zone lookup pytz opens the file of each of the ~600 zones it lists (20 to 40 ms of a small
    # backtest); its documented PYTZ_SKIPEXISTSCHECK skips that: a pip install of pytz holds every zone it lists.
    os.environ.setdefault("PYTZ_SKIPEXISTSCHECK", "1")
    with _fewer_collections():
        return _run_algorithm(algorithm_class, data_folder, parameters, object_store, on_step, time_loop_minutes)


#: The cyclic garbage collector's generation-0 threshold during a run (Python's default is 700).
GC_THRESHOLD = 20_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage cycles less often during a run: a run allocates many small objects that live to
    its end (orders, tickets, the fill and event records, bar views), and at the default threshold the
    collector walks them again and again (a quarter of the CPU time of 100,000 orders,
    ``benchmarks/bench_orders.py``). The run makes few cycles; the previous thresholds come back after it.

    The objects that exist when the run starts (the imported modules', about 90,000) are frozen for the
    run (:func:`~lean_local.collector.objects_frozen`), so the collections walk the run's objects only: in ``bench_orders.py``'s run of
    25,000 orders at 100 stocks the collector's time fell from 154 to 63 ms (its one full collection,
    94 ms, was no longer due). A caller's frozen objects (a forked worker's) stay frozen.

    The objects the run leaves (its orders, fills and record, 16,000 at 100 stocks x 5 years) join the oldest
    generation unexamined, as the frozen ones do: restored to the default threshold, the young generation's
    collection at the caller's next allocation walked them all (4 ms of that run's 0.19 s) only to promote them
    (a caller writing the results freezes them anyway, ``lean_local.backtest.outputs``)."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *previous[1:])
    try:
        with objects_frozen():
            yield
    finally:
        gc.set_threshold(*previous)


def _run_algorithm(algorithm_class: type[QCAlgorithm], data_folder: Path, parameters: dict[str, str] | None,
                   object_store: Any, on_step: Any, time_loop_minutes: float
                   ) -> tuple[QCAlgorithm, BacktestRecord, BacktestLoop]:
    algo = algorithm_class()
    run = algo._attach_engine(Path(data_folder), parameters or {}, object_store)
    loop = BacktestLoop(algo, run, on_step)
    try:
        run.initializing = True
        run.feed.clock.time = algo.start_date
        bind_pascal_case_handlers(algo)
        algo.initialize()
        run.initializing = False
        loop.prepare()
        with TimeLoopLimit(time_loop_minutes, lambda: loop.feed.step) as limit:
            loop.time_limit = limit
            loop.run()
        algo.on_end_of_algorithm()
        loop.finish()
    except formats.DataFormatError:
        raise
    except KeyboardInterrupt as exc:
        algo.error("Algorithm stopped by the user (interrupt); partial results written")
        raise AlgorithmInterrupted(_partial_record(algo, loop, "", "Stopped")) from exc
    except (Exception, SystemExit) as exc:  # the algorithm's own error (sys.exit too): keep what ran so far
        trace = algorithm_traceback(exc)
        message = str(exc)
        if isinstance(exc, SystemExit):
            message = f"SystemExit({exc.code!r}): the algorithm called sys.exit or quit; use self.quit() to end a run"
            trace += message + "\n"
        algo.error(f"Runtime Error: {message}")
        record = _partial_record(algo, loop, f"{message}\n{trace}")
        raise AlgorithmRuntimeError(trace, record) from exc
    return algo, build_record(algo, loop), loop



RUNTIME_PACKAGE = str(Path(__file__).resolve().parents[1])


def algorithm_traceback(exc: BaseException) -> str:
    """``exc``'s traceback from the first frame outside ``lean_local`` (the algorithm's
    ``main.py``), as LEAN shows a Python algorithm's stack; the whole traceback when every frame
    is the runtime's."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if not frame.filename.startswith(RUNTIME_PACKAGE)), 0)
    return "".join(["Traceback (most recent call last):\n", *traceback.format_list(frames[first:]),
                    *traceback.format_exception_only(type(exc), exc)])


def _partial_record(algo: QCAlgorithm, loop: BacktestLoop, error: str, state: str = "RuntimeError") -> BacktestRecord:
    """The failed run's record; when even that cannot be built, a record of its name, dates, logs
    and error alone (the results of a failed run are written whatever state it stopped in)."""
    try:
        return build_record(algo, loop, state, error)
    except Exception as exc:  # noqa: BLE001 - the first error is the one to report
        run = loop.run_context
        return bare_record(algo.name, dict(run.parameters), algo.start_date, algo.time, list(algo.logs),
                           f"{error}\nThe partial results could not be built: {exc!r}", str(run.data_folder))
