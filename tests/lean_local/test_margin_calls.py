"""LEAN's margin calls (``lean_local.engine.margin_calls``): when they are due, what they order, and
that a daily equity step (the market is closed at 16:00) only warns, as LEAN does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.margin_calls import margin_call_clear
from lean_local.engine.runner import run_algorithm
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


def _leveraged(calls: list, leverage: float = 4.0, target: float | None = None):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 8)
            self.aaa = self.add_equity("AAA", Resolution.DAILY, leverage=leverage).symbol

        def on_data(self, data):
            if not self.portfolio.invested:
                self.set_holdings(self.aaa, leverage if target is None else target)

        def on_margin_call_warning(self):
            calls.append(("warning", self.time, self.portfolio.margin_remaining))

        def on_margin_call(self, requests):
            calls.append(("call", self.time, list(requests)))
            return requests

    return Algo


def test_a_daily_equity_step_warns_but_never_liquidates(tmp_path):
    """At 16:00 the equity market is closed: LEAN generates the orders, cannot execute them, warns."""
    root = fixtures.data_folder(tmp_path / "data")
    # bought at Jan 3's open (10) with 4x leverage: a 20% fall takes the margin in use past the
    # portfolio value plus the 10% buffer
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 10, 8, 7.5, 7.5], opens=[10, 10, 8, 7.5, 7.5]))
    calls: list = []
    algo, record, _ = run_algorithm(_leveraged(calls), root)
    assert [kind for kind, *_ in calls] == ["warning"] * len(calls) and calls
    first = calls[0]
    assert str(first[1].date()) == "2020-01-06" and first[2] <= 0
    assert not any("Margin Call" in str(tag) for tag in record.orders.get("tag", []))
    assert algo.portfolio["AAA"].quantity > 0


def test_no_warning_while_the_margin_remaining_is_above_five_percent(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 10, 10.5, 11, 11], opens=[10, 10, 10.5, 11, 11]))
    calls: list = []
    run_algorithm(_leveraged(calls, leverage=4.0, target=1.0), root)  # a quarter of the margin in use
    assert calls == []


def test_forex_margin_call_reduces_the_losing_position(tmp_path):
    """A 24-hour market is open at the daily step: the orders are placed, tagged "Margin Call"."""
    root = fixtures.data_folder(tmp_path / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"]
    fixtures.write_forex(root, "EURUSD", days, [1.10, 1.10, 1.10, 1.04, 1.04, 1.04], spread=0.0)
    calls: list = []

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 9)
            self.eur = self.add_forex("EURUSD", Resolution.DAILY, leverage=20).symbol

        def on_data(self, data):
            if not self.portfolio.invested and not calls:
                self.market_order(self.eur, 1_500_000)

        def on_margin_call(self, requests):
            calls.append((self.time, self.portfolio.total_margin_used, self.portfolio.total_portfolio_value,
                          [(r.symbol, r.quantity, r.tag) for r in requests]))
            return requests

    algo, record, _ = run_algorithm(Algo, root)
    assert len(calls) >= 1
    _, used, total, requests = calls[0]
    ((symbol, quantity, tag),) = requests
    assert str(symbol) == "EURUSD" and tag == "Margin Call"
    # LEAN frees the excess margin (used - portfolio value) out of the position: the sale's margin at
    # 1.04 and 20x leverage is within one unit of that excess
    assert quantity < 0
    assert abs(quantity) * 1.04 / 20 == pytest.approx(used - total, abs=1.04 / 20 + 1)
    assert any("Executed MarginCallOrder: EURUSD" in line for line in record.logs)


def test_minute_data_is_checked_at_most_every_five_minutes(lean_data_folder):
    """LEAN's AlgorithmManager checks margin calls once, then not again for 5 minutes (its
    ``marginCallFrequency``): with minute bars a position held at the margin limit warns every 5th step."""
    warnings: list = []

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 7)
            self.spy = self.add_equity("SPY", Resolution.MINUTE, leverage=4).symbol

        def on_data(self, data):
            if not self.portfolio.invested:
                self.set_holdings(self.spy, 4)

        def on_margin_call_warning(self):
            warnings.append(self.time)

    run_algorithm(Algo, lean_data_folder)
    assert len(warnings) > 10
    gaps = {(later - earlier).total_seconds() for earlier, later in zip(warnings, warnings[1:], strict=False)}
    assert gaps == {300.0}


def _book(total: float, long_value: float, short_value: float, least: float) -> SimpleNamespace:
    return SimpleNamespace(total_portfolio_value=total, least_leverage=lambda: least,
                           long_short_values=lambda: (long_value, short_value))


def test_a_margin_remaining_clearly_above_five_percent_is_clear_without_the_margin_sum():
    # 100 held long, 50 short, leverage 2 at least: at most 75 in use of 100 -> 25% remaining
    assert margin_call_clear(_book(100.0, 100.0, -50.0, 2.0))
    # leverage 1: up to 150 in use, more than the portfolio value: the exact figures decide
    assert not margin_call_clear(_book(100.0, 100.0, -50.0, 1.0))
    # at most 95 in use of 100: exactly 5% remaining warns in LEAN, so not clear (nor within the slack)
    assert not margin_call_clear(_book(100.0, 190.0, 0.0, 2.0))
    assert margin_call_clear(_book(100.0, 189.0, 0.0, 2.0))
    assert margin_call_clear(_book(10.0, 0.0, 0.0, float("inf")))  # nothing held
    # no positive leverage, a portfolio value at or below zero, or NaN: never clear
    assert not margin_call_clear(_book(100.0, 10.0, 0.0, 0.0))
    assert not margin_call_clear(_book(0.0, 0.0, 0.0, 2.0))
    assert not margin_call_clear(_book(-5.0, 0.0, 0.0, 2.0))
    assert not margin_call_clear(_book(float("nan"), 10.0, 0.0, 2.0))
