"""Capacity estimated after the run from the fills, for a record without the engine's running estimate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lean_local.statistics.record import BacktestRecord
from lean_local.statistics.trades import as_nanoseconds, total_seconds

# Capacity (CapacityEstimate / SymbolCapacity, daily-resolution form)

#: ``SymbolCapacity.ResolutionScaleFactor`` for daily bars.
DAILY_VOLUME_SCALE = 0.02
_DAY_NS = 86_400 * 10**9


def _midnight(ns: int) -> int:
    """``Timestamp.normalize`` of a naive time in nanoseconds."""
    return ns - ns % _DAY_NS


def _asof(times: np.ndarray, values: np.ndarray, at: int, default: float) -> float:
    """:func:`asof_values` of one time, on a series already split into nanoseconds and values."""
    pos = int(np.searchsorted(times, at, side="right")) - 1
    value = float(values[pos]) if pos >= 0 else default
    return value if math.isfinite(value) else default


def estimate_capacity(record: BacktestRecord) -> tuple[float, str]:
    """Estimated strategy capacity (account currency, rounded to 1000) and its lowest-capacity symbol.

    Follows ``CapacityEstimate`` on daily data: each fill adds its bar's dollar volume, discounted
    for fast trading (``2 * minutes since the symbol's previous fill / 390`` clipped to [0.2, 1]) and
    scaled by 0.02; snapshots every ``min(max(days - 1, 1), 7)`` days and at the end take the symbol
    with the smallest captured volume, divide its volume per trade by its share of the sale volume
    (or of the portfolio, from ``prices`` when given), and blend 0.33 new / 0.66 previous.
    LEAN also captures the bar after the fill's day and takes two forced snapshots at the end;
    those refinements are not reproduced, so this figure is an approximation of LEAN's.
    """
    fills = record.fills
    if fills is None or len(fills) == 0:
        return 0.0, ""
    f = fills.sort_values("time", kind="stable")
    end_date = pd.Timestamp(record.end_date or record.end)
    span_days = (end_date - pd.Timestamp(record.start)).total_seconds() / 86400.0
    # Times are naive nanoseconds from here on: pandas scalars per fill and per snapshot cost seconds.
    period = pd.Timedelta(days=max(min(span_days - 1, 7), 1)).value
    next_snapshot = pd.Timestamp(record.start).value + period
    sale: dict[str, float] = {}
    market: dict[str, float] = {}
    trades: dict[str, int] = {}
    last_fill: dict[str, int] = {}
    reset: set[str] = set()
    capacity = 0.0
    lowest = ""
    equity_times = as_nanoseconds(record.equity.index)
    equity_values = record.equity.to_numpy(dtype=float)
    holdings_qty: dict[str, float] = {}
    price_columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def price_at(symbol: str, at: int) -> float:
        if symbol not in price_columns:
            column = record.prices[symbol].dropna()
            price_columns[symbol] = (as_nanoseconds(column.index), column.to_numpy(dtype=float))
        return _asof(*price_columns[symbol], at, 0.0)

    def snapshot(at: int) -> None:
        nonlocal capacity, lowest
        if not market:
            return
        tpv = _asof(equity_times, equity_values, at, record.start_equity)
        if tpv == 0:
            return
        symbol = min(market, key=lambda s: market[s] * DAILY_VOLUME_SCALE)
        lowest = symbol
        total_sale = sum(sale.values())
        share_sale = sale[symbol] / total_sale if total_sale else 0.0
        share_holdings = 0.0
        if record.prices is not None and symbol in record.prices:
            share_holdings = abs(holdings_qty.get(symbol, 0.0) * price_at(symbol, at)) / tpv
        scaling = max(share_sale, share_holdings)
        daily = market[symbol] * DAILY_VOLUME_SCALE / max(trades[symbol], 1)
        new = capacity if scaling == 0 else daily / scaling
        capacity = 0.33 * new + 0.66 * capacity if capacity else new
        for s in sale:
            sale[s] = 0.0
            reset.add(s)

    volumes = [float(v or 0.0) for v in f["dollar_volume"].tolist()] if "dollar_volume" in f else [0.0] * len(f)
    for t, s, value, volume, qty in zip(
        as_nanoseconds(f["time"]).tolist(), [str(s) for s in f["symbol"].tolist()], f["fill_value"].tolist(), volumes,
        f["quantity"].tolist(), strict=True,
    ):
        while _midnight(t) >= _midnight(next_snapshot):
            snapshot(next_snapshot)
            next_snapshot += period
        previous = last_fill.get(s, t - _DAY_NS)
        discount = min(1.0, max(0.2, 2.0 * total_seconds(t - previous) / 60.0 / 390.0))
        if s in reset:
            market[s], trades[s] = 0.0, 0
            reset.discard(s)
        sale[s] = sale.get(s, 0.0) + abs(float(value))
        trades[s] = trades.get(s, 0) + 1
        market[s] = market.get(s, 0.0) + volume * discount
        last_fill[s] = t
        holdings_qty[s] = holdings_qty.get(s, 0.0) + float(qty)
    end = pd.Timestamp(record.end).value
    while _midnight(end) >= _midnight(next_snapshot):
        snapshot(next_snapshot)
        next_snapshot += period
    snapshot(end)
    rounded = round(capacity / 1000.0) * 1000.0
    return rounded, record.symbol_ids.get(lowest, lowest)
