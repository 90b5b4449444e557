"""LEAN's estimated strategy capacity, computed as the backtest runs (``Common/CapacityEstimate.cs``,
``Common/SymbolCapacity.cs``, called from ``BacktestingResultHandler.ProcessSynchronousEvents``).

Each fill adds its value to the symbol's sale volume and (re)starts watching the symbol's bars: the
bar of the fill's time step and the bar of the next UTC day are captured (daily data), each as
``close x volume`` discounted for fast trading (``2 x minutes since the symbol's previous fill / 390``,
clipped to [0.2, 1]). At every time step, after the fills, the watched symbols capture their bar, then
a snapshot is taken when the UTC date reaches the next snapshot date (every ``min(max(days - 1, 1), 7)``
days of the backtest): the symbol with the least captured volume (x 0.02 for daily bars) sets the
capacity, its volume per trade divided by its share of the sale volume (or of the portfolio, when
larger), blended 0.33 new / 0.66 previous. Symbols neither held nor traded in 30 days are dropped;
the others restart their capture at their next fill. The end of the run forces two more
updates-and-snapshots (after ``on_end_of_algorithm`` and at exit), as LEAN does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from lean_local.engine.common import SecurityType

DAILY_SCALE = 0.02  # SymbolCapacity.ResolutionScaleFactor(Resolution.Daily)
FOREX_VOLUME = 25_000_000.0  # SymbolCapacity._forexMinuteVolume, LEAN's volume proxy for forex quote bars
EFFECT_PERIOD = timedelta(days=30)  # SymbolCapacity.CapacityEffectPeriod


def _round_up_to_day(moment: datetime) -> datetime:
    midnight = datetime.combine(moment.date(), datetime.min.time())
    return midnight if moment == midnight else midnight + timedelta(days=1)


class SymbolCapacity:
    """One traded security's sale volume and captured market volume."""

    def __init__(self, security: Any) -> None:
        self.security = security
        self.sale_volume = 0.0
        self.trades = 0
        self._market_volume = 0.0
        self._scale = 0.0
        self._reset_pending = False
        self._discount = 1.0
        self._last_fill_utc: datetime | None = None
        self._capture_day: date | None = None  # the UTC day after the last fill, also captured
        self._effect_until: datetime | None = None  # the last fill + 30 days

    @property
    def market_capacity_dollar_volume(self) -> float:
        return self._market_volume * self._scale

    def on_fill(self, utc_time: datetime, fill_value: float) -> None:
        self.sale_volume += abs(fill_value)
        previous = self._last_fill_utc or utc_time - timedelta(days=1)
        factor = 2.0 * ((utc_time - previous).total_seconds() / 60.0) / 390.0
        self._discount = 1.0 if factor > 1 else max(0.2, factor)
        if self._reset_pending:
            self._market_volume = 0.0
            self.trades = 0
            self._reset_pending = False
        self.trades += 1
        self._last_fill_utc = utc_time
        self._capture_day = _round_up_to_day(utc_time).date()
        self._effect_until = utc_time + EFFECT_PERIOD

    def capture(self, utc_time: datetime, bar: tuple[float, float] | None) -> bool:
        """Capture this step's bar ``(close, volume)``; True once the capture window has passed."""
        if bar is None or bar[1] == 0:
            return False
        last = self._last_fill_utc
        include = last is not None and (utc_time == last or utc_time.date() == self._capture_day)
        if include:
            security = self.security
            self._scale = DAILY_SCALE
            self._market_volume += bar[0] * self._discount * bar[1] * security.quote_currency.conversion_rate \
                * security.symbol_properties.contract_multiplier
        return not include

    def reset(self) -> None:
        self._reset_pending = True
        self.sale_volume = 0.0

    def should_remove(self, utc_time: datetime) -> bool:
        return not (utc_time < self._effect_until or self.security.invested)


