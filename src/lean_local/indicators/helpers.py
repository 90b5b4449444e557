"""``QCAlgorithm``'s indicator and consolidator API (LEAN ``QCAlgorithm.Indicators.cs``), as a
mixin of ``QCAlgorithm``.

``self.sma(symbol, period)`` and the other helpers create the indicator, name it as LEAN does
(``SMA(14,SPY_day)``) and register it: an identity consolidator on the symbol's subscription feeds
it each bar (also fill-forward bars, also during warm-up) before ``on_data``. With
``self.settings.automatic_indicator_warm_up = True`` the helpers also warm it up from history.
The runner calls :meth:`IndicatorHelpers._update_consolidators` once per time step; it returns at
once when nothing is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.consolidators.base import IdentityDataConsolidator
from lean_local.consolidators.manager import SubscriptionManager
from lean_local.consolidators.market_hours import market_hour_aware_daily
from lean_local.consolidators.trade_bar import RESOLUTION_SPANS, TradeBarConsolidator
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.daily_readers import load_equity
from lean_local.engine.securities import Security
from lean_local.engine.slice import QuoteBar, TradeBar
from lean_local.engine.volatility import NULL_VOLATILITY_MODEL, scaled_raw_bars
from lean_local.indicators.averages import (
    ExponentialMovingAverage,
    LinearWeightedMovingAverage,
    MovingAverageType,
    SimpleMovingAverage,
    Sum,
    WilderMovingAverage,
)
from lean_local.indicators.base import IndicatorBase
from lean_local.indicators.composite import Identity
from lean_local.indicators.extrema import Maximum, Minimum
from lean_local.indicators.history import IndicatorHistory, run_indicator_history
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
from lean_local.indicators.volatility import AverageTrueRange, BollingerBands, StandardDeviation, TrueRange
from lean_local.indicators.window import IndicatorDataPoint

RESOLUTION_NAMES = {Resolution.TICK: "tick", Resolution.SECOND: "sec", Resolution.MINUTE: "min",
                    Resolution.HOUR: "hr", Resolution.DAILY: "day"}


def _split(args: tuple, kwargs: dict, names: tuple[str, ...], defaults: tuple) -> list[Any]:
    """Positional-or-keyword arguments after the required ones, LEAN's defaults for the rest."""
    values = list(args) + [None] * (len(names) - len(args))
    for k, name in enumerate(names):
        if name in kwargs:
            values[k] = kwargs.pop(name)
        elif k >= len(args):
            values[k] = defaults[k]
    if kwargs:
        raise TypeError(f"unexpected keyword arguments: {', '.join(kwargs)}")
    return values


