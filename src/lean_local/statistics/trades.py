"""Closed trades (``TradeBuilder``: fill-to-fill grouping, FIFO matching, LEAN's default) and their statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import overload

import numpy as np
import pandas as pd

from lean_local.statistics.lean_format import json_decimal

# Closed trades (TradeBuilder: FillToFill grouping, FIFO matching, LEAN's default)


@dataclass
class Trade:
    """One closed trade as LEAN's ``Trade`` (times in UTC, money in account currency)."""

    symbol: str
    entry_time: pd.Timestamp
    entry_price: float
    direction: str  # "Long" or "Short"
    quantity: float
    exit_time: pd.Timestamp | None = None
    exit_price: float = 0.0
    profit_loss: float = 0.0
    total_fees: float = 0.0
    mae: float = 0.0
    mfe: float = 0.0
    end_trade_drawdown: float = 0.0
    is_win: bool = False
    order_ids: list[int] = field(default_factory=list)


@dataclass
class _Position:
    """A symbol's open trades, FIFO, each with the index of its entry fill in the symbol's price stream.

    ``start`` is the stream index of the fill that opened the position: LEAN's position minimum and
    maximum price (for MAE and MFE) run from there.
    """

    start: int
    pending: list[tuple[Trade, int]]


def _open_trade(symbol: str, time: pd.Timestamp, price: float, qty: float, fee: float, order_id: int) -> Trade:
    return Trade(symbol, time, price, "Long" if qty > 0 else "Short", abs(qty), total_fees=fee, order_ids=[order_id])


def as_nanoseconds(times) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (wall-clock values for naive times)."""
    return pd.DatetimeIndex(times).as_unit("ns").asi8


@overload
def total_seconds(ns: int) -> float: ...


@overload
def total_seconds(ns: np.ndarray) -> np.ndarray: ...


def total_seconds(ns):
    """``Timedelta.total_seconds`` of spans in nanoseconds, an int or an array (pandas drops the
    sub-microsecond part)."""
    return (ns // 1000) / 1e6


def _price_streams(
    symbols: list[str], fill_ns: np.ndarray, fill_prices: np.ndarray, prices: pd.DataFrame | None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every price ``TradeBuilder.SetMarketPrice`` feeds to each symbol's open position, in event order.

    LEAN updates an open position with each step's price (a missing price is skipped) and with each
    of its fills, a step's prices before that step's fills. A position, and each of its trades, sees
    the part of its symbol's stream after the fill that opened it; so one stream per symbol (the
    prices of the steps from its first fill to its last, the fills inserted) replaces the per-step
    updates of every open position.

    Returns
    -------
    streams : dict[str, np.ndarray]
        Symbol -> its prices in event order.
    positions : np.ndarray
        Each fill's index in its symbol's stream.
    """
    step_ns = as_nanoseconds(prices.index) if prices is not None else np.empty(0, dtype=np.int64)
    rows_of: dict[str, list[int]] = {}
    for i, symbol in enumerate(symbols):
        rows_of.setdefault(symbol, []).append(i)
    streams: dict[str, np.ndarray] = {}
    positions = np.empty(len(symbols), dtype=np.int64)
    for symbol, row_list in rows_of.items():
        rows = np.asarray(row_list)
        if prices is not None and symbol in prices.columns:
            after = np.searchsorted(step_ns, fill_ns[rows], side="right")  # steps at or before each fill
            steps = prices[symbol].to_numpy(dtype=float)[after[0]:after[-1]]
            after -= after[0]
        else:
            after, steps = np.zeros(len(rows), dtype=np.int64), np.empty(0)
        slots = after + np.arange(len(rows))
        stream = np.empty(len(steps) + len(rows))
        is_fill = np.zeros(len(stream), dtype=bool)
        is_fill[slots] = True
        stream[slots] = fill_prices[rows]
        stream[~is_fill] = steps
        keep = is_fill | np.isfinite(stream)
        positions[rows] = (np.cumsum(keep) - 1)[slots]
        streams[symbol] = stream[keep]
    return streams, positions


def _max_drawdown(prices: np.ndarray, entry_price: float, sign: int) -> float:
    """A trade's largest fall of profit per unit from its running peak (``Trade.UpdateDrawdown``).

    The running peak starts at 0 (the entry), as LEAN's ``MaxProfit``.
    """
    profit = prices - entry_price if sign > 0 else entry_price - prices
    peak = np.maximum(np.maximum.accumulate(profit), 0.0)
    return float((peak - profit).max())