class CapacityEstimate:
    """The running estimate: feed it fills (``on_fill``) and call ``update`` once per time step."""

    def __init__(self, start_date: datetime, end_date: datetime) -> None:
        days = (end_date - start_date).total_seconds() / 86400.0
        self._period = timedelta(days=max(min(days - 1, 7), 1))
        self._next_snapshot = start_date + self._period
        self._by_symbol: dict[Any, SymbolCapacity] = {}
        self._watched: list[SymbolCapacity] = []
        self._watched_set: set[int] = set()  # ids of the watched entries (a rebalance fills hundreds at once)
        self.capacity = 0.0
        self.lowest_capacity_symbol: Any = None

    @property
    def rounded_capacity(self) -> float:
        """Rounded to the nearest 1,000 (``DiscretelyRoundBy(1000)``)."""
        return round(self.capacity / 1000.0) * 1000.0

    def on_fill(self, security: Any, utc_time: datetime, fill_value: float) -> None:
        entry = self._by_symbol.get(security.symbol)
        if entry is None:
            entry = self._by_symbol[security.symbol] = SymbolCapacity(security)
        entry.on_fill(utc_time, fill_value)
        if id(entry) not in self._watched_set:
            self._watched.append(entry)
            self._watched_set.add(id(entry))

    def due(self, utc_time: datetime) -> bool:
        """Does a step at ``utc_time`` have anything to do (a bar to capture or a snapshot to take)?"""
        return bool(self._watched) or (bool(self._by_symbol) and utc_time >= self._next_snapshot)

    def update(self, utc_time: datetime, bar_of: Any, total_portfolio_value: float, force: bool = False) -> None:
        """``UpdateMarketCapacity``: ``bar_of(security)`` is the security's ``(close, volume)`` in this
        step's slice, or None."""
        for k in range(len(self._watched) - 1, -1, -1):
            entry = self._watched[k]
            if entry.capture(utc_time, bar_of(entry.security)):
                del self._watched[k]
                self._watched_set.discard(id(entry))
        utc_date = datetime.combine(utc_time.date(), datetime.min.time())
        if not (force or (utc_date >= self._next_snapshot and self._by_symbol)):
            return
        if total_portfolio_value == 0 or not self._by_symbol:
            return
        total_sale = sum(entry.sale_volume for entry in self._by_symbol.values())
        smallest = min(self._by_symbol.values(), key=lambda entry: entry.market_capacity_dollar_volume)
        self.lowest_capacity_symbol = smallest.security.symbol
        share_of_sales = smallest.sale_volume / total_sale if total_sale != 0 else 0.0
        share_of_holdings = smallest.security.holdings.absolute_holdings_value / total_portfolio_value
        scaling = max(share_of_sales, share_of_holdings)
        daily_volume = smallest.market_capacity_dollar_volume / smallest.trades
        new = self.capacity if scaling == 0 else daily_volume / scaling
        if self.capacity != 0:
            new = 0.33 * new + 0.66 * self.capacity
        self.capacity = new
        for symbol, entry in list(self._by_symbol.items()):
            if not entry.should_remove(utc_time):
                entry.reset()
                continue
            del self._by_symbol[symbol]
            if id(entry) in self._watched_set:
                self._watched.remove(entry)
                self._watched_set.discard(id(entry))
        self._next_snapshot = utc_date + self._period


def slice_bar(feed: Any, security: Any, emitted: bool) -> tuple[float, float] | None:
    """The security's bar in this step's slice as ``(close, volume)`` (LEAN's ``SymbolCapacity.GetBar``):
    forex quote bars count ``FOREX_VOLUME``; a fill-forward copy has no volume; None when the slice has
    no bar for it (custom data is not in ``Slice.bars``)."""
    if not emitted or security.type == SecurityType.BASE:
        return None
    values = feed.current_close_volume(security._column)
    if values is None:
        return None
    close, volume = values
    if security.type == SecurityType.FOREX:
        return close, FOREX_VOLUME
    return close, volume
