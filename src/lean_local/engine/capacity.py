"""LEAN's estimated strategy capacity, followed step by step (``Common/CapacityEstimate.cs``,
``Common/SymbolCapacity.cs``).

Each fill starts (or continues) monitoring its symbol: the dollar volume of the symbol's real bars
is captured while they belong to the fill, by the resolution the bar's length names (a 24-hour bar
is daily: the fill's own bar and the next calendar day's, x 0.02; a US equity's 6.5-hour daily bar
is an hour bar: the bar ending at the fill's time rounded up to the hour, x 0.05), discounted for fast
trading (``2 x minutes since the symbol's previous fill / 390``, clipped to [0.2, 1]). Monitoring
stops at the first real bar that no longer belongs; a fill-forward bar (volume 0 in LEAN) neither
counts nor stops it. Forex quote bars carry no volume: LEAN counts 25,000,000 for each. Snapshots
(every ``min(max(days - 1, 1), 7)`` days from the start, then from each snapshot's UTC date, at the
steps of LEAN's internal benchmark feed too, and twice at the end) take the symbol of smallest
captured volume, divide its volume per trade by the larger of its share of the sale volume and its
holdings' share of the portfolio, and blend the result 0.33 new / 0.66 previous. After a
snapshot each symbol starts capturing afresh at its next fill; one neither invested nor filled in
the last 30 days is forgotten.

Times are UTC nanoseconds. The engine calls :meth:`CapacityEstimate.on_fill` for each fill and
:meth:`CapacityEstimate.update` at the end of each time step (LEAN's
``ResultHandler.ProcessSynchronousEvents``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

import pandas as pd

_DAY_NS = 86_400 * 10**9
_MINUTE_NS = 60 * 10**9
_HOUR_NS = 60 * _MINUTE_NS
#: ``SymbolCapacity.CapacityEffectPeriod``.
EFFECT_PERIOD_NS = 30 * _DAY_NS
#: An upper bound of UTC minus New York wall time (EST is 5 hours behind UTC, EDT 4).
MAX_UTC_OFFSET_NS = 6 * _HOUR_NS
#: ``SymbolCapacity._forexMinuteVolume``: the volume LEAN gives a forex quote bar.
FOREX_VOLUME = 25_000_000.0


class SymbolCapacity:
    """One traded symbol's captured market volume (LEAN ``SymbolCapacity``)."""

    __slots__ = ("symbol", "sale_volume", "trades", "_market", "_scale", "_reset", "_discount", "_last_fill",
                 "_previous_time", "_previous_volume", "_average_dollar_volume", "monitored")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.sale_volume = 0.0
        self.trades = 0
        self._market = 0.0
        self._scale = 0.0
        self._reset = False
        self._discount = 1.0
        self._last_fill: int | None = None
        self._previous_time: int | None = None
        self._previous_volume = 0.0
        self._average_dollar_volume = 0.0
        self.monitored = False  # in CapacityEstimate's monitored list (a flag: the list can be long)

    @property
    def market_capacity_dollar_volume(self) -> float:
        return self._market * self._scale

    def on_fill(self, utc_ns: int, value: float) -> None:
        """A fill of absolute value ``value`` (account currency) at ``utc_ns``."""
        self.sale_volume += value
        previous = self._last_fill if self._last_fill is not None else utc_ns - _DAY_NS
        discount = 2.0 * ((utc_ns - previous) / _MINUTE_NS) / 390.0
        self._discount = 1.0 if discount > 1 else max(0.2, discount)
        if self._reset:
            self._market = 0.0
            self.trades = 0
            self._reset = False
        self.trades += 1
        self._last_fill = utc_ns

    def update(self, utc_ns: int, close: float, volume: float, conversion_rate: float, period_ns: int) -> bool:
        """The symbol's bar of this step (``period_ns`` its length); True when monitoring ends.

        The bar's length names its resolution as ``ToHigherResolutionEquivalent(false)`` does: a US
        equity's daily bar (09:30 to 16:00) counts as an hour bar, a 24-hour bar as a daily one.
        """
        if volume == 0:
            return False
        if self._previous_time is None or utc_ns == self._previous_time:
            self._average_dollar_volume = conversion_rate * close * volume
        else:
            minutes = (utc_ns - self._previous_time) / _MINUTE_NS
            self._average_dollar_volume = close * conversion_rate * (volume + self._previous_volume) / minutes
        self._previous_time, self._previous_volume = utc_ns, volume
        include, scale = self._include(utc_ns, period_ns)
        if include:
            self._scale = scale
            self._market += close * self._discount * volume * conversion_rate
        return not include

    def _include(self, utc_ns: int, period_ns: int) -> tuple[bool, float]:
        """``IncludeMarketVolume`` and ``ResolutionScaleFactor`` of the bar's resolution."""
        last = self._last_fill
        if last is None:
            return False, 0.0
        if period_ns >= _DAY_NS:
            day = utc_ns // _DAY_NS * _DAY_NS
            return utc_ns == last or day == -(-last // _DAY_NS) * _DAY_NS, 0.02
        if period_ns >= _HOUR_NS:
            return utc_ns == -(-last // _HOUR_NS) * _HOUR_NS, 0.05
        k = 6_000_000 / self._average_dollar_volume if self._average_dollar_volume else 10.0
        if period_ns >= _MINUTE_NS:
            return utc_ns <= last + int(min(120, max(1, int(k)))) * _MINUTE_NS, 0.20
        k = 100_000 / self._average_dollar_volume if self._average_dollar_volume else 10.0
        return utc_ns <= last + int(min(120, max(5, int(k)))) * _MINUTE_NS, 0.50

    def reset(self) -> None:
        self._reset = True
        self.sale_volume = 0.0


class CapacityEstimate:
    """The strategy's capacity and its lowest-capacity symbol (LEAN ``CapacityEstimate``).

    Parameters
    ----------
    start, end : datetime
        The algorithm's start and end dates (the snapshot period comes from their distance).
    """

    def __init__(self, start: datetime, end: datetime) -> None:
        days = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 86_400.0
        self._period = int(max(min(days - 1, 7), 1) * _DAY_NS)
        self._next_snapshot = pd.Timestamp(start).value + self._period
        self._by_symbol: dict[str, SymbolCapacity] = {}
        self._monitored: list[SymbolCapacity] = []
        self.capacity = 0.0
        self.lowest = ""

    @property
    def monitoring(self) -> bool:
        """Whether some symbol's bars are being captured (the engine reads their current bars)."""
        return bool(self._monitored)

    def due(self, utc_ns: int) -> bool:
        """Whether a snapshot is due at ``utc_ns`` (when some symbol was traded)."""
        return bool(self._by_symbol) and utc_ns // _DAY_NS * _DAY_NS >= self._next_snapshot

    def may_be_due(self, new_york_ns: int) -> bool:
        """False when no snapshot is due at or before the New York wall time ``new_york_ns`` (naive ns),
        without its UTC time: New York is at most ``MAX_UTC_OFFSET_NS`` behind UTC, so a time whose
        bound is before the next snapshot's UTC date is not due (the engine's step clock asks this
        first, and converts to UTC only when True)."""
        return bool(self._by_symbol) and new_york_ns + MAX_UTC_OFFSET_NS >= self._next_snapshot

    def on_fill(self, symbol: str, utc_ns: int, value: float) -> None:
        capacity = self._by_symbol.get(symbol)
        if capacity is None:
            capacity = self._by_symbol[symbol] = SymbolCapacity(symbol)
        capacity.on_fill(utc_ns, abs(value))
        if not capacity.monitored:
            capacity.monitored = True
            self._monitored.append(capacity)

    def update(self, utc_ns: int, bar_of: Callable[[str], tuple[float, float, float, int] | None], tpv: float,
               holdings_values: Callable[[list[str]], Sequence[float]], force: bool = False) -> None:
        """End of a time step: capture the monitored symbols' bars, then snapshot when due.

        ``bar_of(symbol)`` gives ``(close, volume, conversion_rate, period_ns)`` of the symbol's real bar of this
        step (None without one); ``holdings_values(symbols)`` the signed holdings value of each (account
        currency), asked at most twice a snapshot.
        """
        for k in range(len(self._monitored) - 1, -1, -1):
            capacity = self._monitored[k]
            bar = bar_of(capacity.symbol)
            if bar is not None and capacity.update(utc_ns, *bar):
                capacity.monitored = False
                del self._monitored[k]
        utc_date = utc_ns // _DAY_NS * _DAY_NS
        if not (force or (utc_date >= self._next_snapshot and self._by_symbol)):
            return
        if tpv == 0 or not self._by_symbol:
            return
        capacities = list(self._by_symbol.values())
        total_sale = sum([c.sale_volume for c in capacities])
        dollar_volumes = [c._market * c._scale for c in capacities]  # market_capacity_dollar_volume
        smallest = capacities[min(range(len(capacities)), key=dollar_volumes.__getitem__)]
        self.lowest = smallest.symbol
        share_sale = smallest.sale_volume / total_sale if total_sale else 0.0
        share_holdings = abs(holdings_values([smallest.symbol])[0]) / tpv
        scaling = max(share_sale, share_holdings)
        daily = smallest.market_capacity_dollar_volume / smallest.trades if smallest.trades else 0.0
        new = self.capacity if scaling == 0 else daily / scaling
        self.capacity = 0.33 * new + 0.66 * self.capacity if self.capacity else new
        # a symbol neither filled within the effect period nor held is forgotten (the holdings are asked
        # of the expired ones only), the others start capturing afresh
        cutoff = utc_ns - EFFECT_PERIOD_NS  # expired: the last fill at least the effect period ago
        expired = [c for c in capacities if c._last_fill is not None and c._last_fill <= cutoff]
        held = holdings_values([c.symbol for c in expired]) if expired else []
        for capacity, value in zip(expired, held, strict=True):
            if value != 0:
                continue
            del self._by_symbol[capacity.symbol]
            if capacity.monitored:
                capacity.monitored = False
                self._monitored.remove(capacity)
        for capacity in self._by_symbol.values():
            capacity.reset()
        self._next_snapshot = utc_date + self._period

    @property
    def rounded(self) -> float:
        """The capacity rounded to 1,000, halves away from zero (``DiscretelyRoundBy(1000)``)."""
        return math.floor(self.capacity / 1000.0 + 0.5) * 1000.0
