"""What a run is judged by: LEAN's statistics as numbers, the target, its direction and the constraints."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lean_local.optimize.grid import OptimizationError

if TYPE_CHECKING:
    from lean_local.optimize.execution import RunSummary

_CURRENCY_PREFIX = re.compile(r"^[^\d+\-.]+")


def parse_statistic(text: str) -> float:
    """A LEAN formatted statistic as a number: ``"0.800%"`` -> 0.008, ``"$3.49"`` -> 3.49.

    Percent statistics become fractions, a currency symbol (``$``, ``€``, ``CHF ``) is dropped.

    Returns
    -------
    float
        The value; NaN when the text is not a number (``"Lowest Capacity Asset"``'s symbol).
    """
    s = str(text).strip().replace(",", "")
    percent = s.endswith("%")
    s = _CURRENCY_PREFIX.sub("", s.rstrip("%")).strip()
    try:
        value = float(s)
    except ValueError:
        return float("nan")
    return value / 100.0 if percent else value


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
}
_CONSTRAINT = re.compile(r"^\s*(?P<name>.+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``"Drawdown < 0.25"``: a statistic, a comparison, a threshold (percent statistics as fractions)."""

    statistic: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        match = _CONSTRAINT.match(text)
        value = parse_statistic(match["value"]) if match else float("nan")
        if match is None or math.isnan(value):
            raise OptimizationError(f'--constraint "{text}": write STATISTIC OP VALUE, e.g. "Drawdown < 0.25" '
                                    f"(OP one of {', '.join(_OPERATORS)})")
        return cls(match["name"], match["op"], value)

    def holds(self, statistics: dict[str, str]) -> bool:
        value = parse_statistic(statistics[self.statistic])
        return not math.isnan(value) and _OPERATORS[self.op](value, self.value)

    def __str__(self) -> str:
        return f"{self.statistic} {self.op} {self.value:g}"


def check_statistic(name: str, statistics: dict[str, str], what: str) -> None:
    if name not in statistics:
        raise OptimizationError(f'{what} "{name}" is not a LEAN statistic; use one of: {", ".join(statistics)}')
    if math.isnan(parse_statistic(statistics[name])):
        raise OptimizationError(f'{what} "{name}" is not numeric ("{statistics[name]}"); pick a numeric statistic')


@dataclass(frozen=True)
class Objective:
    """The target statistic, its direction and the constraints a run must satisfy."""

    target: str = "Sharpe Ratio"
    direction: str = "max"
    constraints: tuple[Constraint, ...] = ()

    def validate(self, statistics: dict[str, str]) -> None:
        """Raise :class:`OptimizationError` when a name is not a numeric statistic of ``statistics``."""
        check_statistic(self.target, statistics, "--target")
        for constraint in self.constraints:
            check_statistic(constraint.statistic, statistics, "--constraint")

    def feasible(self, run: RunSummary) -> bool:
        return run.completed and all(c.holds(run.statistics) for c in self.constraints)

    def rank(self, runs: Sequence[RunSummary]) -> list[RunSummary]:
        """Feasible runs best first, then infeasible ones, then failed ones; ties by run id."""
        sign = -1.0 if self.direction == "max" else 1.0

        def key(run: RunSummary) -> tuple:
            value = parse_statistic(run.statistics.get(self.target, "nan"))
            group = 0 if self.feasible(run) else (1 if run.completed else 2)
            return group, math.isnan(value), sign * (0.0 if math.isnan(value) else value), run.run_id

        return sorted(runs, key=key)

    def best(self, runs: Sequence[RunSummary]) -> RunSummary | None:
        ranked = self.rank(runs)
        return ranked[0] if ranked and self.feasible(ranked[0]) else None


def results_table(runs: Sequence[RunSummary], objective: Objective) -> pd.DataFrame:
    """One row per run, sorted by the target: run id, parameters, feasibility, every statistic as a number.

    Non-numeric statistics (``Lowest Capacity Asset``) keep their text; percent statistics are fractions.
    """
    rows = []
    for run in objective.rank(runs):
        row: dict[str, Any] = {"run_id": run.run_id, **run.parameters, "state": run.state,
                               "feasible": objective.feasible(run)}
        for name, text in run.statistics.items():
            value = parse_statistic(text)
            row[name] = text if math.isnan(value) else value
        rows.append(row)
    return pd.DataFrame(rows)

