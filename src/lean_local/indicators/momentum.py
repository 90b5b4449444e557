"""Change and oscillator indicators (LEAN ``Momentum``, ``RateOfChange``, ``RateOfChangePercent``,
``MomentumPercent``, ``RateOfChangeRatio``, ``LogReturn``, ``RelativeStrengthIndex``,
``MovingAverageConvergenceDivergence``).

The change indicators compare the input with the one ``period`` inputs earlier (the oldest seen
until then); ``Momentum``/``RateOfChange*`` are ready after ``period + 1`` inputs, ``LogReturn``
after ``period``.
"""

from __future__ import annotations

import math
from typing import Any

from lean_local.indicators.averages import MovingAverageType
from lean_local.indicators.base import Indicator, WindowIndicator
from lean_local.indicators.composite import Identity
from lean_local.indicators.window import IndicatorDataPoint, RollingWindow


def _name_period(args: tuple, prefix: str) -> tuple[str, int]:
    if len(args) >= 2 and isinstance(args[0], str):
        return args[0], int(args[1])
    return f"{prefix}({int(args[0])})", int(args[0])


class Momentum(WindowIndicator):
    """``value - value[period]`` (LEAN ``Momentum``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*_name_period(args, "MOM"))

    @property
    def warm_up_period(self) -> int:
        return self.period + 1

    @property
    def is_ready(self) -> bool:
        return self.samples > self.period

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        return data.value - self._oldest_or_removed(window).value


class RateOfChange(WindowIndicator):
    """``(value - value[period]) / value[period]``, ``0.0`` when the old value is zero (LEAN
    ``RateOfChange``)."""

    _prefix = "ROC"

    def __init__(self, *args: Any) -> None:
        super().__init__(*_name_period(args, self._prefix))

    @property
    def warm_up_period(self) -> int:
        return self.period + 1

    @property
    def is_ready(self) -> bool:
        return self.samples > self.period

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        denominator = self._oldest_or_removed(window).value
        if denominator == 0:
            return 0.0
        return (data.value - denominator) / denominator


class RateOfChangePercent(RateOfChange):
    """``100 x RateOfChange`` (LEAN ``RateOfChangePercent``)."""

    _prefix = "ROCP"

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        return 100 * super()._compute_window(window, data)


class MomentumPercent(RateOfChangePercent):
    """LEAN ``MomentumPercent`` (the same numbers as ``RateOfChangePercent``)."""

    _prefix = "MOMP"


class RateOfChangeRatio(RateOfChange):
    """``value / value[period]`` (LEAN ``RateOfChangeRatio``)."""

    _prefix = "ROCR"

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        return super()._compute_window(window, data) + 1


class LogReturn(WindowIndicator):
    """``ln(value / value[period])``, ``0.0`` where that is infinite (LEAN ``LogReturn``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*_name_period(args, "LOGR"))

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        base = self._oldest_or_removed(window).value
        ratio = data.value / base if base != 0 else 0.0  # LEAN's SafeDivision gives 0
        if ratio <= 0:
            return 0.0 if ratio == 0 else math.nan
        return math.log(ratio)


class RelativeStrengthIndex(Indicator):
    """``100 - 100 / (1 + average gain / average loss)``, the averages by ``moving_average_type``
    (Wilder's by default) of the up and down moves (LEAN ``RelativeStrengthIndex``). 100 when the
    average loss rounds to 0 at 10 decimals; ready after ``period + 1`` inputs.

    ``RelativeStrengthIndex(period, moving_average_type=WILDERS)`` or ``(name, period, type)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(args[0], str):
            name, period, rest = args[0], int(args[1]), args[2:]
        else:
            period = int(args[0])
            name, rest = f"RSI({period})", args[1:]
        super().__init__(name)
        self.moving_average_type = MovingAverageType(rest[0] if rest else kwargs.get("moving_average_type",
                                                                                     MovingAverageType.WILDERS))
        self.average_gain = self.moving_average_type.as_indicator(name + "Up", period)
        self.average_loss = self.moving_average_type.as_indicator(name + "Down", period)
        self.warm_up_period = period + 1
        self._previous: IndicatorDataPoint | None = None

    @property
    def is_ready(self) -> bool:
        return self.average_gain.is_ready and self.average_loss.is_ready

    def _compute(self, data: Any) -> float:
        previous = self._previous
        if previous is not None:
            change = data.value - previous.value
            self.average_gain.update(data.end_time, change if change >= 0 else 0.0)
            self.average_loss.update(data.end_time, -change if change < 0 else 0.0)
        self._previous = data
        average_loss = max(0.0, self.average_loss.current.value)
        average_gain = max(0.0, self.average_gain.current.value)
        if round(average_loss, 10) == 0:
            return 100.0
        return 100.0 - 100.0 / (1 + average_gain / average_loss)

    def reset(self) -> None:
        self._previous = None
        self.average_gain.reset()
        self.average_loss.reset()
        super().reset()


class MovingAverageConvergenceDivergence(Indicator):
    """Fast minus slow moving average, with a signal line (a moving average of that difference
    once both are ready) and the histogram (difference minus signal) (LEAN
    ``MovingAverageConvergenceDivergence``). Ready when the signal is; ``warm_up_period`` is
    ``slow + signal - 1``.

    ``MovingAverageConvergenceDivergence(fast, slow, signal, type=EXPONENTIAL)`` or
    ``(name, fast, slow, signal, type)``.

    Raises
    ------
    ValueError
        ``fast >= slow``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(args[0], str):
            name, (fast, slow, signal), rest = args[0], (int(a) for a in args[1:4]), args[4:]
        else:
            fast, slow, signal = (int(a) for a in args[:3])
            name, rest = f"MACD({fast},{slow},{signal})", args[3:]
        kind = MovingAverageType(rest[0] if rest else kwargs.get("type", MovingAverageType.EXPONENTIAL))
        super().__init__(name)
        if fast >= slow:
            raise ValueError("MovingAverageConvergenceDivergence: fastPeriod must be less than slowPeriod")
        self.fast = kind.as_indicator(name + "_Fast", fast)
        self.slow = kind.as_indicator(name + "_Slow", slow)
        self.signal = kind.as_indicator(name + "_Signal", signal)
        self.histogram = Identity(name + "_Histogram")
        self.warm_up_period = slow + signal - 1

    @property
    def is_ready(self) -> bool:
        return self.signal.is_ready

    def _compute(self, data: Any) -> float:
        fast_ready = self.fast.update(data)
        slow_ready = self.slow.update(data)
        macd = self.fast.current.value - self.slow.current.value
        if fast_ready and slow_ready and self.signal.update(data.end_time, macd):
            self.histogram.update(data.end_time, macd - self.signal.current.value)
        return macd

    def reset(self) -> None:
        for part in (self.fast, self.slow, self.signal, self.histogram):
            part.reset()
        super().reset()
