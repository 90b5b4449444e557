"""Securities: exchange hours, holdings, the ``Security`` object and the ``SecurityManager``.

A :class:`Security` is a thin view: its prices come from the feed's current bar (read on access),
its holdings from the portfolio's arrays. Leverage per class follows LEAN's defaults for a margin
account: equity 2, forex 50, index and custom data 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lean_local.engine.buying_power import SecurityMarginModel
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.feed import NEW_YORK, BarView
from lean_local.engine.fees import FeeModel, default_fee_model
from lean_local.engine.intraday import cached_quote
from lean_local.engine.shortable import NullShortableProvider
from lean_local.engine.slippage import NullSlippageModel
from lean_local.engine.volatility import NULL_VOLATILITY_MODEL

if TYPE_CHECKING:
    from lean_local.engine.portfolio import Cash, SecurityPortfolioManager

DEFAULT_LEVERAGE = {SecurityType.EQUITY: 2.0, SecurityType.FOREX: 50.0, SecurityType.INDEX: 1.0,
                    SecurityType.BASE: 1.0}


@dataclass
class ExchangeHours:
    """Regular trading hours of one exchange, in New York time.

    ``segments`` maps a weekday (0 = Monday) to its regular-market ``(start, end)`` offsets from
    midnight (``end`` may be 24 h: the session continues into the next day, as forex from Sunday
    to Friday). Holidays close the whole day; ``early_closes`` / ``late_opens`` move the day's last
    close / first open. ``always_open`` marks exchanges that never close (custom data).
    """

    segments: dict[int, list[tuple[timedelta, timedelta]]]
    holidays: frozenset[date] = frozenset()
    early_closes: dict[date, timedelta] = field(default_factory=dict)
    late_opens: dict[date, timedelta] = field(default_factory=dict)
    always_open: bool = False

    def day_segments(self, day: date) -> list[tuple[timedelta, timedelta]]:
        """The regular-market segments of ``day`` with early closes and late opens applied."""
        memo = self.__dict__.setdefault("_segments_memo", {})
        found = memo.get(day)
        if found is None:
            found = memo[day] = self._day_segments(day)
        return found

    def _day_segments(self, day: date) -> list[tuple[timedelta, timedelta]]:
        if self.always_open:
            return [(timedelta(0), timedelta(days=1))]
        if day in self.holidays:
            return []
        segs = list(self.segments.get(day.weekday(), []))
        if not segs:
            return []
        late = self.late_opens.get(day)
        early = self.early_closes.get(day)
        if late is not None:
            segs[0] = (max(segs[0][0], late), segs[0][1])
        if early is not None:
            segs = [(a, min(b, early)) for a, b in segs if a < early]
        return [(a, b) for a, b in segs if b > a]

    def session(self, day: date) -> tuple[timedelta, timedelta] | None:
        """``(first open, last close)`` of ``day``, or None when closed all day."""
        segs = self.day_segments(day)
        return (segs[0][0], segs[-1][1]) if segs else None

    def is_trading_day(self, day: date) -> bool:
        return bool(self.day_segments(day))

    def date_time_is_open(self, moment: datetime) -> bool:
        """Is the regular market open at ``moment`` (open inclusive, close exclusive)?"""
        # memoized per moment: the hours never change, and each order asks about the same few clock times
        memo = self.__dict__.setdefault("_open_memo", {})
        found = memo.get(moment)
        if found is None:
            found = memo[moment] = self._date_time_is_open(moment)
        return found

    def _date_time_is_open(self, moment: datetime) -> bool:
        if self.always_open:
            return True
        offset = moment - datetime.combine(moment.date(), time())
        return any(a <= offset < b for a, b in self.day_segments(moment.date()))

    def next_market_close(self, moment: datetime) -> datetime:
        """The first regular market close strictly after ``moment`` (LEAN ``GetNextMarketClose``).

        A segment ending at midnight that the next day's first segment continues is not a close.
        """
        memo = self.__dict__.setdefault("_close_memo", {})
        found = memo.get(moment)
        if found is None:
            found = memo[moment] = self._next_market_close(moment)
        return found

    def _next_market_close(self, moment: datetime) -> datetime:
        day = moment.date()
        for _ in range(30):
            segs = self.day_segments(day)
            for k, (_, end) in enumerate(segs):
                close = datetime.combine(day, time()) + end
                if moment >= close:
                    continue
                if k == len(segs) - 1 and end >= timedelta(days=1):
                    nxt = self.day_segments(day + timedelta(days=1))
                    if nxt and nxt[0][0] <= timedelta(0):
                        continue
                return close
            day += timedelta(days=1)
        raise ValueError(f"no market close within 30 days after {moment}")

    @property
    def key(self) -> str:
        """A fingerprint of these hours (for caches of data timed by them)."""
        cached = self.__dict__.get("_key")
        if cached is None:
            text = repr((sorted(self.segments.items()), sorted(self.holidays), sorted(self.early_closes.items()),
                         sorted(self.late_opens.items()), self.always_open))
            cached = self.__dict__["_key"] = hashlib.sha1(text.encode()).hexdigest()
        return cached

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """The hours as arrays, built once: by weekday (has a session, open ns, close ns), the sorted
        holidays (ns), and the sorted (days ns, offsets ns) of the early closes and the late opens."""
        cached = self.__dict__.get("_table_memo")
        if cached is not None:
            return cached
        reg = [self.segments.get(w, []) for w in range(7)]
        has_week = np.array([bool(segs) for segs in reg])
        reg_open = np.array([segs[0][0] // timedelta(microseconds=1) * 1000 if segs else 0 for segs in reg],
                            dtype=np.int64)
        reg_close = np.array([segs[-1][1] // timedelta(microseconds=1) * 1000 if segs else 0 for segs in reg],
                             dtype=np.int64)
        holidays = np.sort(pd.DatetimeIndex(sorted(self.holidays)).asi8) if self.holidays else np.empty(0, np.int64)
        specials = []
        for table in (self.early_closes, self.late_opens):
            days = pd.DatetimeIndex([pd.Timestamp(d) for d in table]).asi8
            offsets = np.array([t // timedelta(microseconds=1) * 1000 for t in table.values()], dtype=np.int64)
            order = np.argsort(days)
            specials.append((days[order], offsets[order]))
        cached = self.__dict__["_table_memo"] = (has_week, reg_open, reg_close, holidays, specials)
        return cached

    def _calendar(self, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorized sessions of ``days`` (midnights): (has session, open offset ns, close offset ns).

        Regular hours by weekday, holidays removed, early closes and late opens applied.
        """
        if self.always_open:
            n = len(days)
            return np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64), np.full(n, 86_400 * 10**9, dtype=np.int64)
        has_week, reg_open, reg_close, holidays, specials = self._tables()
        stamps = days.asi8
        weekday = days.weekday.to_numpy()
        has = has_week[weekday]
        if len(holidays):
            has &= ~np.isin(stamps, holidays)
        opens = reg_open[weekday].copy()
        closes = reg_close[weekday].copy()
        # every position of a day gets its early close or late open (``days`` may repeat a day)
        for (special, offsets), target, pick in ((specials[0], closes, np.minimum), (specials[1], opens, np.maximum)):
            if not len(special):
                continue
            at = np.minimum(np.searchsorted(special, stamps), len(special) - 1)
            hit = special[at] == stamps
            target[hit] = pick(target[hit], offsets[at[hit]])
        return has, opens, closes

    def trading_days(self, start: date, end: date) -> pd.DatetimeIndex:
        """Trading days in ``[start, end]`` (midnights; an immutable index shared by equal calls)."""
        first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        memo = self.__dict__.setdefault("_trading_days_memo", {})
        found = memo.get((first, last))
        if found is None:
            days = pd.date_range(first, last, freq="D")
            has, _, _ = self._calendar(days)
            found = memo[(first, last)] = days[has]
        return found

    def session_times(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """Open and close (int64 ns, New York) of each date's session. A date without a session (a
        bar on a holiday) gets its weekday's regular hours, or the first weekday's."""
        raw = pd.DatetimeIndex(dates).asi8
        days = pd.DatetimeIndex(raw - raw % (86_400 * 10**9))
        has, opens, closes = self._calendar(days)
        if not has.all():
            regular = [(segs[0][0], segs[-1][1]) for w, segs in sorted(self.segments.items()) if segs]
            fallback = regular[0] if regular else (timedelta(0), timedelta(days=1))
            weekday = days.weekday.to_numpy()
            for i in np.flatnonzero(~has):
                segs = self.segments.get(int(weekday[i]))
                o, c = (segs[0][0], segs[-1][1]) if segs else fallback
                opens[i] = o // timedelta(microseconds=1) * 1000
                closes[i] = c // timedelta(microseconds=1) * 1000
        return days.asi8 + opens, days.asi8 + closes


def hours_from_entry(entry: Any) -> ExchangeHours:
    """Convert a ``lean_local.data.market_hours.MarketHoursEntry`` to New York time."""
    probe = pd.Timestamp("2020-01-15 12:00")
    shift = (probe.tz_localize(entry.exchange_time_zone).tz_convert(NEW_YORK).tz_localize(None) - probe).to_pytimedelta()
    segments = {w: [(s.start + shift, s.end + shift) for s in entry.market_segments(w)] for w in range(7)}
    return ExchangeHours(
        {w: segs for w, segs in segments.items() if segs},
        frozenset(d.date() for d in pd.DatetimeIndex(entry.holidays)),
        {pd.Timestamp(d).date(): t + shift for d, t in entry.early_closes.items()},
        {pd.Timestamp(d).date(): t + shift for d, t in entry.late_opens.items()},
    )


def always_open_hours() -> ExchangeHours:
    return ExchangeHours({}, always_open=True)


class Exchange:
    """LEAN's ``SecurityExchange``: the hours plus the current local time."""

    def __init__(self, hours: ExchangeHours, clock: Any) -> None:
        self.hours = hours
        self._clock = clock

    @property
    def exchange_open(self) -> bool:
        return self.hours.date_time_is_open(self._clock.time)

    def date_time_is_open(self, moment: datetime) -> bool:
        return self.hours.date_time_is_open(moment)

    def next_market_close(self, moment: datetime) -> datetime:
        return self.hours.next_market_close(moment)


class SymbolProperties:
    """Lot size, tick size, contract multiplier and quote currency of a security."""

    def __init__(self, lot_size: float = 1.0, minimum_price_variation: float = 0.01,
                 contract_multiplier: float = 1.0, quote_currency: str = "USD", description: str = "") -> None:
        self.lot_size = float(lot_size)
        self.minimum_price_variation = float(minimum_price_variation)
        self.contract_multiplier = float(contract_multiplier)
        self.quote_currency = quote_currency
        self.description = description


class SecurityHolding:
    """LEAN's ``SecurityHolding``: a view on the portfolio's arrays for one security."""

    def __init__(self, security: Security) -> None:
        self._security = security

    @property
    def _book(self) -> SecurityPortfolioManager:
        return self._security._portfolio

    @property
    def symbol(self) -> Symbol:
        return self._security.symbol

    @property
    def quantity(self) -> float:
        security = self._security
        return float(security._portfolio.quantity[security._column])

    @property
    def absolute_quantity(self) -> float:
        return abs(self.quantity)

    @property
    def average_price(self) -> float:
        return float(self._book.average_price[self._security._column])

    @property
    def invested(self) -> bool:
        return self.quantity != 0

    @property
    def is_long(self) -> bool:
        return self.quantity > 0

    @property
    def is_short(self) -> bool:
        return self.quantity < 0

    @property
    def price(self) -> float:
        return self._security.price

    @property
    def holdings_cost(self) -> float:
        s = self._security
        return self.average_price * self.quantity * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def absolute_holdings_cost(self) -> float:
        return abs(self.holdings_cost)

    @property
    def holdings_value(self) -> float:
        s = self._security
        return s.price * self.quantity * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def absolute_holdings_value(self) -> float:
        return abs(self.holdings_value)

    @property
    def unrealized_profit(self) -> float:
        """Profit if closed now, before fees; forex longs close at the bid, shorts at the ask."""
        s = self._security
        q = self.quantity
        if q == 0:
            return 0.0
        price = s.price
        bar = s.last_bar()
        if s.type == SecurityType.FOREX and bar is not None:
            price = bar.bid.close if q > 0 else bar.ask.close
        elif s._quoted:  # LEAN's TotalCloseProfit: a long sells at the bid, a short buys at the ask
            price = cached_quote(s._feed, s._column, bid=q > 0) or price
        return (price - self.average_price) * q * s.quote_currency.conversion_rate * s.symbol_properties.contract_multiplier

    @property
    def unrealized_profit_percent(self) -> float:
        cost = self.absolute_holdings_cost
        return self.unrealized_profit / cost if cost else 0.0

    @property
    def net_profit(self) -> float:
        return self.profit - self.total_fees

    @property
    def profit(self) -> float:
        return float(self._book.realized_profit[self._security._column])

    @property
    def total_fees(self) -> float:
        return float(self._book.fees_paid[self._security._column])

    @property
    def leverage(self) -> float:
        return self._security.leverage

    def __getattr__(self, name: str) -> Any:
        raise not_supported("SecurityHolding", name)


class Security:
    """One security: its symbol, models, exchange, current bar and holdings."""

    volatility_models_set = 0  # counts set_volatility_model calls (algorithms refresh their list on change)
    _quoted = False  # has quote bars beside its trade bars (a minute equity): bid/ask come from them

    def __init__(self, symbol: Symbol, column: int, feed: Any, exchange: Exchange,
                 properties: SymbolProperties, quote_currency: Cash, portfolio: SecurityPortfolioManager,
                 resolution: Resolution = Resolution.DAILY,
                 normalization: DataNormalizationMode = DataNormalizationMode.ADJUSTED,
                 leverage: float | None = None, base_currency: Cash | None = None) -> None:
        self.symbol = symbol
        self.type = symbol.security_type
        self._column = column
        self._feed = feed
        self._portfolio = portfolio
        self.exchange = exchange
        self.symbol_properties = properties
        self.quote_currency = quote_currency
        self.base_currency = base_currency
        self.resolution = resolution
        self.data_normalization_mode = normalization
        self.leverage = float(leverage if leverage is not None else DEFAULT_LEVERAGE.get(self.type, 1.0))
        self.fee_model: FeeModel = default_fee_model(self.type)
        self.slippage_model: Any = NullSlippageModel()
        self.shortable_provider: Any = NullShortableProvider()
        self.is_tradable = self.type != SecurityType.INDEX
        self.holdings = SecurityHolding(self)
        self.volatility_model: Any = NULL_VOLATILITY_MODEL

    # --- current data -------------------------------------------------------------------------
    def last_bar(self) -> BarView | None:
        """The latest bar delivered to this security (None before its first bar)."""
        return self._feed.current_bar(self._column)

    @property
    def has_data(self) -> bool:
        return self.last_bar() is not None or self._feed.is_seeded(self._column)

    def set_market_price(self, data: Any) -> None:
        """Seed the price with a data point's close (shown until the first bar arrives); None (no
        known price) changes nothing, as LEAN's ``SetMarketPrice``."""
        if data is None:
            return
        self._feed.seed(self._column, float(getattr(data, "close", getattr(data, "value", 0.0))))

    @property
    def price(self) -> float:
        return self._feed.current_close(self._column)

    close = property(lambda self: self.price)

    def _field(self, name: str) -> float:
        bar = self.last_bar()
        return getattr(bar, name) if bar is not None else 0.0

    open = property(lambda self: self._field("open"))
    high = property(lambda self: self._field("high"))
    low = property(lambda self: self._field("low"))
    volume = property(lambda self: self._field("volume"))

    @property
    def bid_price(self) -> float:
        if self._quoted:
            return cached_quote(self._feed, self._column, bid=True) or self.price
        bar = self.last_bar()
        return bar.bid.close if bar is not None and self.type == SecurityType.FOREX else self.price

    @property
    def ask_price(self) -> float:
        if self._quoted:
            return cached_quote(self._feed, self._column, bid=False) or self.price
        bar = self.last_bar()
        return bar.ask.close if bar is not None and self.type == SecurityType.FOREX else self.price

    @property
    def local_time(self) -> datetime:
        return self._feed.clock.time

    @property
    def invested(self) -> bool:
        return self.holdings.invested

    @property
    def is_delisted(self) -> bool:
        return self._feed.is_delisted(self._column)

    # --- models -------------------------------------------------------------------------------
    def set_fee_model(self, model: Any) -> None:
        self.fee_model = model

    def set_slippage_model(self, model: Any) -> None:
        self.slippage_model = model

    def set_shortable_provider(self, provider: Any) -> None:
        self.shortable_provider = provider

    def set_leverage(self, leverage: float) -> None:
        self.leverage = float(leverage)
        self._portfolio._leverage[self._column] = self.leverage
        self._portfolio.invalidate()

    def set_data_normalization_mode(self, mode: DataNormalizationMode) -> None:
        self._feed.set_normalization(self, mode)

    def set_volatility_model(self, model: Any) -> None:
        """Use ``model`` (updated with each bar before ``on_data``) as ``volatility_model``."""
        self.volatility_model = model
        Security.volatility_models_set += 1

    def set_fill_model(self, model: Any) -> None:
        raise not_supported("Security", "set_fill_model")

    def set_buying_power_model(self, model: Any) -> None:
        raise not_supported("Security", "set_buying_power_model")

    @property
    def buying_power_model(self) -> SecurityMarginModel:
        return SecurityMarginModel(self)

    margin_model = buying_power_model

    def __getattr__(self, name: str) -> Any:
        raise not_supported("Security", name)

    def __repr__(self) -> str:
        return f"Security({self.symbol})"


class SecurityManager:
    """``self.securities``: a mapping from symbol (or ticker string) to :class:`Security`."""

    def __init__(self) -> None:
        self._items: dict[str, Security] = {}

    def _add(self, security: Security) -> None:
        self._items[security.symbol] = security

    def __getitem__(self, key: str) -> Security:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"'{key}' wasn't found in the Securities collection: add it with add_equity/add_forex "
                           "first") from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def contains_key(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str, default: Any = None) -> Security | None:
        return self._items.get(key, default)

    def __iter__(self) -> Iterator[Symbol]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[Symbol]:
        return [s.symbol for s in self._items.values()]

    def values(self) -> list[Security]:
        return list(self._items.values())

    def items(self) -> list[tuple[Symbol, Security]]:
        return [(s.symbol, s) for s in self._items.values()]

    @property
    def count(self) -> int:
        return len(self._items)

    def __getattr__(self, name: str) -> Any:
        raise not_supported("SecurityManager", name)
