"""Stop and limit prices rounded to the minimum price variation at submission, as LEAN (issue 14.6)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from lean_local.engine import price_variation
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType
from lean_local.engine.orders import UpdateOrderFields
from lean_local.engine.runner import run_algorithm
from lean_local.engine.securities import SymbolProperties
from shared.risk import stop_price_on_tick

WARNING = "Warning: To meet brokerage precision requirements, order {} was rounded to {} from {}"


class Orders(QCAlgorithm):
    mode = DataNormalizationMode.RAW

    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 9)
        self.spy = self.add_equity("SPY", Resolution.DAILY, data_normalization_mode=self.mode).symbol
        self.eurusd = self.add_forex("EURUSD", Resolution.DAILY).symbol
        self.tickets = []

    def on_data(self, data):
        if self.tickets or not data.contains_key(self.spy) or self.securities[self.eurusd].price == 0:
            return
        self.tickets.append(self.stop_market_order(self.spy, -10, 150.123456))
        self.tickets.append(self.limit_order(self.spy, 10, 100.125))  # half to even: 100.12
        self.tickets.append(self.stop_limit_order(self.spy, 10, 200.005001, 200.0149))
        self.tickets.append(self.limit_order(self.eurusd, 1000, 1.2345678))
        self.tickets[0].update(UpdateOrderFields(stop_price=140.987))


def _prices(ticket):
    order = ticket._order
    return order.stop_price, order.limit_price


def test_raw_equity_and_forex_prices_are_rounded_with_one_warning(lean_data_folder):
    algo, _, _ = run_algorithm(Orders, lean_data_folder)
    stop, limit, stop_limit, forex = algo.tickets
    assert _prices(stop) == (140.99, 0.0)  # the update is rounded too
    assert _prices(limit) == (0.0, 100.12)
    assert _prices(stop_limit) == (200.01, 200.01)
    assert _prices(forex) == (0.0, 1.23457)  # EURUSD's tick 0.00001
    warnings = [line for line in algo.logs if "precision requirements" in line]
    # LEAN reports the first rounding only
    assert len(warnings) == 1
    assert warnings[0].endswith(WARNING.format("StopPrice", "150.12", "150.123456"))


def test_adjusted_equity_prices_are_not_rounded_in_a_backtest(lean_data_folder):
    """AdjustedPriceVariationModel: an adjusted price is not on the exchange's grid; LEAN leaves it."""
    algorithm = type("Adjusted", (Orders,), {"mode": DataNormalizationMode.ADJUSTED})
    algo, _, _ = run_algorithm(algorithm, lean_data_folder)
    stop, limit, _, forex = algo.tickets
    assert _prices(stop) == (140.987, 0.0) and _prices(limit) == (0.0, 100.125)
    assert _prices(forex) == (0.0, 1.23457)


def test_equity_tick_below_one_dollar_and_in_live_mode():
    security = SimpleNamespace(type=SecurityType.EQUITY, data_normalization_mode=DataNormalizationMode.RAW,
                               symbol_properties=SymbolProperties())
    assert price_variation.minimum_price_variation(security, 0.5) == Decimal("0.0001")  # SEC rule 612
    assert price_variation.minimum_price_variation(security, 5.0) == Decimal("0.01")
    security.data_normalization_mode = DataNormalizationMode.ADJUSTED
    assert price_variation.minimum_price_variation(security, 5.0) == 0
    assert price_variation.minimum_price_variation(security, 5.0, live_mode=True) == Decimal("0.01")


def test_the_ml_strategy_rounds_its_stop_itself():
    """The ML algorithm's stops are on the $0.01 grid (live LEAN rounds them; a backtest on adjusted
    prices would not), so the backtest trades the stop live trading would."""
    assert stop_price_on_tick(100.0, 1, 0.05) == 95.0
    assert stop_price_on_tick(33.33, 1, 0.05) == 31.66  # 31.6635
    assert stop_price_on_tick(33.33, -1, 0.05) == 35.0  # 34.9965
    assert stop_price_on_tick(0.777, 1, 0.05) == 0.7382  # 0.73815 -> below $1, tick 0.0001
