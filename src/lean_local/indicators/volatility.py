"""Dispersion indicators (LEAN ``Variance``, ``StandardDeviation``, ``BollingerBands``,
``TrueRange``, ``AverageTrueRange``).

``Variance``/``StandardDeviation`` are the *population* statistics (divide by the number of
inputs) over the last ``period`` inputs, ``0.0`` after the first input, computed over however many
inputs arrived before ``period``.
"""

from __future__ import annotations

import math
from typing import Any

from lean_local.indicators.averages import MovingAverageType
from lean_local.indicators.base import (
    BarIndicator,
    Indicator,
    IndicatorResult,
    IndicatorStatus,
    WindowIndicator,
)
from lean_local.indicators.composite import ConstantIndicator, Identity, IndicatorExtensions
from lean_local.indicators.window import RollingWindow


def _name_period(args: tuple, prefix: str) -> tuple[str, int]:
    if len(args) >= 2 and isinstance(args[0], str):
        return args[0], int(args[1])
    return f"{prefix}({int(args[0])})", int(args[0])


class Variance(WindowIndicator):
    """Population variance of the last ``period`` inputs (LEAN ``Variance``)."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "VAR")
        super().__init__(name, period)

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        if self.samples < 2:
            return 0.0
        values = [point.value for point in window]
        # two-pass over the window: closer to LEAN's exact decimal sums than float running sums
        mean = math.fsum(values) / len(values)
        return max(0.0, math.fsum((v - mean) ** 2 for v in values) / len(values))


class StandardDeviation(Variance):
    """Population standard deviation of the last ``period`` inputs (LEAN ``StandardDeviation``)."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "STD")
        super().__init__(name, period)

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        return math.sqrt(super()._compute_window(window, data))


class BollingerBands(Indicator):
    """Middle band (a moving average), upper/lower bands at ``k`` population standard deviations
    (LEAN ``BollingerBands``). Its own value is the input price; ready when every band is.

    ``BollingerBands(period, k, moving_average_type=SIMPLE)`` or ``(name, period, k, type)``.
    An input that leaves the standard deviation at zero once ready is a math error (the value is
    not updated), as LEAN.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(args[0], str):
            name, period, k = args[0], int(args[1]), args[2]
            rest = args[3:]
        else:
            period, k = int(args[0]), args[1]
            name = f"BB({period},{k})"
            rest = args[2:]
        moving_average_type = rest[0] if rest else kwargs.get("moving_average_type", MovingAverageType.SIMPLE)
        super().__init__(name)
        k = float(k)
        self.warm_up_period = period
        self.moving_average_type = MovingAverageType(moving_average_type)
        self.standard_deviation = StandardDeviation(name + "_StandardDeviation", period)
        self.middle_band = self.moving_average_type.as_indicator(name + "_MiddleBand", period)
        ext = IndicatorExtensions
        self.lower_band = ext.minus(self.middle_band, ext.times(self.standard_deviation, k), name + "_LowerBand")
        self.upper_band = ext.plus(self.middle_band, ext.times(self.standard_deviation, k), name + "_UpperBand")
        upper_minus_lower = ext.minus(self.upper_band, self.lower_band)
        self.band_width = ext.times(ext.over(upper_minus_lower, self.middle_band),
                                    ConstantIndicator("ct", 100.0), name + "_BandWidth")
        self.price = Identity(name + "_Close")
        self.percent_b = ext.over(ext.minus(self.price, self.lower_band), upper_minus_lower, name + "_%B")

    @property
    def is_ready(self) -> bool:
        return (self.middle_band.is_ready and self.upper_band.is_ready and self.lower_band.is_ready
                and self.band_width.is_ready and self.percent_b.is_ready)

    def _validate_and_compute(self, data: Any) -> IndicatorResult:
        self.standard_deviation.update(data)
        self.middle_band.update(data)
        self.price.update(data)
        if self.is_ready and self.standard_deviation.current.value == 0:
            return IndicatorResult(data.value, IndicatorStatus.MATH_ERROR)
        return IndicatorResult(data.value)

    def reset(self) -> None:
        for part in (self.standard_deviation, self.middle_band, self.upper_band, self.lower_band, self.band_width,
                     self.percent_b):
            part.reset()
        super().reset()


class TrueRange(BarIndicator):
    """``max(high - low, |previous close - high|, |previous close - low|)``; the first bar's value is
    ``high - low`` (LEAN ``TrueRange``); ready from the second bar."""

    def __init__(self, name: str = "TR") -> None:
        super().__init__(name)
        self._previous: Any = None

    @property
    def warm_up_period(self) -> int:
        return 2

    @property
    def is_ready(self) -> bool:
        return self.samples > 1

    def _compute(self, data: Any) -> float:
        greatest = data.high - data.low
        if self.is_ready:
            greatest = max(greatest, abs(self._previous.close - data.high), abs(self._previous.close - data.low))
        self._previous = data
        return greatest

    def reset(self) -> None:
        self._previous = None
        super().reset()


class AverageTrueRange(BarIndicator):
    """A moving average (Wilder's by default) of the true range (LEAN ``AverageTrueRange``).

    ``AverageTrueRange(period, moving_average_type=WILDERS)`` or ``(name, period, type)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(args[0], str):
            name, period, rest = args[0], int(args[1]), args[2:]
        else:
            period = int(args[0])
            name, rest = f"ATR({period})", args[1:]
        moving_average_type = MovingAverageType(rest[0] if rest else kwargs.get("moving_average_type",
                                                                                MovingAverageType.WILDERS))
        super().__init__(name)
        self.warm_up_period = period
        self.true_range = TrueRange(name)
        self._smoother = IndicatorExtensions.of(
            moving_average_type.as_indicator(f"{name}_{moving_average_type}", period), self.true_range, False)

    @property
    def is_ready(self) -> bool:
        return self._smoother.is_ready

    def _compute(self, data: Any) -> float:
        self.true_range.update(data)
        return self._smoother.current.value

    def reset(self) -> None:
        self._smoother.reset()
        self.true_range.reset()
        super().reset()
