"""Portfolio construction models driven by return histories: mean-variance optimization, risk
parity and on-line moving-average reversion (``Algorithm.Framework/Portfolio/
{MeanVarianceOptimization,RiskParity,MeanReversion}PortfolioConstructionModel.cs``, ``ReturnsSymbolData.cs``).

Returns are rate-of-change values ``close[t] / close[t - lookback] - 1`` of the ``resolution``'s
bars (daily here), the last ``period`` of them per symbol, warmed up from history when a security
joins.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.common import Resolution
from lean_local.framework.insights import Insight
from lean_local.framework.optimizers import MinimumVariancePortfolioOptimizer, RiskParityPortfolioOptimizer
from lean_local.framework.portfolio_construction import PortfolioBias, PortfolioConstructionModel


class ReturnsSymbolData:
    """The last ``period`` rate-of-change values (over ``lookback`` bars) of one symbol, by end time."""

    def __init__(self, symbol: Any, lookback: int, period: int) -> None:
        self.symbol = symbol
        self.lookback = lookback
        self.period = period
        self._values: list[float] = []
        self.returns: OrderedDict[datetime, float] = OrderedDict()

    def update(self, time: datetime, value: float) -> None:
        """Feed a price; once ``lookback`` earlier prices are known, its rate of change joins the window."""
        self._values.append(float(value))
        if len(self._values) > self.lookback:
            past = self._values[-1 - self.lookback]
            self.add(time, self._values[-1] / past - 1.0 if past != 0 else 0.0)
            del self._values[: -self.lookback - 1]

    def add(self, time: datetime, value: float) -> None:
        if self.returns and next(reversed(self.returns)) == time:
            return  # a fill-forward bar of the history request
        self.returns[time] = float(value)
        while len(self.returns) > self.period:
            self.returns.popitem(last=False)

    def reset(self) -> None:
        self._values.clear()
        self.returns.clear()


def returns_matrix(symbol_data: dict[Any, ReturnsSymbolData], symbols: list[Any]) -> pd.DataFrame:
    """``FormReturnsMatrix``: rows are dates when all symbols' dates match, else positions; rows
    whose absolute sum is NaN or zero are dropped."""
    series = [symbol_data[s].returns for s in symbols if s in symbol_data]
    if not series:
        return pd.DataFrame()
    dates = list(dict.fromkeys(d for returns in series for d in returns))
    longest = max(len(data.returns) for data in symbol_data.values())
    if longest == len(dates):
        rows = [[returns.get(d, np.nan) for returns in series] for d in dates]
    else:
        values = [list(returns.values()) for returns in series]
        rows = [[v[i] if i < len(v) else np.nan for v in values] for i in range(longest)]
    matrix = np.array(rows, dtype=float).reshape(-1, len(series))
    total = np.abs(matrix).sum(axis=1)
    keep = ~(np.isnan(total) | (total == 0))
    return pd.DataFrame(matrix[keep], columns=[str(s) for s in symbols if s in symbol_data])


def _history_closes(algorithm: Any, symbols: list[Any], bars: int, resolution: Resolution) -> list[tuple[Any, Any, float]]:
    """(symbol, end time, close) of the last ``bars`` bars of each symbol, in time order."""
    frame = algorithm.history(symbols, bars, resolution)
    if frame is None or len(frame) == 0:
        return []
    rows = []
    for (symbol, end_time), close in frame["close"].items():
        rows.append((end_time, str(symbol), symbol, float(close)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(symbol, end_time, close) for end_time, _, symbol, close in rows]


class _ReturnsModel(PortfolioConstructionModel):
    """Shared set-up of the models that keep :class:`ReturnsSymbolData` per symbol."""

    def __init__(self, rebalance: Any, lookback: int, period: int, resolution: Resolution) -> None:
        super().__init__(rebalance)
        self.lookback = lookback
        self.period = period
        self.resolution = resolution
        self.symbol_data: dict[Any, ReturnsSymbolData] = {}

    def _add_securities(self, algorithm: Any, changes: Any) -> None:
        for removed in changes.removed_securities:
            self.symbol_data.pop(removed.symbol, None)
        if not changes.added_securities:
            return
        added = [s.symbol for s in changes.added_securities]
        for symbol in added:
            self.symbol_data.setdefault(symbol, ReturnsSymbolData(symbol, self.lookback, self.period))
        for symbol, end_time, close in _history_closes(algorithm, added, self.lookback * self.period, self.resolution):
            data = self.symbol_data.get(symbol)
            if data is not None:
                data.update(end_time, close)

    def _weights(self, active_insights: list[Insight], optimizer: Any) -> tuple[list[Any], np.ndarray]:
        symbols = [insight.symbol for insight in active_insights]
        returns = returns_matrix(self.symbol_data, symbols)
        # LEAN's PortfolioOptimizerPythonWrapper passes all three arguments (no expected returns, no covariance)
        return symbols, np.asarray(optimizer.optimize(returns, None, None), dtype=float).ravel()


class MeanVarianceOptimizationPortfolioConstructionModel(_ReturnsModel):
    """Mean-variance weights from the symbols' returns (default optimizer:
    :class:`MinimumVariancePortfolioOptimizer` with bounds from ``portfolio_bias`` and
    ``target_return``); insights must carry a magnitude, which joins the symbol's returns.

    Parameters
    ----------
    rebalance, portfolio_bias
        As :class:`EqualWeightingPortfolioConstructionModel`.
    lookback, period, resolution
        Rate of change over ``lookback`` bars; the last ``period`` values; bar resolution.
    target_return
        The minimum-variance optimizer's target return.
    optimizer
        Any object with ``optimize(historical_returns, expected_returns=None, covariance=None)``.
    """

    def __init__(self, rebalance: Any = Resolution.DAILY, portfolio_bias: PortfolioBias = PortfolioBias.LONG_SHORT,
                 lookback: int = 1, period: int = 63, resolution: Resolution = Resolution.DAILY,
                 target_return: float = 0.02, optimizer: Any = None) -> None:
        super().__init__(rebalance, lookback, period, resolution)
        self.portfolio_bias = PortfolioBias(portfolio_bias)
        lower = 0 if self.portfolio_bias == PortfolioBias.LONG else -1
        upper = 0 if self.portfolio_bias == PortfolioBias.SHORT else 1
        self.optimizer = optimizer or MinimumVariancePortfolioOptimizer(lower, upper, target_return)

    def should_create_target_for_insight(self, insight: Insight) -> bool:
        magnitude = insight.magnitude
        settings = self.algorithm.settings
        if magnitude and not (settings.min_absolute_portfolio_target_percentage <= abs(magnitude)
                              <= settings.max_absolute_portfolio_target_percentage):
            self.algorithm.error(f"PortfolioConstructionModel.FilterInvalidInsightMagnitude():The insight target "
                                 f"Magnitude: {magnitude}, will not comply with the current 'Algorithm.Settings'. "
                                 "Skipping insight.")
            return False
        data = self.symbol_data.get(insight.symbol)
        if data is not None:
            if magnitude is None:
                raise ValueError(f"{insight.symbol}: MeanVarianceOptimizationPortfolioConstructionModel does not accept "
                                 "'null' as Insight.Magnitude. Please checkout the selected Alpha Model specifications: "
                                 f"{insight.source_model}")
            data.add(self.algorithm.time, magnitude)
        return True

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        if not active_insights:
            return {}
        symbols, weights = self._weights(active_insights, self.optimizer)
        targets: dict[Insight, float] = {}
        for symbol, weight in zip(symbols, weights, strict=False):
            weight = float(weight)
            if self.portfolio_bias != PortfolioBias.LONG_SHORT and np.sign(weight) != int(self.portfolio_bias):
                weight = 0.0
            targets[next(i for i in active_insights if i.symbol == symbol)] = weight
        return targets

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        super().on_securities_changed(algorithm, changes)
        self._add_securities(algorithm, changes)


class RiskParityPortfolioConstructionModel(_ReturnsModel):
    """Risk-parity weights (:class:`RiskParityPortfolioOptimizer` by default) from each symbol's
    last ``period`` returns, updated with every bar."""

    def __init__(self, rebalance: Any = Resolution.DAILY, portfolio_bias: PortfolioBias = PortfolioBias.LONG_SHORT,
                 lookback: int = 1, period: int = 252, resolution: Resolution = Resolution.DAILY,
                 optimizer: Any = None) -> None:
        if PortfolioBias(portfolio_bias) == PortfolioBias.SHORT:
            raise ValueError("Long position must be allowed in RiskParityPortfolioConstructionModel.")
        super().__init__(rebalance, lookback, period, resolution)
        self.optimizer = optimizer or RiskParityPortfolioOptimizer()

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        if not active_insights:
            return {}
        self._refresh(active_insights)
        symbols, weights = self._weights(active_insights, self.optimizer)
        return {next(i for i in active_insights if i.symbol == symbol): float(weight)
                for symbol, weight in zip(symbols, weights, strict=False)}

    def _refresh(self, active_insights: list[Insight]) -> None:
        """The registered rate-of-change indicators of LEAN see every bar: rebuild each window
        from the latest ``lookback x period + lookback`` bars."""
        symbols = [i.symbol for i in active_insights if i.symbol in self.symbol_data]
        for symbol in symbols:
            self.symbol_data[symbol].reset()
        bars = self.lookback * (self.period + 1)
        for symbol, end_time, close in _history_closes(self.algorithm, symbols, bars, self.resolution):
            self.symbol_data[symbol].update(end_time, close)

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        super().on_securities_changed(algorithm, changes)
        self._add_securities(algorithm, changes)


def simplex_projection(vector: Any, total: float = 1.0) -> np.ndarray:
    """Euclidean projection onto the simplex ``{w >= 0, sum(w) = total}`` (Duchi et al. 2008)."""
    if total <= 0:
        raise ValueError("Total must be > 0 for Euclidean Projection onto the Simplex.")
    values = np.asarray(vector, dtype=float)
    mu = np.sort(values)[::-1]
    cumulative = np.cumsum(mu)
    rho = np.nonzero(mu > (cumulative - total) / np.arange(1, len(mu) + 1))[0][-1]
    theta = (cumulative[rho] - total) / (rho + 1)
    return np.maximum(values - theta, 0.0)


class MeanReversionPortfolioConstructionModel(PortfolioConstructionModel):
    """On-line moving average reversion (OLMAR, Li and Hoi 2012): each rebalance moves the weights
    against each asset's price relative ``price / SMA(window_size)`` (or ``1 + magnitude x
    direction`` when the insight has a magnitude) by the step ``max(0, (b . x - threshold) /
    ||x - mean(x)||^2)``, then projects them onto the simplex (long only, summing to 1)."""

    def __init__(self, rebalance: Any = Resolution.DAILY, portfolio_bias: PortfolioBias = PortfolioBias.LONG_SHORT,
                 reversion_threshold: float = 1, window_size: int = 20, resolution: Resolution = Resolution.DAILY) -> None:
        if PortfolioBias(portfolio_bias) == PortfolioBias.SHORT:
            raise ValueError("Long position must be allowed in MeanReversionPortfolioConstructionModel.")
        super().__init__(rebalance)
        self.reversion_threshold = float(reversion_threshold)
        self.window_size = window_size
        self.resolution = resolution
        self._number_of_assets = 0
        self._weight_vector = np.zeros(0)
        self._symbols: list[Any] = []

    def _price_and_average(self, symbol: Any) -> tuple[float, float] | None:
        """The latest close and its ``window_size``-bar simple moving average (LEAN's Identity and
        SMA indicators, warmed up from history), or None until ``window_size`` bars exist."""
        frame = self.algorithm.history([symbol], self.window_size, self.resolution)
        if frame is None or len(frame) < self.window_size:
            return None
        closes = frame["close"].to_numpy(dtype=float)[-self.window_size:]
        return float(closes[-1]), float(closes.mean())

    def get_price_relatives(self, active_insights: list[Insight]) -> np.ndarray:
        relatives = np.empty(len(active_insights))
        for k, insight in enumerate(active_insights):
            if insight.magnitude is not None:
                relatives[k] = 1 + insight.magnitude * int(insight.direction)
            else:
                price, average = self._price_and_average(insight.symbol)
                relatives[k] = price / average
        return relatives

    def determine_target_percent(self, active_insights: list[Insight]) -> dict[Insight, float]:
        if not active_insights or any(i.symbol not in self._symbols or self._price_and_average(i.symbol) is None
                                      for i in active_insights):
            return {}
        count = len(active_insights)
        if self._number_of_assets != count:
            self._number_of_assets = count
            self._weight_vector = np.full(count, 1.0 / count)
        relatives = self.get_price_relatives(active_insights)
        deviation = relatives - relatives.mean()
        second_norm = float(np.sqrt((deviation ** 2).sum())) ** 2
        step = 0.0 if second_norm == 0 else max(0.0, (float(self._weight_vector @ relatives)
                                                      - self.reversion_threshold) / second_norm)
        weights = simplex_projection(self._weight_vector - deviation * step)
        self._weight_vector = weights
        return {insight: float(weights[k]) for k, insight in enumerate(active_insights)}

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        super().on_securities_changed(algorithm, changes)
        for removed in changes.removed_securities:
            if removed.symbol in self._symbols:
                self._symbols.remove(removed.symbol)
        for added in changes.added_securities:
            if added.symbol not in self._symbols:
                self._symbols.append(added.symbol)
