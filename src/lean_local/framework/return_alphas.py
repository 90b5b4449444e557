"""Alpha models built on price histories: ``HistoricalReturnsAlphaModel`` and the pairs-trading
models (``Algorithm.Framework/Alphas/{HistoricalReturns,BasePairsTrading,PearsonCorrelationPairsTrading}AlphaModel.cs``).

The indicators LEAN registers on the securities' consolidators (rate of change, the price ratio and
its 500-sample exponential moving average) are updated here from each slice's bars, which is the
same stream for data at the model's resolution (daily in this runtime).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from lean_local.engine.common import Resolution
from lean_local.framework.alphas import AlphaModel, update_security_collection
from lean_local.framework.insight_collection import InsightCollection
from lean_local.framework.insights import RESOLUTION_SPAN, Insight, InsightDirection


def _bar_close(data: Any, symbol: Any) -> float | None:
    bars = data.bars
    return float(bars[symbol].close) if bars.contains_key(symbol) else None


class RateOfChange:
    """LEAN's ``RateOfChange(period)``: ``value / value[period] - 1``, ready after ``period + 1`` samples."""

    def __init__(self, period: int) -> None:
        self.period = period
        self.samples = 0
        self._window: list[float] = []
        self.value = 0.0

    @property
    def is_ready(self) -> bool:
        return self.samples > self.period

    def update(self, value: float) -> None:
        self.samples += 1
        self._window.append(float(value))
        if len(self._window) > self.period + 1:
            del self._window[0]
        past = self._window[0]
        self.value = value / past - 1.0 if self.is_ready and past != 0 else 0.0


class HistoricalReturnsAlphaModel(AlphaModel):
    """An insight per symbol each new bar, in the direction of its rate of change over ``lookback``
    bars, with that rate as the magnitude, for ``lookback`` bars; a zero rate cancels the symbol's insights."""

    def __init__(self, lookback: int = 1, resolution: Resolution = Resolution.DAILY) -> None:
        self.lookback = lookback
        self.resolution = resolution
        self.prediction_interval = RESOLUTION_SPAN[resolution] * lookback
        self._roc: dict[Any, RateOfChange] = {}
        self._consolidators: dict[Any, Any] = {}
        self._emitted_samples: dict[Any, int] = {}
        self._insights = InsightCollection()
        self.name = f"HistoricalReturnsAlphaModel({lookback},{resolution.name.capitalize()})"

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        insights = []
        for symbol, roc in self._roc.items():
            if self._emitted_samples.get(symbol) == roc.samples:
                continue
            self._emitted_samples[symbol] = roc.samples
            if not roc.is_ready:
                continue
            if roc.value == 0:
                self._cancel(algorithm, symbol)
                continue
            direction = InsightDirection.UP if roc.value > 0 else InsightDirection.DOWN
            insights.append(Insight.price(symbol, self.prediction_interval, direction, roc.value, None))
        self._insights.add_range(insights)
        return insights

    def _cancel(self, algorithm: Any, symbol: Any) -> None:
        found, insights = self._insights.try_get_value(symbol)
        if found:
            algorithm.insights.cancel(insights)
            self._insights.clear([symbol])

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        for removed in changes.removed_securities:
            self._roc.pop(removed.symbol, None)
            consolidator = self._consolidators.pop(removed.symbol, None)
            if consolidator is not None:
                algorithm.subscription_manager.remove_consolidator(removed.symbol, consolidator)
            self._cancel(algorithm, removed.symbol)
        added = [s.symbol for s in changes.added_securities if s.symbol not in self._roc]
        for symbol in added:
            # LEAN's SymbolData: the rate of change is fed by a consolidator of the model's resolution (on
            # minute data a daily bar at each session's close)
            roc = self._roc[symbol] = RateOfChange(self.lookback)
            consolidator = self._consolidators[symbol] = algorithm.resolve_consolidator(symbol, self.resolution)
            consolidator.data_consolidated += lambda _sender, bar, roc=roc: roc.update(float(bar.close))
            algorithm.subscription_manager.add_consolidator(symbol, consolidator)
        if added:
            history = algorithm.history(added, self.lookback, self.resolution)
            if history is not None and len(history):
                for (symbol, _time), close in history["close"].items():
                    if symbol in self._roc:
                        self._roc[symbol].update(float(close))


class _PairData:
    """One pair's price ratio, its EMA(500) and the state that stops a direction being re-emitted."""

    EMA_PERIOD = 500

    def __init__(self, asset1: Any, asset2: Any, period: Any, threshold: float) -> None:
        self.asset1, self.asset2 = asset1, asset2
        self.period = period
        self.upper = 1 + threshold / 100.0
        self.lower = 1 - threshold / 100.0
        self.state = 0  # -1 short ratio, 0 flat, 1 long ratio
        self.ratio = 0.0
        self._samples = 0
        self._initial: list[float] = []
        self.mean = 0.0

    def update(self, price1: float, price2: float) -> None:
        """LEAN's ``Identity.Over`` then ``ExponentialMovingAverage(500).Of``: the EMA starts as the
        mean of its first 500 ratios, then ``k = 2 / 501``."""
        self.ratio = price1 / price2 if price2 != 0 else 0.0
        self._samples += 1
        if self._samples <= self.EMA_PERIOD:
            self._initial.append(self.ratio)
            if self._samples == self.EMA_PERIOD:
                self.mean = float(np.mean(self._initial))
            return
        k = 2.0 / (1 + self.EMA_PERIOD)
        self.mean = self.ratio * k + self.mean * (1 - k)

    def insight_group(self) -> list[Insight]:
        if self._samples < self.EMA_PERIOD:
            return []
        if self.state != 1 and self.ratio > self.mean * self.upper:
            self.state = 1
            return Insight.group(Insight.price(self.asset1, self.period, InsightDirection.DOWN),
                                 Insight.price(self.asset2, self.period, InsightDirection.UP))
        if self.state != -1 and self.ratio < self.mean * self.lower:
            self.state = -1
            return Insight.group(Insight.price(self.asset1, self.period, InsightDirection.UP),
                                 Insight.price(self.asset2, self.period, InsightDirection.DOWN))
        return []


