"""Indicators built from other indicators (LEAN ``Identity``, ``ConstantIndicator``,
``CompositeIndicator``, ``IndicatorExtensions``).

``IndicatorExtensions.of(second, first)`` feeds every value ``first`` produces into ``second`` (by
default only once ``first`` is ready). ``plus/minus/times/over`` build a ``CompositeIndicator`` that
updates once both sides produced a new value since its last update (a constant side counts as
always new) and is ready when both sides are; ``over`` by zero is a math error: the composite keeps
its previous value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lean_local.indicators.averages import (
    ExponentialMovingAverage,
    SimpleMovingAverage,
    Sum,
)
from lean_local.indicators.base import Indicator, IndicatorBase, IndicatorResult, IndicatorStatus
from lean_local.indicators.extrema import Maximum, Minimum
from lean_local.indicators.window import MIN_TIME, IndicatorDataPoint


class Identity(Indicator):
    """Its value is its last input (LEAN ``Identity``); ready after one input."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)

    @property
    def warm_up_period(self) -> int:
        return 1

    @property
    def is_ready(self) -> bool:
        return self.samples > 0

    def _compute(self, data: Any) -> float:
        return data.value


class WindowIdentity(Identity):
    """``Identity`` ready after ``period`` inputs (LEAN ``WindowIdentity``)."""

    def __init__(self, *args: Any) -> None:
        if len(args) >= 2:
            name, period = str(args[0]), int(args[1])
        else:
            period = int(args[0])
            name = f"WINDOW_IDENTITY({period})"
        super().__init__(name)
        self.period = period

    @property
    def warm_up_period(self) -> int:
        return self.period

    @property
    def is_ready(self) -> bool:
        return self.samples >= self.period


class ConstantIndicator(IndicatorBase):
    """Always ``value`` and always ready (LEAN ``ConstantIndicator``)."""

    def __init__(self, name: str, value: float) -> None:
        super().__init__(name)
        self._value = float(value)
        self.current = IndicatorDataPoint(MIN_TIME, self._value)

    @property
    def is_ready(self) -> bool:
        return True

    def _compute(self, data: Any) -> float:
        return self._value

    def reset(self) -> None:
        super().reset()
        self.current = IndicatorDataPoint(MIN_TIME, self._value)


Composer = Callable[[IndicatorBase, IndicatorBase], Any]


