"""LEAN's result files: layout, determinism, chart and order JSON, statistics table."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from lean_local import results
from lean_local.statistics import BacktestRecord, compute_statistics, compute_total_performance


def _record(**kw) -> BacktestRecord:
    idx = pd.DatetimeIndex(["2024-01-05 16:00", "2024-01-08 16:00", "2024-01-09 16:00"])
    fill_time = idx[0]
    base = dict(
        algorithm_name="MeanReversion",
        parameters={"b": "2", "a": "1"},
        start=datetime(2024, 1, 5),
        end=idx[-1].to_pydatetime(),
        start_equity=100_000.0,
        equity=pd.Series([100_000.0, 101_000.0, 100_500.0], index=idx),
        benchmark=pd.Series([400.0, 404.0, 402.0], index=idx),
        risk_free_rate=pd.Series([0.05], index=pd.DatetimeIndex(["2023-07-27"])),
        orders=pd.DataFrame([dict(id=1, symbol="SPY", type="Market", status="Filled", direction="Buy",
                                  quantity=100, price=400.0, time=fill_time, last_fill_time=fill_time,
                                  value=40_000.0, fee=1.0, tag="entry")]),
        fills=pd.DataFrame([dict(time=fill_time, order_id=1, symbol="SPY", quantity=100, fill_price=400.0,
                                 fill_value=40_000.0, fee=1.0, conversion_rate=1.0, dollar_volume=3e10,
                                 is_long_before=False, realized_pnl=0.0)]),
        profit_loss={},
        total_fees=1.0,
        charts={"Signals": {"z": [(idx[0], 1.5), (idx[1], -0.5)]}},
        holdings_value_long=pd.Series([40_000.0, 40_400.0, 40_200.0], index=idx),
        holdings_value_short=pd.Series([0.0, 0.0, 0.0], index=idx),
        logs=["2024-01-05 16:00:00 hello"],
    )
    base.update(kw)
    return BacktestRecord(**base)


def _write(record, folder):
    stats = compute_statistics(record)
    return results.write_results(record, stats, compute_total_performance(record), folder)


def test_files_layout_and_keys(tmp_path):
    record = _record()
    path = _write(record, tmp_path)
    bid = path.stem
    assert len(bid) == 10 and bid[0] == "1" and bid.isdigit()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{bid}.json", f"{bid}-summary.json", f"{bid}-order-events.json", f"{bid}-log.txt", "log.txt"]
    )
    data = json.loads(path.read_text())
    assert set(data) == {"rollingWindow", "totalPerformance", "charts", "orders", "profitLoss", "statistics",
                         "runtimeStatistics", "state", "algorithmConfiguration"}
    assert data["statistics"]["Total Orders"] == "1"
    assert data["state"]["Status"] == "Completed" and data["state"]["Name"] == "MeanReversion"
    assert data["algorithmConfiguration"]["parameters"] == {"a": "1", "b": "2"}
    assert set(data["totalPerformance"]) == {"tradeStatistics", "portfolioStatistics", "closedTrades"}
    assert data["runtimeStatistics"]["Equity"] == "$100,500.00"
    assert data["runtimeStatistics"]["Fees"] == "-$1.00"
    assert data["runtimeStatistics"]["Return"] == "0.50 %"
    assert (tmp_path / "log.txt").read_text() == "2024-01-05 16:00:00 hello\n"
    summary = json.loads((tmp_path / f"{bid}-summary.json").read_text())
    assert list(summary["charts"]) == ["Strategy Equity"]


def test_charts_and_orders_json(tmp_path):
    data = json.loads(_write(_record(), tmp_path).read_text())
    charts = data["charts"]
    equity = charts["Strategy Equity"]["series"]["Equity"]
    assert equity["seriesType"] == 2 and equity["unit"] == "$"
    # first point: 2024-01-05 00:00 New York = 05:00 UTC
    assert equity["values"][0] == [int(pd.Timestamp("2024-01-05 05:00", tz="UTC").timestamp())] + [100_000.0] * 4
    ret = charts["Strategy Equity"]["series"]["Return"]["values"]
    assert [v for _, v in ret] == [0.0, 0.0, 0.0, 0.0, 1.0, -0.4950495050]
    assert charts["Benchmark"]["series"]["Benchmark"]["values"][-1][1] == 402.0
    assert charts["Exposure"]["series"]["Equity - Long Ratio"]["values"][-1][1] == 0.4
    assert charts["Drawdown"]["series"]["Equity Drawdown"]["values"][-1][1] == -0.5
    assert [v for _, v in charts["Signals"]["series"]["z"]["values"]] == [1.5, -0.5]
    order = data["orders"]["1"]
    assert order["type"] == 0 and order["status"] == 3 and order["direction"] == 0
    assert order["symbol"] == {"value": "SPY", "id": "SPY", "permtick": "SPY"}
    assert order["time"] == "2024-01-05T21:00:00Z" and order["tag"] == "entry"
    events = json.loads(next(tmp_path.glob("*-order-events.json")).read_text())
    assert events[0]["fillQuantity"] == 100 and events[0]["direction"] == "buy"


def test_same_record_same_bytes_and_id_depends_on_inputs(tmp_path):
    a = _write(_record(), tmp_path / "a")
    b = _write(_record(), tmp_path / "b")
    assert a.name == b.name and a.read_bytes() == b.read_bytes()
    other = results.make_backtest_id(_record(parameters={"a": "9"}))
    assert other != a.stem
    assert not any(p.name.startswith(".") for p in (tmp_path / "a").iterdir())


def test_runtime_error_state(tmp_path):
    data = json.loads(_write(_record(state="RuntimeError", error="ZeroDivisionError: x\n  at line 3"),
                             tmp_path).read_text())
    assert data["state"]["Status"] == "RuntimeError"
    assert data["state"]["RuntimeError"] == "ZeroDivisionError: x"


def test_format_statistics_table():
    table = results.format_statistics_table({"Total Orders": "1", "Sharpe Ratio": "17.304", "Drawdown": "0.800%"})
    lines = table.splitlines()
    assert lines[0] == lines[-1] and lines[0].startswith("+")
    assert lines[1] == "| Total Orders |      1 | Drawdown | 0.800% |"
    assert lines[2] == "| Sharpe Ratio | 17.304 |          |        |"


def _indent2(obj) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_result_files_of_several_orders(tmp_path):
    idx = pd.DatetimeIndex(["2024-01-05 16:00", "2024-01-08 16:00", "2024-01-09 16:00"])
    orders = pd.DataFrame([
        dict(id=2, symbol="SPY", type="Limit", status="Canceled", direction="Sell", quantity=-50, price=0.0,
             time=idx[1], last_fill_time=None, value=0.0, fee=0.0, tag=None),
        dict(id=1, symbol="SPY", type="Market", status="Filled", direction="Buy", quantity=100, price=400.0,
             time=idx[0], last_fill_time=idx[1], value=40_000.0, fee=1.0, tag='say "é\\"'),
    ])
    fills = pd.DataFrame([dict(time=t, order_id=1, symbol="SPY", quantity=50, fill_price=400.0, fill_value=20_000.0,
                               fee=fee, conversion_rate=1.0, dollar_volume=3e10, is_long_before=False,
                               realized_pnl=0.0) for t, fee in ((idx[1], 0.0), (idx[0], 1.0))])
    path = _write(_record(orders=orders, fills=fills, account_currency="EUR"), tmp_path)
    for file in tmp_path.glob("*.json"):
        assert file.read_bytes() == _indent2(json.loads(file.read_text(encoding="utf-8")))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data["orders"]) == ["1", "2"]
    assert data["orders"]["1"]["lastFillTime"] == "2024-01-08T21:00:00Z" and data["orders"]["1"]["tag"] == 'say "é\\"'
    assert data["orders"]["2"]["lastFillTime"] is None and data["orders"]["2"]["tag"] == ""
    assert data["orders"]["2"]["time"] == data["orders"]["2"]["createdTime"] == "2024-01-08T21:00:00Z"
    events = json.loads(next(tmp_path.glob("*-order-events.json")).read_text())
    # events in fill-time order, numbered per order
    assert [(e["orderEventId"], e["utcTime"], e["orderFeeAmount"]) for e in events] == [
        (1, pd.Timestamp("2024-01-05 21:00", tz="UTC").timestamp(), 1.0),
        (2, pd.Timestamp("2024-01-08 21:00", tz="UTC").timestamp(), 0.0),
    ]
    assert data["runtimeStatistics"]["Equity"].startswith("€")
