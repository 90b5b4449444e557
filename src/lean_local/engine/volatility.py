"""Security volatility models (LEAN ``Common/Securities/Volatility``): the default null model,
``IndicatorVolatilityModel`` (an indicator's current value) and ``VolatilityModelExtensions.warm_up``.

A security's model is updated with each of its bars (also fill-forward bars) at the time step the
bar arrives, before ``on_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.common import DataNormalizationMode, Resolution, not_supported
from lean_local.engine.slice import TradeBar


class BaseVolatilityModel:
    """A model that does nothing until subclassed (LEAN ``BaseVolatilityModel``); ``volatility`` 0."""

    @property
    def volatility(self) -> float:
        return 0.0

    def update(self, security: Any, data: Any) -> None:
        pass


class NullVolatilityModel(BaseVolatilityModel):
    """The default model (LEAN ``VolatilityModel.Null``): volatility is always 0."""


NULL_VOLATILITY_MODEL = NullVolatilityModel()


class IndicatorVolatilityModel(BaseVolatilityModel):
    """The volatility is ``indicator.current.value``; ``indicator_update(security, data, indicator)``,
    when given, runs with each bar (LEAN ``IndicatorVolatilityModel``)."""

    def __init__(self, indicator: Any, indicator_update: Callable[[Any, Any, Any], Any] | None = None) -> None:
        self.indicator = indicator
        self._indicator_update = indicator_update

    @property
    def volatility(self) -> float:
        return self.indicator.current.value

    def update(self, security: Any, data: Any) -> None:
        if self._indicator_update is not None:
            self._indicator_update(security, data, self.indicator)


class VolatilityModelExtensions:
    """LEAN ``VolatilityModelExtensions``."""

    @staticmethod
    def warm_up(volatility_model: Any, algorithm: Any, security: Any, resolution: Any, bar_count: int,
                data_normalization_mode: Any = None) -> None:
        """Update ``volatility_model`` with the last ``bar_count`` daily bars of ``security`` that
        ended by now. In RAW mode the bars are LEAN's scaled-raw prices: adjusted so that they
        join the current raw price without a split or dividend gap.

        Raises
        ------
        NotSupportedError
            A resolution other than daily.
        """
        if resolution not in (None, Resolution.DAILY):
            raise not_supported("VolatilityModelExtensions", f"warm_up with resolution {resolution} (daily only)")
        for bar in algorithm._scaled_history_bars(security, int(bar_count), data_normalization_mode):
            volatility_model.update(security, bar)


def scaled_raw_bars(adjusted: Any, symbol: Any, now_ns: int, count: int) -> list[TradeBar]:
    """The last ``count`` bars ending by ``now_ns`` of an ADJUSTED subscription, rescaled to the
    price level of ``now_ns``'s date (LEAN's ``ScaledRaw``: the factor of each bar's date over the
    factor of the request's end date, ``PriceScalingExtensions.GetPriceScale``): on a split's
    ex-date the bars before it come at the new price level. The end date's factor is that of the
    first bar of that date or later (a factor file row covers the dates up to its own)."""
    hi = int(np.searchsorted(adjusted.end_time, now_ns, side="right"))
    lo = max(0, hi - count)
    if hi == 0:
        return []
    midnight = now_ns - now_ns % (24 * 3_600 * 10**9)
    at_end = min(int(np.searchsorted(adjusted.time, midnight, side="left")), len(adjusted.factor) - 1)
    scale = 1.0 / float(adjusted.factor[at_end])
    bars = []
    for i in range(lo, hi):
        o, h, low, c, v = adjusted.ohlcv[i].tolist()
        start = pd.Timestamp(int(adjusted.time[i])).to_pydatetime()
        end = pd.Timestamp(int(adjusted.end_time[i])).to_pydatetime()
        bars.append(TradeBar._from_values(symbol, start, end, [o * scale, h * scale, low * scale, c * scale, v], False))
    return bars


__all__ = ["BaseVolatilityModel", "DataNormalizationMode", "IndicatorVolatilityModel", "NullVolatilityModel",
           "VolatilityModelExtensions"]
