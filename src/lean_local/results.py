"""LEAN's backtest result files (``BacktestingResultHandler``), written from a :class:`BacktestRecord`.

Files in the output folder: ``<id>.json`` (the full result), ``<id>-summary.json``,
``<id>-order-events.json``, ``<id>-log.txt`` and ``log.txt``. The id is ``1`` followed by nine
digits taken from a SHA-256 of the algorithm name, its sorted parameters and its start time, so the
same backtest always writes to the same names, and the same record always gives the same bytes.
Every file is written to a temporary name and renamed into place.

Chart times are unix seconds in UTC (the record's naive times are in ``record.time_zone``).
Known differences from LEAN: equity candles have open = high = low = close (LEAN aggregates the
portfolio value between samples), order events hold fills only (LEAN also writes submission
events), and ``rollingWindow`` is empty.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.json_text import Column, Records, dump_indented, json_floats, json_ints, json_strings
from lean_local.statistics import (
    BacktestRecord,
    analyze,
    asof_values,
    compute_total_performance,
    currency_symbol,
    utc_iso,
)

# LEAN's enums as serialized numbers.
SERIES_LINE, SERIES_CANDLE, SERIES_BAR = 0, 2, 3
ORDER_TYPES = {"Market": 0, "Limit": 1, "StopMarket": 2, "StopLimit": 3, "MarketOnOpen": 4,
               "MarketOnClose": 5, "OptionExercise": 6, "LimitIfTouched": 7, "TrailingStop": 11}
ORDER_STATUS = {"New": 0, "Submitted": 1, "PartiallyFilled": 2, "Filled": 3, "Canceled": 5, "None": 6,
                "Invalid": 7, "CancelPending": 8, "UpdateSubmitted": 9}
ORDER_DIRECTION = {"Buy": 0, "Sell": 1, "Hold": 2}


def make_backtest_id(record: BacktestRecord) -> str:
    """``1`` followed by 9 digits, deterministic in (name, parameters, start)."""
    key = json.dumps([record.algorithm_name, sorted(record.parameters.items()), str(record.start)])
    digest = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return f"1{digest % 1_000_000_000:09d}"


def _unix(times, tz: str) -> np.ndarray:
    idx = pd.DatetimeIndex(times)
    if idx.tz is None:
        idx = idx.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return (idx.tz_convert("UTC").asi8 // 10**9).astype(np.int64)


def _series(name: str, unit: str, index: int, kind: int, values: list) -> dict:
    out = {"name": name, "unit": unit, "index": index, "seriesType": kind, "values": values}
    if kind != SERIES_CANDLE:
        out.update({"color": "", "scatterMarkerSymbol": "none"})
    return out


def _points(times, values, tz: str) -> list:
    return [[t, float(v)] for t, v in zip(_unix(times, tz).tolist(), values, strict=True)]


def build_charts(record: BacktestRecord) -> dict:
    """LEAN's default charts plus the user's plots, in LEAN's chart JSON shape."""
    res = analyze(record)
    s = res.samples
    tz = record.time_zone
    cur = currency_symbol(record.account_currency)
    eq_t = _unix(s.equity.index, tz)
    candles = [[t, v, v, v, v] for t, v in zip(eq_t.tolist(), s.equity.to_numpy(dtype=float).tolist(), strict=True)]
    charts: dict = {
        "Strategy Equity": {"name": "Strategy Equity", "chartType": 0, "series": {
            "Equity": _series("Equity", cur, 0, SERIES_CANDLE, candles),
            "Return": _series("Return", "%", 1, SERIES_BAR, _points(s.times, s.performance, tz)),
        }},
        "Benchmark": {"name": "Benchmark", "chartType": 0, "series": {
            "Benchmark": _series("Benchmark", "$", 0, SERIES_LINE, _points(s.times, s.benchmark, tz)),
        }},
    }
    peak = np.maximum.accumulate(np.r_[record.start_equity, s.value])[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.where(peak != 0, np.round((s.value / peak - 1) * 100, 2), 0.0)
    charts["Drawdown"] = {"name": "Drawdown", "chartType": 0, "series": {
        "Equity Drawdown": _series("Equity Drawdown", "%", 0, SERIES_LINE, _points(s.times, drawdown, tz)),
    }}
    charts["Portfolio Turnover"] = {"name": "Portfolio Turnover", "chartType": 0, "series": {
        "Portfolio Turnover": _series("Portfolio Turnover", "%", 0, SERIES_LINE,
                                      _points(s.turnover.index, s.turnover.to_numpy(), tz)),
    }}
    exposure = {}
    for side, series in (("Long", record.holdings_value_long), ("Short", record.holdings_value_short)):
        if series is None:
            continue
        held = asof_values(series.sort_index(), s.times, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(s.value != 0, np.round(held / s.value, 4), 0.0)
        name = f"Equity - {side} Ratio"
        exposure[name] = _series(name, "", 0, SERIES_LINE, _points(s.times, ratio, tz))
    if exposure:
        charts["Exposure"] = {"name": "Exposure", "chartType": 0, "series": exposure}
    for chart_name, series_map in sorted(record.charts.items()):
        chart = charts.setdefault(chart_name, {"name": chart_name, "chartType": 0, "series": {}})
        for i, (series_name, points) in enumerate(sorted(series_map.items())):
            times = [p[0] for p in points]
            values = [p[1] for p in points]
            chart["series"][series_name] = _series(series_name, "$", i, SERIES_LINE,
                                                   _points(times, values, tz) if points else [])
    return charts


def _enum(value, table: dict) -> int:
    return int(value) if not isinstance(value, str) else table[value]


#: One order as LEAN's ``orders`` object writes it (the columns filled per order).
_ORDER = {
    "type": Column("type"), "id": Column("id"), "contingentId": 0, "brokerId": [],
    "symbol": {"value": Column("symbol"), "id": Column("symbol_id"), "permtick": Column("symbol")},
    "price": Column("price"), "priceCurrency": Column("currency"), "time": Column("time"),
    "createdTime": Column("time"), "lastFillTime": Column("last_fill"), "quantity": Column("quantity"),
    "status": Column("status"), "tag": Column("tag"), "direction": Column("direction"), "value": Column("value"),
    "orderFee": {"value": {"amount": Column("fee"), "currency": Column("currency")}}, "isMarketable": False,
}

#: One fill as LEAN's ``<id>-order-events.json`` writes it.
_FILL_EVENT = {
    "algorithmId": Column("algorithm"), "orderId": Column("order"), "orderEventId": Column("event"),
    "symbol": Column("symbol_id"), "symbolValue": Column("symbol"), "symbolPermtick": Column("symbol"),
    "utcTime": Column("time"), "status": "filled", "fillPrice": Column("price"),
    "fillPriceCurrency": Column("currency"), "fillQuantity": Column("quantity"), "direction": Column("direction"),
    "isAssignment": False, "quantity": Column("quantity"), "orderFeeAmount": Column("fee"),
    "orderFeeCurrency": Column("currency"), "id": Column("id"),
}


def build_orders(record: BacktestRecord) -> Records:
    """LEAN's ``orders`` object: order id -> order JSON."""
    if record.orders is None or len(record.orders) == 0:
        return Records(_ORDER, {}, [])
    orders = record.orders.sort_values("id")
    tz = record.time_zone
    created = utc_iso(orders["time"], tz)
    ids = json_ints(orders["id"].tolist())
    symbols = [str(symbol) for symbol in orders["symbol"].tolist()]
    columns = {
        "type": [repr(_enum(kind, ORDER_TYPES)) for kind in orders["type"].tolist()],
        "id": ids,
        "symbol": json_strings(symbols),
        "symbol_id": json_strings([record.symbol_ids.get(symbol, symbol) for symbol in symbols]),
        "price": json_floats(orders["price"].to_numpy(dtype=float)),
        "currency": json_strings([record.account_currency]) * len(orders),
        "time": json_strings(created),
        "last_fill": json_strings(utc_iso(orders["last_fill_time"], tz) if "last_fill_time" in orders
                                  else [None] * len(orders)),
        "quantity": json_floats(orders["quantity"].to_numpy(dtype=float)),
        "status": [repr(_enum(status, ORDER_STATUS)) for status in orders["status"].tolist()],
        "tag": json_strings([str(tag or "") for tag in orders["tag"].tolist()]),
        "direction": [repr(_enum(direction, ORDER_DIRECTION)) for direction in orders["direction"].tolist()],
        "value": json_floats(orders["value"].to_numpy(dtype=float)),
        "fee": json_floats(orders["fee"].to_numpy(dtype=float)),
    }
    return Records(_ORDER, columns, ids)


def build_order_events(record: BacktestRecord, algorithm_id: str) -> Records:
    """One event per fill, as LEAN's ``<id>-order-events.json`` writes a fill."""
    if record.fills is None or len(record.fills) == 0:
        return Records(_FILL_EVENT, {})
    fills = record.fills.sort_values("time", kind="stable")
    order_ids = [int(oid) for oid in fills["order_id"].tolist()]
    symbols = [str(symbol) for symbol in fills["symbol"].tolist()]
    quantities = fills["quantity"].to_numpy(dtype=float)
    counter: dict[int, int] = {}
    events = []
    for oid in order_ids:
        counter[oid] = counter.get(oid, 0) + 1
        events.append(counter[oid])
    columns = {
        "algorithm": json_strings([algorithm_id]) * len(fills),
        "order": json_ints(order_ids),
        "event": json_ints(events),
        "symbol_id": json_strings([record.symbol_ids.get(symbol, symbol) for symbol in symbols]),
        "symbol": json_strings(symbols),
        "time": json_floats(_unix(fills["time"], record.time_zone)),
        "price": json_floats(fills["fill_price"].to_numpy(dtype=float)),
        "currency": json_strings([record.account_currency]) * len(fills),
        "quantity": json_floats(quantities),
        "direction": ['"buy"' if qty > 0 else '"sell"' for qty in quantities.tolist()],
        "fee": json_floats(fills["fee"].to_numpy(dtype=float)),
        "id": json_strings([f"{algorithm_id}-{oid}-{n}" for oid, n in zip(order_ids, events, strict=True)]),
    }
    return Records(_FILL_EVENT, columns)


def _n2(value: float) -> str:
    """.NET ``ToString("N2")``: thousands separators, 2 decimals."""
    return f"{value:,.2f}"


def runtime_statistics(record: BacktestRecord, statistics: dict[str, str]) -> dict[str, str]:
    """LEAN's runtime statistics at the end of the backtest (sorted by name, as LEAN's dictionary)."""
    cur = currency_symbol(record.account_currency)
    end_value = float(record.equity.iloc[-1]) if len(record.equity) else record.start_equity
    long_value = float(record.holdings_value_long.iloc[-1]) if record.holdings_value_long is not None and len(
        record.holdings_value_long) else 0.0
    short_value = float(record.holdings_value_short.iloc[-1]) if record.holdings_value_short is not None and len(
        record.holdings_value_short) else 0.0
    volume = float(np.abs(record.fills["fill_value"].to_numpy(dtype=float)).sum()) if len(record.fills) else 0.0
    realized = float(sum(record.profit_loss.values()))
    net_profit = end_value - record.start_equity
    ret = net_profit / record.start_equity if record.start_equity > 0 else 0.0
    stats = {
        "Equity": cur + _n2(end_value),
        "Fees": f"-{cur}{_n2(record.total_fees)}",
        "Holdings": cur + _n2(long_value + short_value),
        "Net Profit": cur + _n2(realized),
        "Probabilistic Sharpe Ratio": statistics.get("Probabilistic Sharpe Ratio", "0%"),
        "Return": f"{ret * 100:.2f} %",
        "Unrealized": cur + _n2(net_profit - realized),
        "Volume": cur + _n2(volume),
    }
    return dict(sorted(stats.items()))


def algorithm_state(record: BacktestRecord) -> dict[str, str]:
    """LEAN's ``state`` block."""
    error = record.error or ""
    return {
        "StartTime": pd.Timestamp(record.start).strftime("%Y-%m-%d %H:%M:%S"),
        "EndTime": pd.Timestamp(record.end).strftime("%Y-%m-%d %H:%M:%S"),
        "RuntimeError": error.split("\n", 1)[0] if error else "",
        "StackTrace": error,
        "LogCount": str(len(record.logs)),
        "OrderCount": str(0 if record.orders is None else len(record.orders)),
        "InsightCount": "0",
        "Name": record.algorithm_name,
        "Status": "RuntimeError" if error and record.state == "Completed" else record.state,
    }


def algorithm_configuration(record: BacktestRecord) -> dict:
    """LEAN's ``algorithmConfiguration`` block."""
    return {
        "name": record.algorithm_name,
        "tags": [],
        "accountCurrency": record.account_currency,
        "brokerage": 0,
        "accountType": 0,
        "parameters": dict(sorted(record.parameters.items())),
        "outOfSampleMaxEndDate": None,
        "outOfSampleDays": 0,
        "startDate": pd.Timestamp(record.start).strftime("%Y-%m-%d %H:%M:%S"),
        "endDate": pd.Timestamp(record.end_date or record.end).strftime("%Y-%m-%d %H:%M:%S"),
        "tradingDaysPerYear": record.trading_days_per_year,
        "dataFolder": record.data_folder,
    }


def write_results(
    record: BacktestRecord,
    statistics: dict[str, str],
    total_performance: dict | None,
    output_dir: str | os.PathLike[str],
    backtest_id: str | None = None,
) -> Path:
    """Write LEAN's result files for ``record`` into ``output_dir``.

    Parameters
    ----------
    record : BacktestRecord
        The finished backtest.
    statistics : dict[str, str]
        From :func:`lean_local.statistics.compute_statistics`.
    total_performance : dict, optional
        From :func:`lean_local.statistics.compute_total_performance` (computed when None).
    output_dir : path
        Created if missing.
    backtest_id : str, optional
        Overrides the deterministic id (:func:`make_backtest_id`).

    Returns
    -------
    Path
        The path of ``<id>.json``.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    bid = backtest_id or make_backtest_id(record)
    total = total_performance if total_performance is not None else compute_total_performance(record)
    charts = build_charts(record)
    runtime = runtime_statistics(record, statistics)
    state = algorithm_state(record)
    config = algorithm_configuration(record)
    pl_items = sorted(record.profit_loss.items())
    profit_loss = dict(zip(utc_iso([t for t, _ in pl_items], record.time_zone), (float(v) for _, v in pl_items),
                           strict=True))
    result = {
        "rollingWindow": {},
        "totalPerformance": total,
        "charts": charts,
        "orders": build_orders(record),
        "profitLoss": profit_loss,
        "statistics": statistics,
        "runtimeStatistics": runtime,
        "state": state,
        "algorithmConfiguration": config,
    }
    summary = {
        "charts": {"Strategy Equity": charts["Strategy Equity"]},
        "statistics": statistics,
        "runtimeStatistics": runtime,
        "state": state,
        "algorithmConfiguration": config,
        "totalPerformance": {
            "tradeStatistics": total["tradeStatistics"],
            "portfolioStatistics": total["portfolioStatistics"],
        },
    }
    logs = "".join(line + "\n" for line in record.logs).encode("utf-8")
    path = out / f"{bid}.json"
    write_atomic(path, dump_indented(result))
    write_atomic(out / f"{bid}-summary.json", dump_indented(summary))
    write_atomic(out / f"{bid}-order-events.json", dump_indented(build_order_events(record, bid)))
    write_atomic(out / f"{bid}-log.txt", logs)
    write_atomic(out / "log.txt", logs)
    return path


def format_statistics_table(statistics: dict[str, str]) -> str:
    """The statistics as the ``lean`` CLI prints them: a table of two name/value column pairs."""
    items = list(statistics.items())
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:]
    rows = [(*left[i], *(right[i] if i < len(right) else ("", ""))) for i in range(half)]
    widths = [max((len(r[c]) for r in rows), default=0) for c in range(4)]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [border]
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]), r[3].rjust(widths[3])]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(border)
    return "\n".join(lines)
