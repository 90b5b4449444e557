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
from lean_local.engine.utc_clock import UtcClock

_TYPE, _QUOTE, _RATE = attrgetter("type"), attrgetter("quote_currency"), attrgetter("conversion_rate")
_NO_COLUMNS = np.empty(0, dtype=np.intp)
_REAL = np.int8(2)  # the panel's emit code of a real bar (an int8 as the codes: no conversion of a Python int)


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
        self._fills = algo.transactions.fills.columns  # the fill records' field lists
        self._fills_seen = 0
        self._clock = UtcClock()
        self._traded: dict[str, Any] = {}  # the estimate's symbols (a fill's) -> their securities
        self._traded_columns: dict[str, int] = {}  # the same -> their feed columns
        # the one quote currency (Cash) of every traded symbol (a US equity book: its rate once a step), or None
        self._one_cash: Any = None
        self._unplain = False  # whether a traded symbol is custom data or forex (not every bar's volume counts)
        # the estimate's symbols list last asked about, its length then and their columns (in its order)
        self._asked: tuple[list[str] | None, int, np.ndarray] = (None, 0, _NO_COLUMNS)
        self._watched: tuple[np.ndarray | None, np.ndarray] = (None, _NO_COLUMNS)  # slots asked, their columns

    def step(self, now_ns: int, force: bool = False) -> None:
        """The end of the step at ``now_ns`` (the algorithm's time, naive New York ns): the fills since the
        last step, then the estimate's capture and snapshot when due (``force``: a snapshot anyway)."""
        if len(self._fills["time"]) > self._fills_seen:
            self._hand_fills(self._fills)
        estimate = self.estimate
        if now_ns < estimate.idle_until and not force:  # neither monitoring nor possibly due
            return
        algo = self._algo
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
        """The fill records from the first one not handed yet, to the estimate a time at a time (a symbol
        new to the estimate may be new here: the estimate's symbols were all handed here)."""
        seen = self._fills_seen
        times, symbols, values = columns["time"][seen:], columns["symbol"][seen:], columns["fill_value"][seen:]
        self._fills_seen += len(times)
        first = times[0]
        if times.count(first) == len(times):  # one time (a step's fills, as a rule): a C-level check
            if self.estimate.on_fills(symbols, self._clock.utc_ns(first), values):
                self._trade(symbols)
            return
        start = 0
        while start < len(times):  # each time's fills together
            time = times[start]
            end = start + 1
            while end < len(times) and times[end] is time:
                end += 1
            if self.estimate.on_fills(symbols[start:end], self._clock.utc_ns(time), values[start:end]):
                self._trade(symbols[start:end])
            start = end

    def _trade(self, symbols: list[str]) -> None:
        """Record the securities of the symbols among ``symbols`` traded for the first time."""
        traded, securities = self._traded, self._algo.securities
        for symbol in symbols:
            if symbol not in traded:
                security = traded[symbol] = securities[symbol]
                self._traded_columns[symbol] = security.column
                cash = security.quote_currency
                if len(traded) == 1:
                    self._one_cash = cash
                elif cash is not self._one_cash:
                    self._one_cash = None
                if security.type in (SecurityType.BASE, SecurityType.FOREX):
                    self._unplain = True

    def _columns_of(self, symbols: list[str]) -> np.ndarray:
        """The feed columns of ``symbols`` (the estimate's, in slot order: the same list until a symbol joins,
        appended, or one is forgotten, a new list; a traded symbol's column never changes here)."""
        known, length, columns = self._asked
        if symbols is not known or len(symbols) != length:
            if symbols is known and len(symbols) > length:  # symbols joined: their columns appended
                tail = np.fromiter(map(self._traded_columns.__getitem__, symbols[length:]), dtype=np.intp)
                columns = np.concatenate([columns, tail])
            else:
                columns = np.fromiter(map(self._traded_columns.__getitem__, symbols), dtype=np.intp,
                                      count=len(symbols))
            self._asked = (symbols, len(symbols), columns)
        return columns

    def holdings_values(self, symbols: list[str]) -> np.ndarray:
        """The estimate's question: the signed holdings value of each of ``symbols`` (traded ones)."""
        return self._algo.portfolio.holdings_values(self._columns_of(symbols))

    def monitored_bars(self, symbols: list[str], slots: np.ndarray) -> MonitoredBars:
        """The estimate's question: the real bar of this step of each of the slots ``slots`` of ``symbols``
        (traded ones; LEAN's ``SymbolCapacity.GetBar`` reads ``Slice.bars`` and ``quote_bars``: custom data
        has none, a forex quote bar counts LEAN's forex volume, a fill-forward bar has volume 0)."""
        asked, columns = self._watched
        if slots is not asked:  # the estimate's watched slots are a new array when they change
            columns = self._columns_of(symbols)[slots]
            self._watched = (slots, columns)
        panel, step = self._feed.panel, self._feed.step  # a step with fills before (monitoring): step >= 0
        found = (panel.emit[panel.row(step)][columns] == _REAL).nonzero()[0]  # a real bar ends now (not a copy)
        if not len(found):
            return no_bars(symbols, slots)
        quotes = None
        if not self._unplain and self._one_cash is not None:
            rates: np.ndarray | float = self._one_cash.conversion_rate
        else:
            securities = list(map(self._traded.__getitem__, map(symbols.__getitem__, slots[found].tolist())))
            kinds = list(map(_TYPE, securities))
            base, forex = SecurityType.BASE, SecurityType.FOREX  # read once: an enum member read from its class is slow
            kept = np.fromiter((kind != base for kind in kinds), dtype=bool, count=len(kinds))
            quotes = np.fromiter((kind == forex for kind in kinds), dtype=bool, count=len(kinds))[kept]
            found = found[kept]
            rates = np.fromiter((_RATE(_QUOTE(s)) for s, keep in zip(securities, kept.tolist(), strict=True) if keep),
                                dtype=np.float64, count=len(found))
            if not len(found):
                return no_bars(symbols, slots)
        starts, ends, ohlcv = panel.current_fields(step, columns if len(found) == len(columns) else columns[found])
        volumes = ohlcv[:, 4]
        return bars_at(slots, found, ohlcv[:, 3], volumes if quotes is None else np.where(quotes, FOREX_VOLUME, volumes),
                       rates, starts, ends)