def build_trades(
    fills: pd.DataFrame, time_zone: str = "America/New_York", prices: pd.DataFrame | None = None
) -> list[Trade]:
    """Closed trades from fills with LEAN's default ``TradeBuilder`` (FillToFill, FIFO).

    Parameters
    ----------
    fills : pd.DataFrame
        Columns time, order_id, symbol, quantity, fill_price, fee, conversion_rate.
    time_zone : str
        Zone of the naive fill and price times (trades are reported in UTC).
    prices : pd.DataFrame, optional
        Security prices per step (columns symbols, index sorted like the record's ``equity``) fed
        to ``SetMarketPrice`` for MAE/MFE.
    """
    if fills is None or len(fills) == 0:
        return []
    f = fills.sort_values("time", kind="stable")
    times = pd.DatetimeIndex(f["time"])
    utc_times = list((times.tz_localize(time_zone) if times.tz is None else times).tz_convert("UTC"))
    symbols = [str(s) for s in f["symbol"].tolist()]
    quantities = [float(q) for q in f["quantity"].tolist()]
    fill_prices = [float(p) for p in f["fill_price"].tolist()]
    fees = f["fee"].tolist()
    order_ids = [int(o) for o in f["order_id"].tolist()]
    rates = [float(r or 1.0) for r in f["conversion_rate"].tolist()] if "conversion_rate" in f else [1.0] * len(f)
    streams, stream_index = _price_streams(symbols, as_nanoseconds(times), np.array(fill_prices), prices)

    positions: dict[str, _Position] = {}
    closed: list[Trade] = []
    fee_assigned: set[int] = set()
    for i, symbol in enumerate(symbols):
        qty, price, rate, order_id, utc = quantities[i], fill_prices[i], rates[i], order_ids[i], utc_times[i]
        at = int(stream_index[i])
        fee = 0.0
        if order_id not in fee_assigned:
            fee = float(fees[i])
            fee_assigned.add(order_id)
        pos = positions.get(symbol)
        if pos is None:
            positions[symbol] = _Position(at, [(_open_trade(symbol, utc, price, qty, fee, order_id), at)])
            continue
        if (qty > 0) - (qty < 0) == (1 if pos.pending[0][0].direction == "Long" else -1):
            pos.pending.append((_open_trade(symbol, utc, price, qty, fee, order_id), at))
            continue
        stream = streams[symbol]
        seen = stream[pos.start:at + 1]  # this fill's price included: LEAN updates before matching
        low, high = float(seen.min()), float(seen.max())
        executed = 0.0
        fee_used = False
        abs_qty = abs(qty)
        while pos.pending and abs(executed) < abs_qty:
            tr, entry = pos.pending[0]
            sign = 1 if tr.direction == "Long" else -1
            remaining = abs_qty - abs(executed)
            adverse = low - tr.entry_price if sign > 0 else tr.entry_price - high
            favorable = high - tr.entry_price if sign > 0 else tr.entry_price - low
            drawdown = _max_drawdown(stream[entry + 1:at + 1], tr.entry_price, sign)
            if remaining >= tr.quantity:
                executed -= tr.quantity * sign
                pos.pending.pop(0)
                tr.order_ids.append(order_id)
                tr.exit_time, tr.exit_price = utc, price
                tr.profit_loss = round((price - tr.entry_price) * tr.quantity * sign * rate, 2)
                tr.total_fees += 0.0 if fee_used else fee
                tr.mae = round(adverse * tr.quantity * rate, 2)
                tr.mfe = round(favorable * tr.quantity * rate, 2)
                tr.end_trade_drawdown = round(drawdown * tr.quantity * rate, 2)
                tr.is_win = tr.profit_loss > 0
                closed.append(tr)
            else:
                executed += remaining * -sign
                tr.quantity -= remaining
                part = Trade(
                    symbol, tr.entry_time, tr.entry_price, tr.direction, remaining, utc, price,
                    round((price - tr.entry_price) * remaining * sign * rate, 2),
                    tr.total_fees + (0.0 if fee_used else fee),
                    round(adverse * remaining * rate, 2), round(favorable * remaining * rate, 2),
                    round(drawdown * remaining * rate, 2),
                    order_ids=sorted({*tr.order_ids, order_id}),
                )
                part.is_win = part.profit_loss > 0
                closed.append(part)
                tr.total_fees = 0.0
            fee_used = True
        if abs(executed) == abs_qty and not pos.pending:
            del positions[symbol]
        elif abs(executed) < abs_qty:
            rest = qty - executed
            positions[symbol] = _Position(at, [(_open_trade(symbol, utc, price, rest, 0.0, order_id), at)])
    return closed


