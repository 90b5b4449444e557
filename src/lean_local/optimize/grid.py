"""The parameter grid: ``--parameter NAME MIN MAX STEP`` and every combination of the values."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: The largest grid ``optimize`` runs unless told otherwise (``--max-points``).
MAX_GRID_POINTS = 10_000


class OptimizationError(ValueError):
    """A user error in the optimization's arguments or project; the message says what to do."""


@dataclass(frozen=True)
class GridParameter:
    """One ``--parameter NAME MIN MAX STEP``: the values ``min, min + step, ...`` up to ``max``."""

    name: str
    minimum: Decimal
    maximum: Decimal
    step: Decimal

    @classmethod
    def parse(cls, name: str, minimum: str, maximum: str, step: str) -> GridParameter:
        try:
            lo, hi, st = Decimal(minimum), Decimal(maximum), Decimal(step)
        except InvalidOperation as exc:
            raise OptimizationError(f"--parameter {name} {minimum} {maximum} {step}: MIN, MAX and STEP must be "
                                    "numbers (e.g. --parameter lookback 10 50 10)") from exc
        if not (lo.is_finite() and hi.is_finite() and st.is_finite()):
            raise OptimizationError(f"--parameter {name} {minimum} {maximum} {step}: MIN, MAX and STEP must be "
                                    "finite numbers")
        if st <= 0 or hi < lo:
            raise OptimizationError(f"--parameter {name}: need MIN <= MAX and STEP > 0 "
                                    f"(got {minimum} {maximum} {step})")
        return cls(name, lo, hi, st)

    @property
    def count(self) -> int:
        """The number of grid values."""
        return int((self.maximum - self.minimum) / self.step) + 1

    def values(self) -> list[str]:
        """The grid values as ``config.json`` strings (decimal arithmetic: 0.1 steps do not drift)."""
        return [_decimal_text(self.minimum + i * self.step) for i in range(self.count)]


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def grid_points(parameters: Sequence[GridParameter], max_points: int = MAX_GRID_POINTS) -> list[dict[str, str]]:
    """Every combination of the parameters' values; the last parameter varies fastest.

    A grid of more than ``max_points`` is refused before any value is built (each point is a
    whole backtest; ``--max-points`` raises the limit).
    """
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise OptimizationError(f"a parameter is given twice: {names}")
    size = math.prod(p.count for p in parameters)
    if size > max_points:
        raise OptimizationError(f"the grid has {size:,} points (one backtest each), more than --max-points "
                                f"{max_points:,}: widen the steps or raise --max-points")
    axes = [p.values() for p in parameters]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes)]

