"""``from AlgorithmImports import *`` for the lean_local runtime.

Gives an algorithm the names LEAN's ``AlgorithmImports`` provides (reference section 3), backed by
``lean_local.engine``. A LEAN name the runtime does not provide raises an error naming it.
"""

import json
import math
import os  # LEAN's AlgorithmImports imports os and sys: star-imports hand them on
import sys
from datetime import date, datetime, time, timedelta
from typing import *  # noqa: F403  (LEAN's AlgorithmImports re-exports typing's names)

import numpy as np
import pandas as pd

from lean_local.consolidators import (
    BarDirection,
    Calendar,
    CalendarInfo,
    IdentityDataConsolidator,
    RangeBar,
    RangeConsolidator,
    RenkoBar,
    RenkoConsolidator,
    RenkoType,
    TradeBarConsolidator,
    WickedRenkoConsolidator,
)
from lean_local.engine.algorithm import AlgorithmSettings, QCAlgorithm
from lean_local.engine.base_data import BaseData, PythonData
from lean_local.engine.benchmarks import FuncBenchmark, SecurityBenchmark
from lean_local.engine.brokerages import (
    AccountType,
    AlphaStreamsBrokerageModel,
    BrokerageMessageEvent,
    BrokerageMessageType,
    BrokerageName,
    DefaultBrokerageModel,
    InteractiveBrokersBrokerageModel,
)
from lean_local.engine.buying_power import ReservedBuyingPowerForPositionParameters, SecurityMarginModel
from lean_local.engine.charting import Chart, Series, SeriesType
from lean_local.engine.common import (
    DataNormalizationMode,
    Market,
    Resolution,
    SecurityType,
    Symbol,
    not_supported,
)
from lean_local.engine.corporate_events import (
    Delisting,
    DelistingType,
    Dividend,
    Split,
    SplitType,
    SymbolChangedEvent,
)
from lean_local.engine.custom_data import CBOE
from lean_local.engine.custom_universe import ConstituentsUniverse, ConstituentsUniverseData
from lean_local.engine.data_sources import (
    FileFormat,
    LeanData,
    SubscriptionDataConfig,
    SubscriptionDataSource,
    SubscriptionTransportMedium,
    TickType,
    Time,
)
from lean_local.engine.dotnet import Object, TimeSpan
from lean_local.engine.enums import OptionRight, OptionStyle
from lean_local.engine.etf_constituents import (
    ETFConstituentData,
    ETFConstituentsUniverseFactory,
    ETFConstituentUniverse,
)
from lean_local.engine.fees import ConstantFeeModel, FeeModel, InteractiveBrokersFeeModel, OrderFeeParameters
from lean_local.engine.fundamental_universe import CoarseFundamental, Fundamental, FundamentalUniverse
from lean_local.engine.globals import DefaultDataProvider, Extensions, Globals
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.initializers import (
    CompositeSecurityInitializer,
    FuncSecurityInitializer,
    FuncSecuritySeeder,
)
from lean_local.engine.interest_rates import (
    ConstantRiskFreeRateInterestRateModel,
    FuncRiskFreeRateInterestRateModel,
    InterestRateProvider,
)
from lean_local.engine.orders import (
    CashAmount,
    Order,
    OrderDirection,
    OrderEvent,
    OrderFee,
    OrderField,
    OrderStatus,
    OrderTicket,
    OrderType,
    SubmitOrderRequest,
    UpdateOrderFields,
    UpdateOrderRequest,
)
from lean_local.engine.portfolio import Cash
from lean_local.engine.scheduling import DayOfWeek
from lean_local.engine.securities import Security, SecurityHolding
from lean_local.engine.shortable import LocalDiskShortableProvider, NullShortableProvider
from lean_local.engine.slice import (
    Bar,
    Delistings,
    Dividends,
    QuoteBar,
    QuoteBars,
    Slice,
    Splits,
    SymbolChangedEvents,
    TradeBar,
    TradeBars,
)
from lean_local.engine.slippage import (
    AlphaStreamsSlippageModel,
    ConstantSlippageModel,
    MarketImpactSlippageModel,
    NullSlippageModel,
    VolumeShareSlippageModel,
)
from lean_local.engine.universe import SecurityChanges, Universe, UniverseSettings
from lean_local.engine.volatility import (
    BaseVolatilityModel,
    IndicatorVolatilityModel,
    NullVolatilityModel,
    VolatilityModelExtensions,
)
from lean_local.framework import *  # noqa: F403  (LEAN's algorithm framework types)
from lean_local.indicators import (
    AverageTrueRange,
    BarIndicator,
    BollingerBands,
    CompositeIndicator,
    ConstantIndicator,
    ExponentialMovingAverage,
    Identity,
    Indicator,
    IndicatorBase,
    IndicatorDataPoint,
    IndicatorDataPoints,
    IndicatorExtensions,
    IndicatorHistory,
    IndicatorResult,
    IndicatorStatus,
    LinearWeightedMovingAverage,
    LogReturn,
    Maximum,
    Minimum,
    Momentum,
    MomentumPercent,
    MovingAverageConvergenceDivergence,
    MovingAverageType,
    PythonIndicator,
    RateOfChange,
    RateOfChangePercent,
    RateOfChangeRatio,
    RelativeStrengthIndex,
    RollingWindow,
    SimpleMovingAverage,
    StandardDeviation,
    Sum,
    TradeBarIndicator,
    TrueRange,
    Variance,
    WilderMovingAverage,
    WindowIdentity,
    WindowIndicator,
)
from lean_local.research import QuantBook

# LEAN's interface of QCAlgorithm (annotations such as ``algorithm: IAlgorithm``)
IAlgorithm = QCAlgorithm


class RegressionTestException(Exception):
    """LEAN's ``QuantConnect.RegressionTestException`` (raised by regression algorithms)."""


def __getattr__(name: str):
    raise not_supported("AlgorithmImports", name)
