"""LEAN's indicators (``Indicators/`` of LEAN): the base classes, ``RollingWindow``, moving
averages, momentum and volatility indicators, composition (``IndicatorExtensions``) and
``IndicatorHistory``. ``helpers`` holds the ``QCAlgorithm`` methods (``self.sma(...)``)."""

from lean_local.indicators.averages import (
    ExponentialMovingAverage,
    LinearWeightedMovingAverage,
    MovingAverageType,
    SimpleMovingAverage,
    Sum,
    WilderMovingAverage,
)
from lean_local.indicators.base import (
    BarIndicator,
    Indicator,
    IndicatorBase,
    IndicatorResult,
    IndicatorStatus,
    PythonIndicator,
    TradeBarIndicator,
    WindowIndicator,
)
from lean_local.indicators.composite import (
    CompositeIndicator,
    ConstantIndicator,
    Identity,
    IndicatorExtensions,
    WindowIdentity,
)
from lean_local.indicators.extrema import Maximum, Minimum
from lean_local.indicators.history import IndicatorDataPoints, IndicatorHistory
from lean_local.indicators.momentum import (
    LogReturn,
    Momentum,
    MomentumPercent,
    MovingAverageConvergenceDivergence,
    RateOfChange,
    RateOfChangePercent,
    RateOfChangeRatio,
    RelativeStrengthIndex,
)
from lean_local.indicators.volatility import (
    AverageTrueRange,
    BollingerBands,
    StandardDeviation,
    TrueRange,
    Variance,
)
from lean_local.indicators.window import IndicatorDataPoint, RollingWindow

__all__ = [
    "AverageTrueRange", "BarIndicator", "BollingerBands", "CompositeIndicator", "ConstantIndicator",
    "ExponentialMovingAverage", "Identity", "Indicator", "IndicatorBase", "IndicatorDataPoint", "IndicatorDataPoints",
    "IndicatorExtensions", "IndicatorHistory", "IndicatorResult", "IndicatorStatus", "LinearWeightedMovingAverage",
    "LogReturn", "Maximum", "Minimum", "Momentum", "MomentumPercent", "MovingAverageConvergenceDivergence",
    "MovingAverageType", "PythonIndicator", "RateOfChange", "RateOfChangePercent", "RateOfChangeRatio", "RelativeStrengthIndex",
    "RollingWindow", "SimpleMovingAverage", "StandardDeviation", "Sum", "TradeBarIndicator", "TrueRange", "Variance",
    "WilderMovingAverage", "WindowIdentity", "WindowIndicator",
]