def _durations(trades: list[Trade]) -> np.ndarray:
    """Each trade's ``Duration`` in seconds, computed on the whole list (a ``Timestamp`` difference
    per trade costs microseconds)."""
    entry = np.array([t.entry_time.value for t in trades], dtype=np.int64)
    exit_ = np.array([t.exit_time.value for t in trades], dtype=np.int64)
    return total_seconds(exit_ - entry)


def _timespan(seconds: float) -> str:
    """A .NET ``TimeSpan`` as Json.NET writes it: ``[-][d.]hh:mm:ss[.fffffff]``."""
    ticks = round(seconds * 10_000_000)
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rem = divmod(ticks, 864_000_000_000)
    hours, rem = divmod(rem, 36_000_000_000)
    minutes, rem = divmod(rem, 600_000_000)
    secs, frac = divmod(rem, 10_000_000)
    text = f"{sign}{str(days) + '.' if days else ''}{hours:02d}:{minutes:02d}:{secs:02d}"
    return text + (f".{frac:07d}" if frac else "")


def utc_iso(times, time_zone: str) -> list[str | None]:
    """Times as LEAN's JSON writes a UTC ``DateTime`` (``"2013-10-09T20:00:00Z"``), a column at once.

    Parameters
    ----------
    times : array-like of datetime
        Naive times in ``time_zone`` (a non-existent or ambiguous local time raises) or aware times.
    time_zone : str
        Zone of the naive times.

    Returns
    -------
    list of str or None
        Whole seconds (a fraction is dropped); None for a missing time.
    """
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        index = index.tz_localize(time_zone)
    text = np.datetime_as_string(index.tz_convert("UTC").tz_localize(None).to_numpy(), unit="s")
    return [None if t == "NaT" else t + "Z" for t in text.tolist()]


