"""Moving averages and sums (LEAN ``Sum``, ``SimpleMovingAverage``, ``ExponentialMovingAverage``,
``WilderMovingAverage``, ``LinearWeightedMovingAverage``) and ``MovingAverageType``.

Warm-up: each is ready after ``period`` inputs. Before that, SMA is the mean of the inputs so far,
EMA is ``0.0`` (its first value, at input ``period``, is the SMA of the first ``period`` inputs),
Wilder's is the SMA so far, LWMA is ``0.0``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from lean_local.engine.common import not_supported
from lean_local.indicators.base import Indicator, IndicatorBase, WindowIndicator
from lean_local.indicators.window import RollingWindow


class MovingAverageType(IntEnum):
    """LEAN ``MovingAverageType``; ``str()`` gives LEAN's C# name (used in indicator names)."""

    SIMPLE = 0
    EXPONENTIAL = 1
    WILDERS = 2
    LINEAR_WEIGHTED_MOVING_AVERAGE = 3
    DOUBLE_EXPONENTIAL = 4
    TRIPLE_EXPONENTIAL = 5
    TRIANGULAR = 6
    T3 = 7
    KAMA = 8
    HULL = 9
    ALMA = 10
    ZLEMA = 11
    MGD = 12

    def __str__(self) -> str:
        return _CSHARP_NAMES[self]

    def as_indicator(self, *args: Any) -> IndicatorBase:
        """``as_indicator(period)`` or ``as_indicator(name, period)``: a new moving average of this type.

        Raises
        ------
        NotSupportedError
            A type the runtime does not implement (DEMA, TEMA, triangular, T3, KAMA, Hull, ALMA,
            ZLEMA, MGD).
        """
        name, period = (None, args[0]) if len(args) == 1 else args
        kinds = {MovingAverageType.SIMPLE: SimpleMovingAverage, MovingAverageType.EXPONENTIAL: ExponentialMovingAverage,
                 MovingAverageType.WILDERS: WilderMovingAverage,
                 MovingAverageType.LINEAR_WEIGHTED_MOVING_AVERAGE: LinearWeightedMovingAverage}
        kind = kinds.get(self)
        if kind is None:
            raise not_supported("MovingAverageType", f"{self.name}.as_indicator (moving average type {self})")
        return kind(int(period)) if name is None else kind(name, int(period))


_CSHARP_NAMES = {
    MovingAverageType.SIMPLE: "Simple", MovingAverageType.EXPONENTIAL: "Exponential",
    MovingAverageType.WILDERS: "Wilders",
    MovingAverageType.LINEAR_WEIGHTED_MOVING_AVERAGE: "LinearWeightedMovingAverage",
    MovingAverageType.DOUBLE_EXPONENTIAL: "DoubleExponential", MovingAverageType.TRIPLE_EXPONENTIAL: "TripleExponential",
    MovingAverageType.TRIANGULAR: "Triangular", MovingAverageType.T3: "T3", MovingAverageType.KAMA: "Kama",
    MovingAverageType.HULL: "Hull", MovingAverageType.ALMA: "Alma", MovingAverageType.ZLEMA: "Zlema",
    MovingAverageType.MGD: "MGD",
}


def _name_period(args: tuple, default: str) -> tuple[str, int]:
    """LEAN's ``(name, period)`` / ``(period)`` constructor overloads."""
    if len(args) >= 2 and isinstance(args[0], str):
        return args[0], int(args[1])
    return default.format(int(args[0])), int(args[0])


class Sum(WindowIndicator):
    """Sum of the last ``period`` inputs (LEAN ``Sum``)."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "SUM({})")
        super().__init__(name, period)
        self._sum = 0.0

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        self._sum += data.value
        if window.samples > window.size:
            self._sum -= window.most_recently_removed.value
        return self._sum

    def reset(self) -> None:
        self._sum = 0.0
        super().reset()


class SimpleMovingAverage(WindowIndicator):
    """Mean of the last ``period`` inputs (LEAN ``SimpleMovingAverage``); before ``period`` inputs,
    the mean of those so far. ``SimpleMovingAverage(period)`` or ``(name, period)``."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "SMA({})")
        super().__init__(name, period)
        self.rolling_sum = Sum(name + "_Sum", period)

    @property
    def is_ready(self) -> bool:
        return self.rolling_sum.is_ready

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        self.rolling_sum.update(data.end_time, data.value)
        return self.rolling_sum.current.value / window.count

    def reset(self) -> None:
        self.rolling_sum.reset()
        super().reset()


class ExponentialMovingAverage(Indicator):
    """EMA with smoothing ``k`` (default ``2 / (period + 1)``), seeded with the SMA of the first
    ``period`` inputs; ``0.0`` before (LEAN ``ExponentialMovingAverage``).

    ``ExponentialMovingAverage(period)``, ``(period, smoothing_factor)``, ``(name, period)`` or
    ``(name, period, smoothing_factor)``.
    """

    def __init__(self, *args: Any) -> None:
        if isinstance(args[0], str):
            name, period = args[0], int(args[1])
            k = float(args[2]) if len(args) > 2 else self.smoothing_factor_default(period)
        else:
            period = int(args[0])
            if len(args) > 1:
                k = float(args[1])
                name = f"EMA({period},{args[1]})"
            else:
                k = self.smoothing_factor_default(period)
                name = f"EMA({period})"
        super().__init__(name)
        self.period = period
        self._k = k
        self._initial = SimpleMovingAverage(period)

    @staticmethod
    def smoothing_factor_default(period: int) -> float:
        return 2.0 / (1 + period)

    @property
    def warm_up_period(self) -> int:
        return self.period

    @property
    def is_ready(self) -> bool:
        return self.samples >= self.period

    def _compute(self, data: Any) -> float:
        if self.samples <= self.period:
            self._initial.update(data)
        if not self.is_ready:
            return 0.0
        if self.samples == self.period:
            return self._initial.current.value
        return data.value * self._k + self.current.value * (1 - self._k)

    def reset(self) -> None:
        super().reset()
        self._initial.reset()


class WilderMovingAverage(Indicator):
    """Wilder's smoothing, ``k = 1 / period``, seeded with the SMA of the first ``period`` inputs
    (LEAN ``WilderMovingAverage``); the SMA so far before that."""

    def __init__(self, *args: Any) -> None:
        if len(args) >= 2 and isinstance(args[0], str):
            name, period = args[0], int(args[1])
        else:
            period = int(args[0])
            name = f"WWMA{period}"
        super().__init__(name)
        self.period = period
        self._k = 1.0 / period
        self._sma = SimpleMovingAverage(name + "_SMA", period)

    @property
    def warm_up_period(self) -> int:
        return self.period

    @property
    def is_ready(self) -> bool:
        return self.samples >= self.period

    def _compute(self, data: Any) -> float:
        if not self.is_ready:
            self._sma.update(data)
            return self._sma.current.value
        return data.value * self._k + self.current.value * (1 - self._k)

    def reset(self) -> None:
        self._sma.reset()
        super().reset()


class LinearWeightedMovingAverage(WindowIndicator):
    """Weights ``period, period-1, ..., 1`` from newest to oldest (LEAN
    ``LinearWeightedMovingAverage``); ``0.0`` until ``period`` inputs."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "LWMA({})")
        super().__init__(name, period)

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        if not window.is_ready:
            return 0.0
        n = self.period
        denominator = n * (n + 1) / 2
        numerator = sum(window[i].value * (n - i) for i in range(n))
        return numerator / denominator