class CompositeIndicator(IndicatorBase):
    """``composer(left, right)`` each time both sides have updated (LEAN ``CompositeIndicator``).

    ``CompositeIndicator(name, left, right, composer)`` or ``(left, right, composer)``; the composer
    returns a float or an ``IndicatorResult``.
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 4:
            name, left, right, composer = args
        else:
            name = None
            left, right, composer = args
        super().__init__(name or f"COMPOSE({left.name},{right.name})")
        self.left: IndicatorBase = left
        self.right: IndicatorBase = right
        self._composer = composer
        self._configure_event_handlers()

    @property
    def is_ready(self) -> bool:
        return self.left.is_ready and self.right.is_ready

    def _validate_and_compute(self, data: Any) -> IndicatorResult:
        result = self._composer(self.left, self.right)
        return result if isinstance(result, IndicatorResult) else IndicatorResult(float(result))

    def _configure_event_handlers(self) -> None:
        left_constant = isinstance(self.left, ConstantIndicator)
        right_constant = isinstance(self.right, ConstantIndicator)
        pending: dict[str, IndicatorDataPoint | None] = {"left": None, "right": None}

        def max_time(updated: IndicatorDataPoint) -> datetime:
            return max(updated.time, self.right.current.time, self.left.current.time)

        def on_left(sender: Any, updated: IndicatorDataPoint) -> None:
            pending["left"] = updated
            if pending["right"] is not None or right_constant:
                self._update(IndicatorDataPoint(max_time(updated), 0.0))
                pending["left"] = pending["right"] = None

        def on_right(sender: Any, updated: IndicatorDataPoint) -> None:
            pending["right"] = updated
            if pending["left"] is not None or left_constant:
                self._update(IndicatorDataPoint(max_time(updated), 0.0))
                pending["left"] = pending["right"] = None

        self.left.updated += on_left
        self.right.updated += on_right

    def reset(self) -> None:
        self.left.reset()
        self.right.reset()
        super().reset()


def _over(left: IndicatorBase, right: IndicatorBase) -> IndicatorResult:
    if right.current.value == 0:
        return IndicatorResult(0.0, IndicatorStatus.MATH_ERROR)
    return IndicatorResult(left.current.value / right.current.value)


def _constant(value: float) -> ConstantIndicator:
    return ConstantIndicator(_decimal_text(value), value)


def _decimal_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _composite(left: IndicatorBase, right: Any, name: str | None, composer: Composer) -> CompositeIndicator:
    if not isinstance(right, IndicatorBase):
        right = _constant(float(right))
    return CompositeIndicator(name, left, right, composer)


class IndicatorExtensions:
    """LEAN's ``IndicatorExtensions`` as static functions (``IndicatorExtensions.over(a, b)``)."""

    @staticmethod
    def of(second: IndicatorBase, first: IndicatorBase, wait_for_first_to_ready: bool = True) -> IndicatorBase:
        """Feed each value of ``first`` into ``second``; returns ``second``."""

        def forward(sender: Any, consolidated: IndicatorDataPoint) -> None:
            if not wait_for_first_to_ready or first.is_ready:
                second.update(consolidated)

        first.updated += forward
        return second

    @staticmethod
    def plus(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _composite(left, right, name, lambda a, b: a.current.value + b.current.value)

    @staticmethod
    def minus(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _composite(left, right, name, lambda a, b: a.current.value - b.current.value)

    @staticmethod
    def times(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _composite(left, right, name, lambda a, b: a.current.value * b.current.value)

    @staticmethod
    def over(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _composite(left, right, name, _over)

    @staticmethod
    def sma(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> SimpleMovingAverage:
        return IndicatorExtensions.of(SimpleMovingAverage(f"SMA{period}_Of_{left.name}", period), left,
                                      wait_for_first_to_ready)  # type: ignore[return-value]

    @staticmethod
    def ema(left: IndicatorBase, period: int, smoothing_factor: float | None = None,
            wait_for_first_to_ready: bool = True) -> ExponentialMovingAverage:
        k = ExponentialMovingAverage.smoothing_factor_default(period) if smoothing_factor is None else smoothing_factor
        return IndicatorExtensions.of(ExponentialMovingAverage(f"EMA{period}_Of_{left.name}", period, k), left,
                                      wait_for_first_to_ready)  # type: ignore[return-value]

    @staticmethod
    def max(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> Maximum:
        return IndicatorExtensions.of(Maximum(f"MAX{period}_Of_{left.name}", period), left,
                                      wait_for_first_to_ready)  # type: ignore[return-value]

    @staticmethod
    def min(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> Minimum:
        return IndicatorExtensions.of(Minimum(f"MIN{period}_Of_{left.name}", period), left,
                                      wait_for_first_to_ready)  # type: ignore[return-value]

    @staticmethod
    def weighted_by(value: IndicatorBase, weight: IndicatorBase, period: int) -> CompositeIndicator:
        """Sum(value x weight) / Sum(weight) over ``period`` (LEAN ``WeightedBy``)."""
        x = WindowIdentity(period)
        y = WindowIdentity(period)
        numerator = Sum("Sum_xy", period)
        denominator = Sum("Sum_y", period)

        def on_value(sender: Any, point: IndicatorDataPoint) -> None:
            x.update(point)
            if x.samples == y.samples:
                numerator.update(point.time, point.value * y.current.value)

        def on_weight(sender: Any, point: IndicatorDataPoint) -> None:
            y.update(point)
            if x.samples == y.samples:
                numerator.update(point.time, point.value * x.current.value)
            denominator.update(point)

        value.updated += on_value
        weight.updated += on_weight
        composite = CompositeIndicator(numerator, denominator, _over)
        base_reset = composite.reset

        def reset() -> None:
            base_reset()
            x.reset()
            y.reset()

        composite.reset = reset  # type: ignore[method-assign]
        return composite
