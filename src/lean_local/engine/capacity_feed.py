"""The engine's side of LEAN's capacity estimate (:class:`lean_local.engine.capacity.CapacityEstimate`):
each step's new fills handed over a time at a time, and the answers to the estimate's two questions, the
traded symbols' bars of the step and their holdings values (``ResultHandler.ProcessSynchronousEvents``)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.capacity import FOREX_VOLUME, CapacityEstimate, MonitoredBars, bars_at, no_bars
from lean_local.engine.common import SecurityType
from lean_local.engine.securities import Security
from lean_local.engine.utc_clock import UtcClock

_TYPE, _QUOTE, _RATE = attrgetter("type"), attrgetter("quote_currency"), attrgetter("conversion_rate")


class _Monitored:
    """What the bars of one list of monitored symbols need that does not change while it is the same list
    of the same length (a traded symbol's column, type and quote currency never change)."""

    __slots__ = ("symbols", "length", "columns", "securities", "cashes", "one_cash", "plain")

    def __init__(self, symbols: list[str] | None, columns: np.ndarray, securities: list[Security],
                 cashes: list[Any], plain: bool) -> None:
        self.symbols, self.length = symbols, len(columns)
        self.columns, self.securities, self.cashes, self.plain = columns, securities, cashes, plain
        first = cashes[0] if cashes else None
        # one quote currency for all (a US equity book): its rate once a step, not once a symbol
        self.one_cash = first if cashes.count(first) == len(cashes) else None  # a C-level pass (by identity)


class CapacityFeed:
    """Feeds ``estimate`` from the algorithm's fills, the feed's current bars and the portfolio.

    Parameters
    ----------
    algo : QCAlgorithm
        The running algorithm (its fill records, securities, portfolio and time).
    feed : Any
        The run's feed (:class:`lean_local.engine.feed.Feed`): its panel's current bars of the traded columns
        at its step.
    estimate : CapacityEstimate
        The estimate fed.
    """

    def __init__(self, algo: QCAlgorithm, feed: Any, estimate: CapacityEstimate) -> None:
        self.estimate = estimate
        self._algo, self._feed = algo, feed
        self._fills_seen = 0
        self._clock = UtcClock()
        self._traded: dict[str, Security] = {}  # the estimate's symbols (a fill's) -> their securities
        self._traded_columns: dict[str, int] = {}  # the same -> their feed columns
        self._traded_cashes: dict[str, Any] = {}  # the same -> their quote currencies (Cash)
        self._unplain: set[str] = set()  # the same that are custom data or forex (not every bar's volume counts)
        # the last list of symbols holdings_values was asked, its length then and their columns
        self._asked: tuple[list[str] | None, int, np.ndarray] = (None, 0, np.empty(0, dtype=np.intp))
        self._monitored = _Monitored(None, np.empty(0, dtype=np.intp), [], [], True)

    def step(self, now_ns: int, force: bool = False) -> None:
        """The end of the step at ``now_ns`` (the algorithm's time, naive New York ns): the fills since the
        last step, then the estimate's capture and snapshot when due (``force``: a snapshot anyway)."""
        algo, estimate = self._algo, self.estimate
        fills = algo.transactions.fills
        if len(fills) > self._fills_seen:
            self._hand_fills(fills.columns)
            self._fills_seen = len(fills)
        if not estimate.monitoring and not force and not estimate.may_be_due(now_ns):
            return
        now_utc = self._clock.utc_ns(algo.time)
        if not estimate.monitoring and not force and not estimate.due(now_utc):
            return
        estimate.update(now_utc, self.monitored_bars, algo.portfolio.total_portfolio_value, self.holdings_values,
                        force)

    def hour_snapshots(self, utc_times: list[int]) -> None:
        """The internal benchmark feed's steps at ``utc_times``: no bar reaches the algorithm, but a snapshot
        falling due then is taken then (with the previous step's fills and prices)."""
        estimate = self.estimate
        for utc in utc_times:
            if estimate.due(utc):
                estimate.update(utc, no_bars, self._algo.portfolio.total_portfolio_value, self.holdings_values)

    def _hand_fills(self, columns: dict[str, list]) -> None:
        """The fill records from the first one not handed yet, to the estimate a time at a time."""
        seen, algo, traded = self._fills_seen, self._algo, self._traded
        times, symbols, values = columns["time"][seen:], columns["symbol"][seen:], columns["fill_value"][seen:]
        for symbol in symbols:
            if symbol not in traded:
                security = traded[symbol] = algo.securities[symbol]
                self._traded_columns[symbol] = security.column
                self._traded_cashes[symbol] = security.quote_currency
                if security.type in (SecurityType.BASE, SecurityType.FOREX):
                    self._unplain.add(symbol)
        first = times[0]
        if times.count(first) == len(times):  # one time (a step's fills, as a rule): a C-level check
            self.estimate.on_fills(symbols, self._clock.utc_ns(first), values)
            return
        start = 0
        while start < len(times):  # each time's fills together
            time = times[start]
            end = start + 1
            while end < len(times) and times[end] is time:
                end += 1
            self.estimate.on_fills(symbols[start:end], self._clock.utc_ns(time), values[start:end])
            start = end

    def holdings_values(self, symbols: list[str]) -> np.ndarray:
        """The estimate's question: the signed holdings value of each of ``symbols`` (traded ones)."""
        known, length, columns = self._asked
        # a snapshot asks for its every symbol, the same list until a symbol joins (appended) or is
        # forgotten (a new list); a traded symbol's column never changes here
        if symbols is not known or len(symbols) != length:
            columns = np.fromiter(map(self._traded_columns.__getitem__, symbols), dtype=np.intp, count=len(symbols))
            self._asked = (symbols, len(symbols), columns)
        return self._algo.portfolio.holdings_values(columns)

    def monitored_bars(self, symbols: list[str]) -> MonitoredBars:
        """The estimate's question: the real bar of this step of each of ``symbols`` (traded ones; LEAN's
        ``SymbolCapacity.GetBar`` reads ``Slice.bars`` and ``quote_bars``: custom data has none, a forex
        quote bar counts LEAN's forex volume, a fill-forward bar has volume 0)."""
        monitored = self._monitored
        if symbols is not monitored.symbols or len(symbols) != monitored.length:
            columns = np.fromiter(map(self._traded_columns.__getitem__, symbols), dtype=np.intp, count=len(symbols))
            plain = not self._unplain or self._unplain.isdisjoint(symbols)
            monitored = self._monitored = _Monitored(symbols, columns, list(map(self._traded.__getitem__, symbols)),
                                                     list(map(self._traded_cashes.__getitem__, symbols)), plain)
        columns = monitored.columns
        panel, step = self._feed.panel, self._feed.step  # a step with fills before (monitoring): step >= 0
        found = np.flatnonzero(panel.emit[panel.row(step), columns] == 2)  # a real bar ends now (not a copy)
        if not len(found):
            return no_bars(symbols)
        if monitored.plain:
            every = len(found) == len(columns)
            quotes = None
            if monitored.one_cash is not None:
                rates: np.ndarray | float = monitored.one_cash.conversion_rate
            else:
                cashes = monitored.cashes if every else list(map(monitored.cashes.__getitem__, found.tolist()))
                rates = np.fromiter(map(_RATE, cashes), dtype=np.float64, count=len(cashes))
        else:
            securities = list(map(monitored.securities.__getitem__, found.tolist()))
            kinds = list(map(_TYPE, securities))
            base, forex = SecurityType.BASE, SecurityType.FOREX  # read once: an enum member read from its class is slow
            kept = np.fromiter((kind != base for kind in kinds), dtype=bool, count=len(kinds))
            quotes = np.fromiter((kind == forex for kind in kinds), dtype=bool, count=len(kinds))[kept]
            found = found[kept]
            rates = np.fromiter((_RATE(_QUOTE(s)) for s, keep in zip(securities, kept.tolist(), strict=True) if keep),
                                dtype=np.float64, count=len(found))
            every = len(found) == len(columns)
        if not len(found):
            return no_bars(symbols)
        starts, ends, _, closes, volumes = panel.current_bars(step, columns if every else columns[found])
        # int((bar.end_time - bar.time).total_seconds() * 10**9): total_seconds divides the whole
        # microseconds, exactly as float64 holds them (a bar's length is far below 2**53 us)
        return bars_at(symbols, found, closes, volumes if quotes is None else np.where(quotes, FOREX_VOLUME, volumes),
                       rates, ((ends // 1000 - starts // 1000) / 10**6 * 10**9).astype(np.int64))
