"""``lean-local backtest``: a project folder run like ``lean backtest``, above the engine.

The engine (:func:`lean_local.engine.runner.run_algorithm`) runs an algorithm class and hands back
its record; this package loads the project's ``main.py`` (:mod:`.project`), runs it
(:mod:`.run`), writes the statistics, LEAN's result files and the HTML report (:mod:`.outputs`),
and is the command line (:mod:`.cli`).
"""

from lean_local.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "outputs": ["write_outputs", "write_report"],
    "project": ["SHIM", "load_algorithm_class"],
    "run": ["RunResult", "run_backtest"],
})