class BasePairsTradingAlphaModel(AlphaModel):
    """Pairs trading on the price ratio: when it leaves its EMA(500) by ``threshold`` percent, short
    the rich leg and buy the cheap one (a grouped pair of insights for ``lookback`` bars); every pair of
    the universe that passes ``has_passed_test`` is traded."""

    def __init__(self, lookback: int = 1, resolution: Resolution = Resolution.DAILY, threshold: float = 1) -> None:
        self.lookback = lookback
        self.resolution = resolution
        self.threshold = float(threshold)
        self.prediction_interval = RESOLUTION_SPAN[resolution] * lookback
        self.pairs: dict[tuple[Any, Any], _PairData] = {}
        self.securities: list[Any] = []
        self.name = f"BasePairsTradingAlphaModel({lookback},{resolution.name.capitalize()},{self.threshold:g})"

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        insights: list[Insight] = []
        for pair in self.pairs.values():
            price1, price2 = _bar_close(data, pair.asset1), _bar_close(data, pair.asset2)
            if price1 is not None and price2 is not None:
                pair.update(price1, price2)
            insights.extend(pair.insight_group())
        return insights

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        update_security_collection(self.securities, changes)
        self._update_pairs(algorithm)
        for security in changes.removed_securities:
            for key in [k for k in self.pairs if security.symbol in k]:
                del self.pairs[key]

    def has_passed_test(self, algorithm: Any, asset1: Any, asset2: Any) -> bool:
        return True

    def _update_pairs(self, algorithm: Any) -> None:
        symbols = [s.symbol for s in self.securities]
        for asset1, asset2 in combinations(symbols, 2):
            if (asset1, asset2) in self.pairs or (asset2, asset1) in self.pairs:
                continue
            if self.has_passed_test(algorithm, asset1, asset2):
                self.pairs[(asset1, asset2)] = _PairData(asset1, asset2, self.prediction_interval, self.threshold)


class PearsonCorrelationPairsTradingAlphaModel(BasePairsTradingAlphaModel):
    """Pairs trading on the universe's most correlated pair: the Pearson correlation of the symbols'
    log returns over ``lookback`` bars; the best pair is traded when its correlation is at least
    ``minimum_correlation`` (and below 1)."""

    def __init__(self, lookback: int = 15, resolution: Resolution = Resolution.MINUTE, threshold: float = 1,
                 minimum_correlation: float = 0.5) -> None:
        super().__init__(lookback, resolution, threshold)
        self.minimum_correlation = minimum_correlation
        self.best_pair: tuple[Any, Any] | None = None

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        update_security_collection(self.securities, changes)
        symbols = [s.symbol for s in self.securities]
        returns = self._log_returns(algorithm, symbols)
        if returns is None:
            algorithm.debug("PearsonCorrelationPairsTradingAlphaModel.OnSecuritiesChanged(): The requested historical "
                            "data does not have series of prices with the same date/time. Please consider increasing "
                            f"the looback period. Current lookback: {self.lookback}")
        else:
            correlation = np.corrcoef(returns)
            upper = np.triu(correlation, k=1)
            candidates = [(upper[i, j], i, j) for i in range(len(symbols)) for j in range(i + 1, len(symbols))
                          if abs(upper[i, j]) < 1]
            if candidates:
                best = max(value for value, _, _ in candidates)
                if best >= self.minimum_correlation:
                    _, i, j = next(c for c in candidates if c[0] == best)
                    self.best_pair = (symbols[i], symbols[j])
        super().on_securities_changed(algorithm, changes)

    def _log_returns(self, algorithm: Any, symbols: list[Any]) -> np.ndarray | None:
        """Each symbol's log returns over the history times every symbol has (the first return
        repeated for the first time, as LEAN fills it)."""
        if len(symbols) < 2:
            return None
        history = algorithm.history(symbols, self.lookback, self.resolution)
        if history is None or len(history) == 0:
            return None
        closes = history["close"].unstack(0).dropna()
        if len(closes) < 2:
            return None
        closes = closes[[s for s in symbols if s in closes.columns]]
        if closes.shape[1] != len(symbols):
            return None
        logs = np.log(closes.to_numpy(dtype=float)).T
        returns = np.diff(logs, axis=1)
        return np.concatenate([returns[:, :1], returns], axis=1)

    def has_passed_test(self, algorithm: Any, asset1: Any, asset2: Any) -> bool:
        return self.best_pair is not None and (asset1, asset2) == self.best_pair