class IndicatorHelpers:
    """Indicator helpers, registration, warm-up, indicator history and consolidators."""

    _subscription_manager: SubscriptionManager | None = None
    _warm_up_warning_sent = False
    _volatility_models_seen = 0
    _volatility_securities: tuple[Any, ...] | list[Any] = ()

    # ------------------------------------------------------------------------------------------
    # plumbing
    @property
    def subscription_manager(self) -> SubscriptionManager:
        if self._subscription_manager is None:
            self._subscription_manager = SubscriptionManager(self._subscribed_security, self._active_subscriptions)
        return self._subscription_manager

    def _active_subscriptions(self) -> list[Any]:
        """The securities whose subscription runs (not removed)."""
        removed = self._run.removed  # type: ignore[attr-defined]
        return [s for s in self.securities.values() if s.column not in removed]  # type: ignore[attr-defined]

    def _subscribed_security(self, symbol: Any) -> Any:
        securities = self.securities  # type: ignore[attr-defined]
        if symbol in securities:
            return securities[symbol]
        ticker = str(symbol).upper()
        for security in securities.values():
            if security.symbol.value == ticker:
                return security
        return None

    def _security_or_raise(self, symbol: Any) -> Any:
        security = self._subscribed_security(symbol)
        if security is None:
            raise ValueError(f"Please register to receive data for symbol '{symbol}' using the AddSecurity() "
                             "function.")
        return security

    def _update_consolidators(self, data: Any) -> None:
        """Feed this time step's slice to the securities' volatility models and the registered
        consolidators (before ``on_data``); nothing to do costs two checks."""
        if Security.volatility_models_set != self._volatility_models_seen:
            # a model was set somewhere: list this algorithm's securities that have one
            self._volatility_models_seen = Security.volatility_models_set
            self._volatility_securities = [s for s in self.securities.values()  # type: ignore[attr-defined]
                                           if s.volatility_model is not NULL_VOLATILITY_MODEL]
        if self._volatility_securities:
            self._update_volatility_models(data)
        manager = self._subscription_manager
        if manager is None or not manager.has_consolidators:
            return
        manager._update(data, self.time)  # type: ignore[attr-defined]

    def _update_volatility_models(self, data: Any) -> None:
        for security in self._volatility_securities:
            bar = data.get(security.symbol)
            if bar is not None:
                security.volatility_model.update(security, bar)

    def _scaled_history_bars(self, security: Any, count: int, mode: Any) -> list[Any]:
        """The last ``count`` bars of ``security`` ending by now, for a volatility model's warm-up:
        LEAN's scaled-raw prices when ``mode`` is RAW, else the subscription's own bars."""
        if mode == DataNormalizationMode.RAW and security.type == SecurityType.EQUITY:
            key = (str(security.symbol), int(DataNormalizationMode.ADJUSTED))
            cache = self._history_cache  # type: ignore[attr-defined]
            if key not in cache:
                hours = security.exchange.hours
                cache[key] = load_equity(self._run.data_folder, security.symbol,  # type: ignore[attr-defined]
                                         DataNormalizationMode.ADJUSTED, hours.session_times)
            return scaled_raw_bars(cache[key], security.symbol, int(pd.Timestamp(self.time).value), count)  # type: ignore[attr-defined]
        return self._history_bars([security.symbol], count=count)

    # ------------------------------------------------------------------------------------------
    # names and consolidators
    def create_indicator_name(self, symbol: Any, type: str, resolution: Resolution | None) -> str:
        """LEAN's helper name: ``type(SYMBOL_res)`` merged as ``SMA(14,SPY_day)``."""
        has_symbol = symbol is not None and str(symbol) != ""
        if resolution is None and has_symbol:
            resolution = self._security_or_raise(symbol).resolution
        parts = [str(self._security_or_raise(symbol).symbol)] if has_symbol else []
        parts.append(RESOLUTION_NAMES[Resolution(resolution)] if resolution is not None else "")
        return f"{type}({'_'.join(parts)})".replace(")(", ",")

    def resolve_consolidator(self, symbol: Any, resolution: Any, data_type: Any = None) -> Any:
        """An identity consolidator at the subscription's resolution, else a trade-bar consolidator
        of the requested period.

        Raises
        ------
        ValueError
            A period finer than the subscription's data (LEAN's message).
        """
        security = self._security_or_raise(symbol)
        increment = RESOLUTION_SPANS[security.resolution]
        if isinstance(resolution, Resolution):
            period = RESOLUTION_SPANS[resolution]
            finer = resolution < security.resolution
        elif isinstance(resolution, timedelta):
            period = resolution
            finer = period < increment
        elif resolution is None:
            period, finer = increment, False
        else:
            raise TypeError(f"resolution must be a Resolution or a timedelta, got {resolution!r}")
        if finer:
            raise ValueError(f"Unable to create {security.symbol} consolidator because {security.symbol} is registered "
                             f"for {security.resolution.name.capitalize()} data. Consolidators require higher "
                             "resolution data to produce lower resolution data.")
        if period == increment:
            return IdentityDataConsolidator()
        if security.type == SecurityType.FOREX:
            raise not_supported("QCAlgorithm", "resolve_consolidator on quote bars (QuoteBarConsolidator)")
        if resolution == Resolution.DAILY and security.type == SecurityType.EQUITY:
            # intraday data: LEAN's MarketHourAwareConsolidator, one bar per regular session
            return market_hour_aware_daily(security.exchange.hours)
        return TradeBarConsolidator(period)

    def consolidate(self, symbol: Any, period: Any, *args: Any) -> Any:
        """``consolidate(symbol, period, handler)`` or ``(symbol, period, tick_type, handler)``:
        a consolidator of ``period`` (a ``Resolution``, a ``timedelta``, or a calendar function such
        as ``Calendar.WEEKLY``) registered on the subscription; ``handler(bar)`` gets each bar."""
        handler = args[-1] if args else None
        security = self._security_or_raise(symbol)
        if callable(period) and not isinstance(period, Resolution | timedelta):
            if security.type == SecurityType.FOREX:
                raise not_supported("QCAlgorithm", "consolidate on quote bars (QuoteBarConsolidator)")
            consolidator: Any = TradeBarConsolidator(period)
        else:
            consolidator = self.resolve_consolidator(symbol, period)
        if handler is not None:
            consolidator.data_consolidated += lambda sender, bar: handler(bar)
            self.subscription_manager.add_consolidator(security.symbol, consolidator)
        return consolidator

    # ------------------------------------------------------------------------------------------
    # registration
    @staticmethod
    def _default_selector(indicator: IndicatorBase) -> Callable[[Any], Any]:
        if indicator._input_kind == "bar":
            return lambda bar: bar
        return lambda data: data.value

    def register_indicator(self, symbol: Any, indicator: IndicatorBase, resolution: Any = None,
                           selector: Callable[[Any], Any] | None = None) -> None:
        """Update ``indicator`` with ``symbol``'s data: ``resolution`` is a ``Resolution``, a
        ``timedelta`` or a consolidator; ``selector(bar)`` picks the input (default the bar's
        value for value indicators, the bar itself for bar indicators)."""
        if isinstance(resolution, Resolution | timedelta) or resolution is None:
            consolidator = self.resolve_consolidator(symbol, resolution)
        else:
            consolidator = resolution
        security = self._security_or_raise(symbol)
        indicator.consolidators.add(consolidator)
        self.subscription_manager.add_consolidator(security.symbol, consolidator)
        if indicator._input_kind == "bar" or (indicator._input_kind == "any" and selector is None):
            pick = selector or (lambda bar: bar)
            consolidator.data_consolidated += lambda sender, bar: indicator.update(pick(bar))
        else:
            value = selector or (lambda data: data.value)
            consolidator.data_consolidated += lambda sender, bar: indicator.update(
                IndicatorDataPoint(bar.symbol, bar.end_time, value(bar)))

    def deregister_indicator(self, indicator: IndicatorBase) -> None:
        """Stop the automatic updates of ``indicator``."""
        for consolidator in list(indicator.consolidators):
            self.subscription_manager.remove_consolidator(None, consolidator)
        indicator.consolidators.clear()

    unregister_indicator = deregister_indicator

    def _initialize_indicator(self, symbol: Any, indicator: IndicatorBase, resolution: Any,
                              selector: Callable[[Any], Any] | None) -> Any:
        self.register_indicator(symbol, indicator, resolution, selector)
        if getattr(self.settings, "automatic_indicator_warm_up", False):  # type: ignore[attr-defined]
            self.warm_up_indicator(symbol, indicator, resolution, selector)
        return indicator

    # ------------------------------------------------------------------------------------------
    # history
    def _history_bars(self, symbols: Iterable[Any], count: int | None = None, start: datetime | None = None,
                      end: datetime | None = None, extra_before: int = 0) -> list[Any]:
        """Past bars (``TradeBar``/``QuoteBar`` objects) of ``symbols`` that ended by now, time ordered:
        the last ``count``, or those ending in ``[start, end]`` plus ``extra_before`` earlier ones."""
        now_ns = int(pd.Timestamp(self.time).value)  # type: ignore[attr-defined]
        bars: list[tuple[int, int, Any]] = []
        for order, raw in enumerate(symbols):
            symbol = raw if isinstance(raw, Symbol) else self.symbol(str(raw))  # type: ignore[attr-defined]
            data, security = self._history_data(symbol)  # type: ignore[attr-defined]
            if len(data) == 0:
                continue
            symbol = security.symbol if security is not None else symbol
            last_ns = now_ns if end is None else min(now_ns, int(pd.Timestamp(end).value))
            hi = int(np.searchsorted(data.end_time, last_ns, side="right"))
            if count is not None:
                lo = max(0, hi - count)
            else:
                lo = max(0, int(np.searchsorted(data.end_time, int(pd.Timestamp(start).value), side="left"))
                         - extra_before)
            for i in range(lo, hi):
                bars.append((int(data.end_time[i]), order, self._bar_at(symbol, data, i)))
        bars.sort(key=lambda item: (item[0], item[1]))
        return [bar for _, _, bar in bars]

    @staticmethod
    def _bar_at(symbol: Symbol, data: Any, i: int) -> Any:
        start = pd.Timestamp(int(data.time[i])).to_pydatetime()
        end = pd.Timestamp(int(data.end_time[i])).to_pydatetime()
        if data.kind == "quote":
            from lean_local.engine.slice import Bar
            f = data.fields
            bid = Bar(f["bid_open"][i], f["bid_high"][i], f["bid_low"][i], f["bid_close"][i])
            ask = Bar(f["ask_open"][i], f["ask_high"][i], f["ask_low"][i], f["ask_close"][i])
            return QuoteBar(start, symbol, bid, 0.0, ask, 0.0, end - start)
        values = data.ohlcv[i].tolist()
        return TradeBar._from_values(symbol, start, end, values, False)

    def _indicator_inputs(self, indicator: IndicatorBase, selector: Callable[[Any], Any] | None
                          ) -> Callable[[Any], Any]:
        if indicator._input_kind == "bar" or (indicator._input_kind == "any" and selector is None):
            pick = selector or (lambda bar: bar)
            return lambda bar: indicator.update(pick(bar))
        value = selector or (lambda data: data.value)
        return lambda bar: indicator.update(IndicatorDataPoint(bar.symbol, bar.end_time, value(bar)))

    def indicator_history(self, indicator: IndicatorBase, symbol: Any, *args: Any, **kwargs: Any) -> IndicatorHistory:
        """``indicator_history(indicator, symbol(s), periods | timedelta | start, [end], resolution=None,
        selector=None)``: reset ``indicator``, run it over history and return its values (LEAN's
        ``IndicatorHistory``). ``periods`` values need ``periods + warm_up_period - 1`` bars; a span or
        a date range starts ``warm_up_period - 1`` bars earlier so its first value is ready."""
        symbols = [symbol] if isinstance(symbol, str) or not isinstance(symbol, Iterable) else list(symbol)
        rest = list(args)
        span = rest.pop(0) if rest else kwargs.pop("period", kwargs.pop("span", kwargs.pop("start", None)))
        end = None
        if rest and isinstance(rest[0], datetime | pd.Timestamp | str):
            end = rest.pop(0)
        resolution, selector = _split(tuple(rest), kwargs, ("resolution", "selector"), (None, None))
        if resolution not in (None, Resolution.DAILY):
            raise not_supported("QCAlgorithm.indicator_history", f"resolution {Resolution(resolution).name} "
                                                                 "(daily data only)")
        warm = int(getattr(indicator, "warm_up_period", 0) or 0)
        if isinstance(span, int | np.integer):
            periods = int(span)
            if warm > 0 and periods > 0:
                warm -= 1
            bars = self._history_bars(symbols, count=periods + warm)
        else:
            if isinstance(span, timedelta):
                start = self.time - span  # type: ignore[attr-defined]
            else:
                start = pd.Timestamp(span).to_pydatetime()
            bars = self._history_bars(symbols, start=start, end=end, extra_before=max(0, warm - 1))
        return run_indicator_history(indicator, bars, self._indicator_inputs(indicator, selector))

    def warm_up_indicator(self, symbol: Any, indicator: IndicatorBase, resolution: Any = None,
                          selector: Callable[[Any], Any] | None = None) -> None:
        """Run ``indicator`` over the last ``warm_up_period`` bars of ``symbol(s)`` (it is reset first).
        An indicator without ``warm_up_period`` is left alone with LEAN's one-time warning."""
        if getattr(indicator, "warm_up_period", None) is None:
            if not self._warm_up_warning_sent:
                self._warm_up_warning_sent = True
                self.debug("Warning: the 'WarmUpIndicator' feature only works with indicators which inherit from "  # type: ignore[attr-defined]
                           "'IIndicatorWarmUpPeriodProvider' and define a warm up period, setting property "
                           "'WarmUpPeriod' with a value > 0. The provided indicator of type "
                           f"'{type(indicator).__name__}' will not be warmed up.")
            return
        if isinstance(resolution, timedelta) and resolution != timedelta(days=1):
            raise not_supported("QCAlgorithm", "warm_up_indicator with a period other than one day")
        if isinstance(resolution, Resolution) and resolution != Resolution.DAILY:
            raise not_supported("QCAlgorithm.warm_up_indicator", f"resolution {resolution.name} (daily data only)")
        self.indicator_history(indicator, symbol, 0, selector=selector)

    # ------------------------------------------------------------------------------------------
    # indicator helpers (LEAN's signatures and defaults)
    def sma(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> SimpleMovingAverage:
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        name = self.create_indicator_name(symbol, f"SMA({period})", resolution)
        return self._initialize_indicator(symbol, SimpleMovingAverage(name, period), resolution, selector)

    def ema(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> ExponentialMovingAverage:
        if args and not isinstance(args[0], Resolution) and args[0] is not None and not callable(args[0]):
            smoothing, args = float(args[0]), args[1:]
        else:
            smoothing = kwargs.pop("smoothing_factor", ExponentialMovingAverage.smoothing_factor_default(period))
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        name = self.create_indicator_name(symbol, f"EMA({period})", resolution)
        return self._initialize_indicator(symbol, ExponentialMovingAverage(name, period, smoothing), resolution,
                                          selector)

    def rsi(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> RelativeStrengthIndex:
        kind, resolution, selector = _split(args, kwargs, ("moving_average_type", "resolution", "selector"),
                                            (MovingAverageType.WILDERS, None, None))
        kind = MovingAverageType(kind)
        name = self.create_indicator_name(symbol, f"RSI({period},{kind})", resolution)
        return self._initialize_indicator(symbol, RelativeStrengthIndex(name, period, kind), resolution, selector)

    def macd(self, symbol: Any, fast_period: int, slow_period: int, signal_period: int, *args: Any,
             **kwargs: Any) -> MovingAverageConvergenceDivergence:
        kind, resolution, selector = _split(args, kwargs, ("type", "resolution", "selector"),
                                            (MovingAverageType.EXPONENTIAL, None, None))
        name = self.create_indicator_name(symbol, f"MACD({fast_period},{slow_period},{signal_period})", resolution)
        indicator = MovingAverageConvergenceDivergence(name, fast_period, slow_period, signal_period,
                                                       MovingAverageType(kind))
        return self._initialize_indicator(symbol, indicator, resolution, selector)

    def bb(self, symbol: Any, period: int, k: float, *args: Any, **kwargs: Any) -> BollingerBands:
        kind, resolution, selector = _split(args, kwargs, ("moving_average_type", "resolution", "selector"),
                                            (MovingAverageType.SIMPLE, None, None))
        name = self.create_indicator_name(symbol, f"BB({period},{_decimal(k)})", resolution)
        return self._initialize_indicator(symbol, BollingerBands(name, period, k, MovingAverageType(kind)),
                                          resolution, selector)

    def atr(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> AverageTrueRange:
        # LEAN's helper defaults to a simple average (the class itself to Wilder's)
        kind, resolution, selector = _split(args, kwargs, ("type", "resolution", "selector"),
                                            (MovingAverageType.SIMPLE, None, None))
        name = self.create_indicator_name(symbol, f"ATR({period})", resolution)
        return self._initialize_indicator(symbol, AverageTrueRange(name, period, MovingAverageType(kind)),
                                          resolution, selector)

    def tr(self, symbol: Any, *args: Any, **kwargs: Any) -> TrueRange:
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        name = self.create_indicator_name(symbol, "TR", resolution)
        return self._initialize_indicator(symbol, TrueRange(name), resolution, selector)

    def _windowed(self, kind: type, label: str, symbol: Any, period: int, args: tuple, kwargs: dict) -> Any:
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        name = self.create_indicator_name(symbol, f"{label}({period})", resolution)
        return self._initialize_indicator(symbol, kind(name, period), resolution, selector)

    def std(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> StandardDeviation:
        return self._windowed(StandardDeviation, "STD", symbol, period, args, kwargs)

    def roc(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> RateOfChange:
        return self._windowed(RateOfChange, "ROC", symbol, period, args, kwargs)

    def rocp(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> RateOfChangePercent:
        return self._windowed(RateOfChangePercent, "ROCP", symbol, period, args, kwargs)

    def rocr(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> RateOfChangeRatio:
        return self._windowed(RateOfChangeRatio, "ROCR", symbol, period, args, kwargs)

    def momp(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> MomentumPercent:
        return self._windowed(MomentumPercent, "MOMP", symbol, period, args, kwargs)

    def mom(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> Momentum:
        return self._windowed(Momentum, "MOM", symbol, period, args, kwargs)

    def logr(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> LogReturn:
        return self._windowed(LogReturn, "LOGR", symbol, period, args, kwargs)

    def lwma(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> LinearWeightedMovingAverage:
        return self._windowed(LinearWeightedMovingAverage, "LWMA", symbol, period, args, kwargs)

    def wwma(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> WilderMovingAverage:
        return self._windowed(WilderMovingAverage, "WWMA", symbol, period, args, kwargs)

    def sum(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> Sum:
        return self._windowed(Sum, "SUM", symbol, period, args, kwargs)

    def max(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> Maximum:
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        if selector is None and self._security_or_raise(symbol).type != SecurityType.FOREX:
            selector = _high  # LEAN: trade bars default to the high
        name = self.create_indicator_name(symbol, f"MAX({period})", resolution)
        return self._initialize_indicator(symbol, Maximum(name, period), resolution, selector)

    def min(self, symbol: Any, period: int, *args: Any, **kwargs: Any) -> Minimum:
        resolution, selector = _split(args, kwargs, ("resolution", "selector"), (None, None))
        if selector is None and self._security_or_raise(symbol).type != SecurityType.FOREX:
            selector = _low  # LEAN: trade bars default to the low
        name = self.create_indicator_name(symbol, f"MIN({period})", resolution)
        return self._initialize_indicator(symbol, Minimum(name, period), resolution, selector)

    def identity(self, symbol: Any, *args: Any, **kwargs: Any) -> Identity:
        resolution, selector, field_name = _split(args, kwargs, ("resolution", "selector", "field_name"),
                                                  (None, None, None))
        name = self.create_indicator_name(symbol, field_name or "close", resolution)
        return self._initialize_indicator(symbol, Identity(name), resolution, selector)


def _high(bar: Any) -> float:
    return bar.high


def _low(bar: Any) -> float:
    return bar.low


def _decimal(value: float) -> str:
    """A Python number as LEAN prints it once converted to ``decimal`` (``2.0`` -> ``2``)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)
