"""Slippage models (LEAN ``QuantConnect.Orders.Slippage``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.common import Resolution, SecurityType


class NullSlippageModel:
    """No slippage (LEAN's default)."""

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        return 0.0


class ConstantSlippageModel:
    """Slippage of a constant fraction of the security's current price (LEAN ``ConstantSlippageModel``).

    The fill models add it to buys and subtract it from sells, so the fill moves against the order.
    """

    def __init__(self, slippage_percent: float) -> None:
        self.slippage_percent = float(slippage_percent)

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        return self.slippage_percent * asset.price


class AlphaStreamsSlippageModel:
    """0.01% of the last price for equities, nothing otherwise (LEAN ``AlphaStreamsSlippageModel``)."""

    SLIPPAGE_PERCENT = 0.0001

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        return self.SLIPPAGE_PERCENT * asset.price if asset.type == SecurityType.EQUITY else 0.0


class VolumeShareSlippageModel:
    """Slippage growing with the square of the order's share of the bar's volume (LEAN ``VolumeShareSlippageModel``).

    ``slippage = min(|quantity| / bar volume, volume_limit) ** 2 x price_impact x last price``. A bar
    without volume (zero or negative) gives the maximum ``volume_limit ** 2 x price_impact``; forex
    gives zero (its quote bars report no size). No bar yet: zero.

    Parameters
    ----------
    volume_limit : float
        The largest share of the bar's volume that counts (0.025 = 2.5%).
    price_impact : float
        The price move, as a fraction of the price, at a share of 1.
    """

    def __init__(self, volume_limit: float = 0.025, price_impact: float = 0.1) -> None:
        self.volume_limit = float(volume_limit)
        self.price_impact = float(price_impact)

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        bar = asset.last_bar()
        if bar is None:
            return 0.0
        if asset.type == SecurityType.FOREX:
            # LEAN reads the quote bar's last bid/ask size; the runtime's forex quote bars carry none, and
            # LEAN answers 0 for forex without a size
            return 0.0
        volume = bar.volume
        slippage_percent = self.volume_limit * self.volume_limit * self.price_impact
        if volume > 0:
            share = min(order.absolute_quantity / volume, self.volume_limit)
            slippage_percent = share * share * self.price_impact
        return slippage_percent * bar.close


class DotNetRandom:
    """.NET's seeded ``System.Random`` (Knuth's subtractive generator), so seeded draws equal LEAN's.

    Only ``next_double`` is provided: the draws LEAN's slippage models take.
    """

    _MBIG = 2**31 - 1
    _MSEED = 161803398

    def __init__(self, seed: int) -> None:
        table = [0] * 56
        subtraction = self._MBIG if seed == -(2**31) else abs(seed)
        mj = self._MSEED - subtraction
        table[55] = mj
        mk = 1
        ii = 0
        for _ in range(1, 55):
            ii += 21
            if ii >= 55:
                ii -= 55
            table[ii] = mk
            mk = mj - mk
            if mk < 0:
                mk += self._MBIG
            mj = table[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                table[i] -= table[1 + n]
                # C#'s int arithmetic wraps; the values stay within int range here, then fold into [0, MBIG)
                if table[i] < 0:
                    table[i] += self._MBIG
        self._table = table
        self._next = 0
        self._next_p = 21

    def _sample(self) -> int:
        self._next = 1 if self._next + 1 >= 56 else self._next + 1
        self._next_p = 1 if self._next_p + 1 >= 56 else self._next_p + 1
        value = self._table[self._next] - self._table[self._next_p]
        if value == self._MBIG:
            value -= 1
        if value < 0:
            value += self._MBIG
        self._table[self._next] = value
        return value

    def next_double(self) -> float:
        """A draw in [0, 1)."""
        return self._sample() * (1.0 / self._MBIG)


class MarketImpactSlippageModel:
    """Almgren, Thum, Hauptmann and Li (2005) market impact as slippage (LEAN ``MarketImpactSlippageModel``).

    With sigma the sample standard deviation of the daily close-to-close returns over the last 252
    daily bars, V the mean volume of the last 10, T the execution time (``latency`` in trading days
    of the exchange's regular session) and nu = |quantity| / T / V:

    * permanent impact ``sigma x T x gamma x nu ** alpha x L + noise`` (L the liquidity adjustment below),
    * temporary impact ``sigma x eta x nu ** beta + noise``,
    * noise: a standard normal draw times ``sigma x sqrt(T + impact_time in trading days)``,
    * slippage ``min(1, (temporary + permanent / 2) x U) x price`` with U uniform in [0, 1),
      floored at 0 when ``non_negative``.

    Draws come from .NET's ``Random(random_seed)`` in LEAN's order, so runs match LEAN's. The bars
    are the security's daily bars as LEAN's one-day consolidator delivers them: on the first call the
    model reads 370 days of history, and at any call the bars of days before the current one count.
    The bar of the day of the first call counts twice in the volume window: LEAN consolidates it from
    the history and again from the live slice of that step. The permanent impact is multiplied by
    ``(shares outstanding / V) ** delta`` when the fundamental data provider has the security's shares
    outstanding (:mod:`lean_local.engine.fundamental_data`); with LEAN's default provider it has not, and
    the factor is 1.

    Parameters
    ----------
    algorithm : QCAlgorithm
        The algorithm whose history the model reads.
    non_negative : bool
        Only slippage against the order.
    latency, impact_time : float
        Seconds from submission to fill, and from the fill to the new equilibrium.
    alpha, beta, gamma, eta, delta : float
        The impact functions' exponents and coefficients (``delta``: the liquidity exponent).
    random_seed : int
        Seed of the noise.
    """

    PRICE_WINDOW = 252
    VOLUME_WINDOW = 10
    HISTORY_DAYS = 370

    def __init__(self, algorithm: Any, non_negative: bool = True, latency: float = 0.075, impact_time: float = 1800.0,
                 alpha: float = 0.891, beta: float = 0.600, gamma: float = 0.314, eta: float = 0.142,
                 delta: float = 0.267, random_seed: int = 50) -> None:
        if latency <= 0:
            raise ValueError("Latency cannot be less than or equal to 0.")
        if impact_time <= 0:
            raise ValueError("impactTime cannot be less than or equal to 0.")
        self._algorithm = algorithm
        self._non_negative = bool(non_negative)
        self._latency = float(latency)
        self._impact_time = float(impact_time)
        self._alpha, self._beta, self._gamma, self._eta, self._delta = alpha, beta, gamma, eta, delta
        self._random = DotNetRandom(int(random_seed))
        self._first_call: datetime | None = None

    def _gaussian(self) -> float:
        first = 1.0 - self._random.next_double()
        second = 1.0 - self._random.next_double()
        return math.sqrt(-2.0 * math.log(first)) * math.cos(2.0 * math.pi * second)

    def _windows(self, asset: Any) -> tuple[float, float]:
        """``(sigma, average volume)`` from the daily bars LEAN's one-day consolidator has emitted."""
        now = self._algorithm.time
        if self._first_call is None:
            self._first_call = now
        first_call = self._first_call
        start = first_call - timedelta(days=self.HISTORY_DAYS)
        frame = self._algorithm.history([asset.symbol], start, now, Resolution.DAILY)
        if len(frame) == 0:
            return 0.0, 0.0
        ends = frame.index.get_level_values("time")
        inside = ends > start  # LEAN's history is (start, end]
        ends = ends[inside]
        from_history = ends <= first_call
        if not from_history.any():
            return 0.0, 0.0
        # the history's last bar stays the consolidator's working bar at the first call; from the next
        # time step on, the scan before the fills emits each bar once the day after it has begun
        last_history = ends[from_history].max()
        days = ends.normalize()
        emitted = (ends < last_history) | ((now > first_call) & (days + pd.Timedelta(days=1) < pd.Timestamp(now)))
        closes = frame["close"].to_numpy(dtype=float)[inside][emitted]
        volumes = frame["volume"].to_numpy(dtype=float)[inside].copy()
        if last_history == pd.Timestamp(first_call):
            # the bar of the first call's step reaches the consolidator twice: from the history and
            # from the live slice of that step (the consolidator is added before the slice's updates)
            volumes[ends == last_history] *= 2.0
        volumes = volumes[emitted]
        if len(closes) < 2:
            return 0.0, 0.0
        prices = closes[-self.PRICE_WINDOW:][::-1]  # most recent first, as LEAN's rolling window
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = np.where(prices[1:] != 0, (prices[:-1] - prices[1:]) / prices[1:], 0.0)
        sigma = math.sqrt(float(np.var(returns, ddof=1))) if len(returns) > 1 else float("nan")
        return sigma, float(np.mean(volumes[-self.VOLUME_WINDOW:]))

    def _liquidity_adjustment(self, asset: Any, average_volume: float) -> float:
        """``(shares outstanding / average volume) ** delta`` when the security has fundamental data with
        its shares outstanding, else 1."""
        fundamentals = asset.fundamentals
        if not fundamentals.has_fundamental_data:
            return 1.0
        shares = fundamentals.company_profile.shares_outstanding
        return float((shares / average_volume) ** self._delta) if shares else 1.0

    def get_slippage_approximation(self, asset: Any, order: Any) -> float:
        if asset.type in (SecurityType.FOREX, SecurityType.CFD):
            raise ValueError(f"Asset of {asset.type.name.capitalize()} is not supported as MarketImpactSlippageModel "
                             "requires volume data")
        sigma, average_volume = self._windows(asset)
        if average_volume == 0:
            return 0.0
        day_length = _regular_session_days(asset)
        execution_time = self._latency / 86_400 / day_length
        impact_time = execution_time + self._impact_time / 86_400 / day_length
        nu = order.absolute_quantity / execution_time / average_volume
        liquidity = self._liquidity_adjustment(asset, average_volume)
        noise = sigma * math.sqrt(impact_time)
        permanent = sigma * execution_time * self._gamma * nu ** self._alpha * liquidity + self._gaussian() * noise
        temporary = sigma * self._eta * nu ** self._beta + self._gaussian() * noise
        realized = temporary + permanent * 0.5
        slippage = min(realized * self._random.next_double(), 1.0)
        if self._non_negative:
            slippage = max(0.0, slippage)
        return slippage * asset.price


def _regular_session_days(asset: Any) -> float:
    """LEAN's ``RegularMarketDuration`` in days: the most common regular-session length over the
    seven weekdays (a closed day counts as zero), the longer one on a tie."""
    segments = asset.exchange.hours.segments
    lengths = [sum(((end - start).total_seconds() for start, end in segments.get(day, [])), 0.0) for day in range(7)]
    most_common = max(lengths, key=lambda length: (lengths.count(length), length))
    return most_common / 86_400
