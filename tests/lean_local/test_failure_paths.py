"""An exception anywhere in a run still writes the partial results, marked failed, with the
traceback starting in ``main.py`` and no second exception on the way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lean_local.backtest import run_backtest
from lean_local.cli import main
from lean_local.engine.runner import AlgorithmRuntimeError
from tests import fixtures

HEADER = '''
from AlgorithmImports import *


class Failing(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
'''

# body appended to HEADER, the statement that raises (its line is checked), orders placed before
CASES = {
    "initialize before the first subscription": (
        '        raise ValueError("before any subscription")\n'
        '        self.add_equity("AAA", Resolution.DAILY)\n',
        'raise ValueError("before any subscription")', 0),
    "initialize after the first subscription": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '        raise ValueError("after a subscription")\n',
        'raise ValueError("after a subscription")', 0),
    "a runtime member initialize calls": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '        self.set_holdings("BBB", 1)\n',
        'self.set_holdings("BBB", 1)', 0),
    "on_data": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '\n'
        '    def on_data(self, data):\n'
        '        if self.time.day == 7:\n'
        '            raise ValueError("in on_data")\n'
        '        if not self.portfolio.invested:\n'
        '            self.set_holdings("AAA", 0.5)\n',
        'raise ValueError("in on_data")', 1),
    "a scheduled event": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '        self.schedule.on(self.date_rules.every_day("AAA"), self.time_rules.at(12, 0), self.noon)\n'
        '\n'
        '    def noon(self):\n'
        '        if self.time.day == 8:\n'
        '            raise ValueError("in a scheduled event")\n',
        'raise ValueError("in a scheduled event")', 0),
    "on_order_event": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '\n'
        '    def on_data(self, data):\n'
        '        if not self.portfolio.invested:\n'
        '            self.set_holdings("AAA", 0.5)\n'
        '\n'
        '    def on_order_event(self, order_event):\n'
        '        if order_event.status == OrderStatus.FILLED:\n'
        '            raise ValueError("in on_order_event")\n',
        'raise ValueError("in on_order_event")', 1),
    "on_end_of_algorithm": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '\n'
        '    def on_end_of_algorithm(self):\n'
        '        raise ValueError("in on_end_of_algorithm")\n',
        'raise ValueError("in on_end_of_algorithm")', 0),
    "plotting a non-finite value (LEAN's SafeDecimalCast)": (
        '        self.add_equity("AAA", Resolution.DAILY)\n'
        '\n'
        '    def on_data(self, data):\n'
        '        self.plot("Signals", "ratio", float("nan"))\n',
        'self.plot("Signals", "ratio", float("nan"))', 0),
}


def _folder(root: Path) -> Path:
    folder = fixtures.data_folder(root / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]
    fixtures.write_equity(folder, "AAA", fixtures.bars(days, [10, 11, 12, 13, 14, 15, 16]))
    return folder


def _result(output: Path) -> dict:
    [path] = [p for p in output.glob("1*.json") if "-" not in p.stem]
    return json.loads(path.read_text())


def _trace(stack_trace: str) -> list[str]:
    """The traceback's lines after its header (``record.error`` is the message, then the traceback)."""
    return stack_trace.split("Traceback (most recent call last):\n", 1)[1].splitlines()


@pytest.mark.parametrize("case", list(CASES))
def test_exception_writes_partial_results_marked_failed(tmp_path, case):
    body, statement, orders = CASES[case]
    source = HEADER + body
    line = next(i for i, text in enumerate(source.splitlines(), 1) if statement in text)
    project = fixtures.write_workspace(tmp_path, _folder(tmp_path), source)
    output = tmp_path / "out"
    with pytest.raises(AlgorithmRuntimeError) as raised:
        run_backtest(project, output_dir=output, progress=False, quiet=True)
    message = str(raised.value)
    assert f'main.py", line {line}' in message
    assert "During handling of the above exception" not in message
    result = _result(output)
    state = result["state"]
    assert state["Status"] == "RuntimeError"
    # the traceback starts in the algorithm's file, not in the runtime's loop
    first_frame = _trace(state["StackTrace"])[0]
    assert first_frame.startswith('  File "') and first_frame.split('"')[1].endswith("main.py"), first_frame
    assert len(result["orders"]) == orders
    backtest_id = next(output.glob("1*-log.txt")).name[:10]
    for suffix in ("-summary.json", "-order-events.json", "-log.txt"):
        assert (output / f"{backtest_id}{suffix}").exists()
    assert "Runtime Error" in (output / "log.txt").read_text()


def test_command_prints_the_traceback_and_exits_non_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    body, _, _ = CASES["initialize after the first subscription"]
    project = fixtures.write_workspace(tmp_path, _folder(tmp_path), HEADER + body)
    assert main(["backtest", str(project), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert 'main.py", line 10, in initialize' in err and "During handling" not in err
    assert _result(tmp_path / "out")["state"]["Status"] == "RuntimeError"


def test_plotting_nan_raises_leans_message(tmp_path):
    body, _, _ = CASES["plotting a non-finite value (LEAN's SafeDecimalCast)"]
    project = fixtures.write_workspace(tmp_path, _folder(tmp_path), HEADER + body)
    with pytest.raises(AlgorithmRuntimeError):
        run_backtest(project, output_dir=tmp_path / "out", progress=False, quiet=True)
    assert _result(tmp_path / "out")["state"]["RuntimeError"].startswith(
        "It is not possible to cast a non-finite floating-point value (NaN) as decimal. "
        "Please review math operations and verify the result is valid.")


def test_failure_while_writing_results_still_writes_them_marked_failed(tmp_path, monkeypatch):
    """A writer that fails on the run's orders: the results are written again without them."""
    from lean_local import results

    real = results.build_orders

    def build_orders(record):
        if len(record.orders):
            raise OSError("cannot serialize the orders")
        return real(record)

    monkeypatch.setattr(results, "build_orders", build_orders)
    body, _, _ = CASES["on_order_event"]
    source = HEADER + body.replace('raise ValueError("in on_order_event")', "pass")
    project = fixtures.write_workspace(tmp_path, _folder(tmp_path), source)
    output = tmp_path / "out"
    with pytest.raises(AlgorithmRuntimeError) as raised:
        run_backtest(project, output_dir=output, progress=False, quiet=True)
    assert "cannot serialize the orders" in str(raised.value) and "During handling" not in str(raised.value)
    result = _result(output)
    assert result["orders"] == {}
    state = result["state"]
    assert state["Status"] == "RuntimeError"
    assert "the result files could not be written: cannot serialize the orders" in state["RuntimeError"]