def trade_statistics(trades: list[Trade]) -> dict:
    """LEAN's ``TradeStatistics`` as its JSON (camelCase; decimals as 4-decimal strings)."""
    n = len(trades)
    pnl = np.array([t.profit_loss for t in trades], dtype=float)
    durations = _durations(trades)
    wins = pnl > 0
    total = float(pnl.sum()) if n else 0.0
    mae = np.array([t.mae for t in trades], dtype=float)
    mfe = np.array([t.mfe for t in trades], dtype=float)

    # Max consecutive wins / losses and the drawdown bookkeeping run trade by trade, as in LEAN.
    max_w = max_l = cw = cl = 0
    peak = 0.0
    peak_with_mfe = 0.0
    running = 0.0
    intra_dd = 0.0
    closed_dd = 0.0
    last_peak_time = trades[0].entry_time if n else None
    in_dd = False
    max_dd_duration = 0.0
    for tr in trades:
        if running + tr.mfe > peak_with_mfe:
            peak_with_mfe = running + tr.mfe
        if running + tr.mae - peak_with_mfe < intra_dd:
            intra_dd = running + tr.mae - peak_with_mfe
        running += tr.profit_loss
        if tr.profit_loss > 0:
            cw, cl = cw + 1, 0
            max_w = max(max_w, cw)
            if running > peak:
                peak = running
                if in_dd:
                    max_dd_duration = max(max_dd_duration, (tr.exit_time - last_peak_time).total_seconds())
                last_peak_time = tr.exit_time
                in_dd = False
        else:
            cw, cl = 0, cl + 1
            max_l = max(max_l, cl)
            closed_dd = min(closed_dd, running - peak)
            in_dd = True

    n_win, n_loss = int(wins.sum()), int(n - wins.sum())
    avg_profit = float(pnl[wins].mean()) if n_win else 0.0
    avg_loss = float(pnl[~wins].mean()) if n_loss else 0.0
    avg_pnl = float(pnl.mean()) if n else 0.0
    sd = float(np.std(pnl, ddof=1)) if n > 1 else 0.0
    dsd = float(np.std(pnl[~wins], ddof=1)) if n_loss > 1 else 0.0
    total_profit = float(pnl[wins].sum())
    total_loss = float(pnl[~wins].sum())
    avg_mfe = float(mfe.mean()) if n else 0.0

    def median_span(x: np.ndarray) -> str:
        return _timespan(float(np.median(x))) if len(x) else _timespan(0)

    def mean_span(x: np.ndarray) -> str:
        return _timespan(float(x.mean())) if len(x) else _timespan(0)

    return {
        "startDateTime": utc_iso([min(t.entry_time for t in trades)], "UTC")[0] if n else None,
        "endDateTime": utc_iso([max(t.exit_time for t in trades)], "UTC")[0] if n else None,
        "totalNumberOfTrades": n,
        "numberOfWinningTrades": n_win,
        "numberOfLosingTrades": n_loss,
        "totalProfitLoss": json_decimal(total),
        "totalProfit": json_decimal(total_profit),
        "totalLoss": json_decimal(total_loss),
        "largestProfit": json_decimal(max(0.0, float(pnl.max())) if n else 0.0),
        "largestLoss": json_decimal(min(0.0, float(pnl.min())) if n else 0.0),
        "averageProfitLoss": json_decimal(avg_pnl),
        "averageProfit": json_decimal(avg_profit),
        "averageLoss": json_decimal(avg_loss),
        "averageTradeDuration": mean_span(durations),
        "averageWinningTradeDuration": mean_span(durations[wins]),
        "averageLosingTradeDuration": mean_span(durations[~wins]),
        "medianTradeDuration": median_span(durations),
        "medianWinningTradeDuration": median_span(durations[wins]),
        "medianLosingTradeDuration": median_span(durations[~wins]),
        "maxConsecutiveWinningTrades": max_w,
        "maxConsecutiveLosingTrades": max_l,
        "profitLossRatio": json_decimal(avg_profit / abs(avg_loss) if avg_loss else 0.0),
        "winLossRatio": json_decimal(0.0 if n == 0 else (n_win / n_loss if n_loss else 10.0)),
        "winRate": json_decimal(n_win / n if n else 0.0),
        "lossRate": json_decimal(1 - n_win / n if n else 0.0),
        "averageMAE": json_decimal(float(mae.mean()) if n else 0.0),
        "averageMFE": json_decimal(avg_mfe),
        "largestMAE": json_decimal(min(0.0, float(mae.min())) if n else 0.0),
        "largestMFE": json_decimal(max(0.0, float(mfe.max())) if n else 0.0),
        "maximumClosedTradeDrawdown": json_decimal(closed_dd),
        "maximumIntraTradeDrawdown": json_decimal(intra_dd),
        "profitLossStandardDeviation": json_decimal(sd),
        "profitLossDownsideDeviation": json_decimal(dsd),
        "profitFactor": json_decimal(0.0 if total_profit == 0 else (total_profit / abs(total_loss) if total_loss < 0 else 10.0)),
        "sharpeRatio": json_decimal(avg_pnl / sd if sd > 0 else 0.0),
        "sortinoRatio": json_decimal(avg_pnl / dsd if dsd > 0 else 0.0),
        "profitToMaxDrawdownRatio": json_decimal(0.0 if total == 0 else (total / abs(closed_dd) if closed_dd < 0 else 10.0)),
        "maximumEndTradeDrawdown": json_decimal(max([0.0] + [t.end_trade_drawdown for t in trades])),
        "averageEndTradeDrawdown": json_decimal(avg_pnl - avg_mfe),
        "maximumDrawdownDuration": _timespan(max_dd_duration),
        "totalFees": json_decimal(sum(t.total_fees for t in trades)),
    }


def symbol_json(symbol: str, symbol_ids: dict[str, str]) -> dict:
    """A ``Symbol`` as LEAN's ``SymbolJsonConverter`` writes it."""
    return {"value": symbol, "id": symbol_ids.get(symbol, symbol), "permtick": symbol}


def closed_trades_json(trades: list[Trade], symbol_ids: dict[str, str]) -> list[dict]:
    """``closedTrades``: each ``Trade`` as LEAN serializes it.

    LEAN's trade id is a random GUID; here it is the trade's 1-based position so that results
    are reproducible.
    """
    entry_times = utc_iso([t.entry_time for t in trades], "UTC")
    exit_times = utc_iso([t.exit_time for t in trades], "UTC")
    durations = [_timespan(d) for d in _durations(trades).tolist()]
    return [{
        "id": str(number),
        "symbols": [symbol_json(trade.symbol, symbol_ids)],
        "entryTime": entry_time,
        "entryPrice": trade.entry_price,
        "direction": 0 if trade.direction == "Long" else 1,
        "quantity": trade.quantity,
        "exitTime": exit_time,
        "exitPrice": trade.exit_price,
        "profitLoss": trade.profit_loss,
        "totalFees": trade.total_fees,
        "mae": trade.mae,
        "mfe": trade.mfe,
        "duration": duration,
        "endTradeDrawdown": trade.end_trade_drawdown,
        "isWin": trade.is_win,
        "orderIds": sorted(trade.order_ids),
    } for number, (trade, entry_time, exit_time, duration) in enumerate(
        zip(trades, entry_times, exit_times, durations, strict=True), 1)]
