"""LEAN's algorithm framework: insights, portfolio construction, optimizers, execution (hand-computed values)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from lean_local.engine.common import Market, Resolution, SecurityType, Symbol
from lean_local.engine.exchange_hours import ExchangeHours
from lean_local.framework import (
    EqualWeightingPortfolioConstructionModel,
    ImmediateExecutionModel,
    Insight,
    InsightCollection,
    InsightDirection,
    InsightManager,
    InsightType,
    InsightWeightingPortfolioConstructionModel,
    PortfolioBias,
    PortfolioTarget,
    PortfolioTargetCollection,
)
from lean_local.framework.insights import to_utc
from lean_local.framework.optimized_construction import simplex_projection
from lean_local.framework.optimizers import (
    MaximumSharpeRatioPortfolioOptimizer,
    MinimumVariancePortfolioOptimizer,
    RiskParityPortfolioOptimizer,
)
from lean_local.framework.portfolio_construction import rebalancing_function

SESSION = [(timedelta(hours=9, minutes=30), timedelta(hours=16))]
US_EQUITY = ExchangeHours(segments={d: SESSION for d in range(5)})


def _stamped(symbol: str, *price_args, at=datetime(2013, 10, 7, 16), **kwargs) -> Insight:
    """``Insight.price(symbol, *price_args)`` (direction Up unless given) emitted at ``at`` (New York)."""
    if len(price_args) == 1:
        price_args = (*price_args, InsightDirection.UP)
    insight = Insight.price(Symbol(symbol), *price_args, **kwargs)
    insight.generated_time_utc = to_utc(at)
    insight.set_period_and_close_time(US_EQUITY)
    return insight


# --- insights ---------------------------------------------------------------------------------
def test_minute_period_steps_through_open_market_time():
    # generated at Monday's 16:00 close: 20 open minutes end Tuesday 09:50 New York (13:50 UTC)
    insight = _stamped("SPY", timedelta(minutes=20))
    assert insight.close_time_utc == datetime(2013, 10, 8, 13, 50)
    assert insight.is_active(datetime(2013, 10, 8, 13, 50)) and insight.is_expired(datetime(2013, 10, 8, 13, 51))


def test_daily_bar_count_skips_the_weekend():
    # one daily bar from Friday 16:00 ends Monday 16:00 (20:00 UTC in October)
    insight = _stamped("SPY", Resolution.DAILY, 1, InsightDirection.UP, at=datetime(2013, 10, 11, 16))
    assert insight.close_time_utc == datetime(2013, 10, 14, 20)
    assert insight.period == timedelta(days=3)


def test_period_of_a_day_and_a_half_adds_half_a_session():
    # 1 trading day, then 0.5 x 6.5 h = 195 open minutes: Wednesday 09:30 + 3:15 = 12:45
    insight = _stamped("SPY", timedelta(days=1.5))
    assert insight.close_time_utc == to_utc(datetime(2013, 10, 9, 12, 45))


def test_expire_closes_one_second_before_now():
    insight = _stamped("SPY", timedelta(days=1))
    now = datetime(2013, 10, 8, 15)
    insight.expire(now)
    assert insight.close_time_utc == now - timedelta(seconds=1) and insight.is_expired(now)


def test_group_rejects_a_second_group():
    a, b = _stamped("SPY", timedelta(days=1)), _stamped("IBM", timedelta(days=1))
    Insight.group(a, b)
    assert a.group_id == b.group_id is not None
    with pytest.raises(ValueError):
        Insight.group(a)


def test_collection_tracks_open_and_expired_insights():
    collection = InsightCollection()
    short = _stamped("SPY", timedelta(minutes=20))
    long = _stamped("IBM", timedelta(days=2))
    collection.add_range([short, long])
    assert collection.get_next_expiry_time() == short.close_time_utc
    later = short.close_time_utc + timedelta(seconds=1)
    assert collection.get_active_insights(later) == [long]
    assert collection.remove_expired_insights(later) == [short]
    assert collection.count == 1 and collection.total_count == 2 and len(collection.get_insights()) == 2
    assert not collection.has_active_insights(Symbol("SPY"), later)


# --- portfolio construction -------------------------------------------------------------------
class _Securities(dict):
    def values(self):
        return list(dict.values(self))


def _algorithm(prices: dict[str, float], tpv: float = 100_000.0, now=datetime(2013, 10, 7, 16)):
    """A stand-in with the members portfolio construction and execution read."""
    securities = _Securities()
    for ticker, price in prices.items():
        securities[Symbol(ticker)] = SimpleNamespace(
            symbol=Symbol(ticker), price=price, has_data=True, is_tradable=True, leverage=1.0,
            holdings=SimpleNamespace(quantity=0.0), symbol_properties=SimpleNamespace(lot_size=1.0,
                                                                                      contract_multiplier=1.0),
            quote_currency=SimpleNamespace(conversion_rate=1.0))
    orders: list[tuple[str, float]] = []
    algorithm = SimpleNamespace(
        securities=securities, utc_time=to_utc(now), time=now, is_warming_up=False,
        settings=SimpleNamespace(max_absolute_portfolio_target_percentage=1e9,
                                 min_absolute_portfolio_target_percentage=1e-10,
                                 minimum_order_margin_portfolio_percentage=0.0),
        portfolio=SimpleNamespace(total_portfolio_value=tpv, margin_remaining=tpv),
        transactions=SimpleNamespace(get_open_orders_remaining_quantity=lambda symbol: 0.0),
        error=lambda message: None, debug=lambda message: None, orders=orders,
        market_order=lambda symbol, quantity, asynchronous=False, tag="": orders.append((str(symbol), quantity)),
        # PortfolioTarget.percent sizes through the algorithm: whole shares of percent x TPV / price
        _order_quantity=lambda security, percent: (float(int(percent * tpv / security.price)), ""),
    )
    algorithm.insights = InsightManager(algorithm)
    return algorithm


def test_equal_weighting_three_insights():
    algorithm = _algorithm({"SPY": 100.0, "IBM": 50.0, "AAPL": 20.0})
    insights = [_stamped("SPY", timedelta(days=1)), _stamped("IBM", timedelta(days=1), InsightDirection.DOWN),
                _stamped("AAPL", timedelta(days=1), InsightDirection.FLAT)]
    algorithm.insights.add_range(insights)
    model = EqualWeightingPortfolioConstructionModel()
    # two non-flat insights: +1/2 and -1/2, the flat one 0
    assert model.determine_target_percent(insights) == {insights[0]: 0.5, insights[1]: -0.5, insights[2]: 0.0}
    targets = {str(t.symbol): t.quantity for t in model.create_targets(algorithm, insights)}
    assert targets == {"SPY": 500.0, "IBM": -1000.0, "AAPL": 0.0}


def test_equal_weighting_long_only_counts_only_longs():
    insights = [_stamped("SPY", timedelta(days=1)), _stamped("IBM", timedelta(days=1), InsightDirection.DOWN)]
    model = EqualWeightingPortfolioConstructionModel(portfolio_bias=PortfolioBias.LONG)
    assert model.determine_target_percent(insights) == {insights[0]: 1.0, insights[1]: 0.0}


def test_insight_weighting_scales_weights_above_one():
    insights = [_stamped("SPY", timedelta(days=1), weight=0.6),
                _stamped("IBM", timedelta(days=1), InsightDirection.DOWN, weight=0.9),
                _stamped("AAPL", timedelta(days=1))]
    model = InsightWeightingPortfolioConstructionModel()
    assert not model.should_create_target_for_insight(insights[2])
    weights = model.determine_target_percent(insights[:2])
    assert weights[insights[0]] == pytest.approx(0.6 / 1.5) and weights[insights[1]] == pytest.approx(-0.9 / 1.5)


def test_expired_insight_gives_a_zero_target_once():
    algorithm = _algorithm({"SPY": 100.0})
    insight = _stamped("SPY", timedelta(minutes=20))
    algorithm.insights.add(insight)
    model = EqualWeightingPortfolioConstructionModel()
    assert [t.quantity for t in model.create_targets(algorithm, [insight])] == [1000.0]
    algorithm.utc_time = to_utc(datetime(2013, 10, 8, 16))  # the next day's close: the insight has expired
    targets = model.create_targets(algorithm, [])
    assert [(str(t.symbol), t.quantity) for t in targets] == [("SPY", 0.0)]
    assert algorithm.insights.count == 0


def test_timedelta_rebalance_waits_unless_insights_change():
    algorithm = _algorithm({"SPY": 100.0})
    model = EqualWeightingPortfolioConstructionModel(timedelta(days=7))
    model.rebalance_on_insight_changes = False
    model.algorithm = algorithm
    now = algorithm.utc_time
    # the first call only asks the function: next rebalance a week later
    assert not model.is_rebalance_due([], now)
    assert not model.is_rebalance_due([], now + timedelta(days=6))
    assert model.is_rebalance_due([], now + timedelta(days=7))
    assert not model.is_rebalance_due([], now + timedelta(days=8))
    model.on_securities_changed(algorithm, SimpleNamespace(added_securities=[object()], removed_securities=[]))
    assert model.is_rebalance_due([], now + timedelta(days=8))  # the universe changed
    model.rebalance_on_insight_changes = True
    assert model.is_rebalance_due([_stamped("SPY", timedelta(days=1))], now + timedelta(days=9))


def test_date_rule_rebalance_moves_to_the_next_date():
    def wednesdays_between(start, end):
        days = (start + timedelta(days=k) for k in range(60))
        return [d for d in days if d.weekday() == 2 and d <= end]
    wednesdays = SimpleNamespace(name="Every Wednesday", dates=wednesdays_between)
    function = rebalancing_function(wednesdays)
    friday = datetime(2015, 1, 2, 21)
    assert function(friday) == datetime(2015, 1, 7)
    assert function(datetime(2015, 1, 7, 21)) == datetime(2015, 1, 14)
    assert rebalancing_function(Resolution.DAILY)(friday) == friday + timedelta(days=1)


# --- execution --------------------------------------------------------------------------------
def test_immediate_execution_reduces_first_then_by_value():
    algorithm = _algorithm({"SPY": 100.0, "IBM": 50.0, "AAPL": 20.0})
    algorithm.securities[Symbol("IBM")].holdings.quantity = 100.0
    targets = [PortfolioTarget(Symbol("SPY"), 10), PortfolioTarget(Symbol("AAPL"), 200),
               PortfolioTarget(Symbol("IBM"), 40)]
    model = ImmediateExecutionModel()
    model.execute(algorithm, targets)
    # IBM reduces its position (first); then AAPL's $4,000 before SPY's $1,000
    assert algorithm.orders == [("IBM", -60.0), ("AAPL", 200.0), ("SPY", 10.0)]


def test_target_collection_keeps_the_newest_per_symbol_and_clears_fulfilled():
    algorithm = _algorithm({"SPY": 100.0})
    collection = PortfolioTargetCollection()
    collection.add_range([PortfolioTarget(Symbol("SPY"), 5), PortfolioTarget(Symbol("SPY"), 7)])
    assert collection.count == 1 and collection[Symbol("SPY")].quantity == 7
    algorithm.securities[Symbol("SPY")].holdings.quantity = 7.0
    collection.clear_fulfilled(algorithm)
    assert collection.is_empty


# --- optimizers -------------------------------------------------------------------------------
def _returns(seed: int = 7, n: int = 250) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal([0.001, 0.002, 0.0015], [0.01, 0.02, 0.015], size=(n, 3))


def test_minimum_variance_matches_the_kkt_solution():
    returns = _returns()
    cov, mean = np.cov(returns, rowvar=False), returns.mean(axis=0)
    target = float(mean.mean())
    # with no bound binding, min w'Sw s.t. Aw = b solves [[2S, A'], [A, 0]] [w, l] = [0, b]
    a = np.vstack([mean, np.ones(3)])
    kkt = np.block([[2 * cov, a.T], [a, np.zeros((2, 2))]])
    exact = np.linalg.solve(kkt, np.concatenate([np.zeros(3), [target, 1.0]]))[:3]
    assert np.all(np.abs(exact) < 1)
    weights = MinimumVariancePortfolioOptimizer(-1, 1, target).optimize(returns)
    np.testing.assert_allclose(weights, exact / np.abs(exact).sum(), atol=1e-6)


def test_maximum_sharpe_is_the_tangency_portfolio():
    # uncorrelated assets: w proportional to mu_i / sigma_i^2 = (2.5, 5) -> (1/3, 2/3)
    cov = np.diag([0.04, 0.01])
    weights = MaximumSharpeRatioPortfolioOptimizer(0, 1).optimize(np.zeros((2, 2)), [0.1, 0.05], cov)
    np.testing.assert_allclose(weights, [1 / 3, 2 / 3], atol=1e-6)


def test_risk_parity_of_two_uncorrelated_assets_is_inverse_volatility():
    cov = np.diag([0.02 ** 2, 0.01 ** 2])
    weights = RiskParityPortfolioOptimizer().optimize(np.zeros((2, 2)), covariance=cov)
    # equal risk: w_i proportional to 1 / sigma_i -> (1/3, 2/3)
    np.testing.assert_allclose(weights, [1 / 3, 2 / 3], atol=1e-9)


def test_simplex_projection():
    np.testing.assert_allclose(simplex_projection([0.5, 0.5]), [0.5, 0.5])
    np.testing.assert_allclose(simplex_projection([1.2, 0.4, -0.3]), [0.9, 0.1, 0.0])
    np.testing.assert_allclose(simplex_projection([3.0, 0.0]), [1.0, 0.0])


def test_insight_price_argument_forms():
    by_bars = Insight.price(Symbol("SPY"), Resolution.DAILY, 2, InsightDirection.DOWN, tag="t")
    assert by_bars.direction == InsightDirection.DOWN and by_bars.tag == "t" and by_bars.type == InsightType.PRICE
    by_span = Insight.price("SPY", timedelta(days=1), InsightDirection.UP, 0.1, 0.9)
    assert (by_span.magnitude, by_span.confidence, by_span.period) == (0.1, 0.9, timedelta(days=1))
    with pytest.raises(ValueError):
        Insight.price("SPY", timedelta(milliseconds=10), InsightDirection.UP)


# --- price-history alpha models ---------------------------------------------------------------
def _history(closes: dict[str, list[float]]):
    import pandas as pd

    times = pd.date_range("2013-10-01 16:00", periods=len(next(iter(closes.values()))), freq="D")
    frames = [pd.DataFrame({"close": values}, index=pd.MultiIndex.from_arrays([[Symbol(s)] * len(values), times],
                                                                                names=["symbol", "time"]))
              for s, values in closes.items()]
    return pd.concat(frames)


def test_pearson_picks_the_most_correlated_pair():
    from lean_local.framework import PearsonCorrelationPairsTradingAlphaModel

    rng = np.random.default_rng(3)
    base = np.cumsum(rng.normal(0, 0.01, 30))
    closes = {"AAA": list(100 * np.exp(base)), "BBB": list(50 * np.exp(base + rng.normal(0, 0.001, 30))),
              "CCC": list(80 * np.exp(np.cumsum(rng.normal(0, 0.01, 30))))}
    algorithm = SimpleNamespace(history=lambda symbols, n, resolution: _history({str(s): closes[str(s)] for s in symbols}),
                                debug=lambda message: None)
    model = PearsonCorrelationPairsTradingAlphaModel(30, Resolution.DAILY)
    securities = [SimpleNamespace(symbol=Symbol(t)) for t in closes]
    model.on_securities_changed(algorithm, SimpleNamespace(added_securities=securities, removed_securities=[]))
    assert model.best_pair == (Symbol("AAA"), Symbol("BBB"))
    assert list(model.pairs) == [(Symbol("AAA"), Symbol("BBB"))]


def test_historical_returns_emit_the_rate_of_change_once_per_bar():
    from lean_local.consolidators import IdentityDataConsolidator
    from lean_local.framework import HistoricalReturnsAlphaModel

    consolidators = []
    algorithm = SimpleNamespace(history=lambda symbols, n, resolution: _history({"SPY": [100.0]}),
                                insights=SimpleNamespace(cancel=lambda insights: None),
                                resolve_consolidator=lambda symbol, resolution: IdentityDataConsolidator(),
                                subscription_manager=SimpleNamespace(
                                    add_consolidator=lambda symbol, consolidator: consolidators.append(consolidator)))
    model = HistoricalReturnsAlphaModel(1, Resolution.DAILY)
    model.on_securities_changed(algorithm, SimpleNamespace(added_securities=[SimpleNamespace(symbol=Symbol("SPY"))],
                                                           removed_securities=[]))
    # LEAN's SymbolData: a consolidator of the model's resolution feeds the rate of change; the history bar
    # (100) warms it, the first consolidated bar (102) makes it ready
    (consolidator,) = consolidators
    consolidator.update(SimpleNamespace(close=102.0, end_time=datetime(2020, 1, 2, 16)))
    (insight,) = model.update(algorithm, SimpleNamespace())
    assert insight.direction == InsightDirection.UP and insight.magnitude == pytest.approx(0.02)
    assert insight.period == timedelta(days=1)
    assert model.update(algorithm, SimpleNamespace()) == []  # no new bar, no new insight


def test_a_selection_model_universe_takes_the_algorithms_universe_settings(tmp_path):
    """LEAN's ``ManualUniverseSelectionModel`` uses ``algorithm.UniverseSettings`` when given none:
    the daily resolution set in ``initialize`` reaches the securities it adds (the universe's own
    default, minute, would be refused)."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.runner import run_algorithm
    from lean_local.framework import ManualUniverseSelectionModel
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06"]
    for ticker in ("SPY", "AAA"):
        fixtures.write_equity(root, ticker, fixtures.bars(days, [10.0, 11.0, 12.0]))

    class Manual(QCAlgorithm):
        def initialize(self) -> None:
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.universe_settings.resolution = Resolution.DAILY
            self.set_universe_selection(ManualUniverseSelectionModel([Symbol.create("AAA", SecurityType.EQUITY, Market.USA)]))

    algo, _, _ = run_algorithm(Manual, root)
    assert [s.resolution for s in algo.securities.values() if s.symbol.value == "AAA"] == [Resolution.DAILY]


def _universe_run(tmp_path, model_of, start: datetime):
    """Run an algorithm whose only universe is ``model_of()`` over AAA's daily bars of 2020-01-02,
    01-03 and 01-06 (no hour file: the benchmark adds no data point)."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.runner import run_algorithm
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.0]))

    class Framework(QCAlgorithm):
        def initialize(self) -> None:
            self.set_start_date(start)
            self.set_end_date(2020, 1, 6)
            self.universe_settings.resolution = Resolution.DAILY
            self.set_universe_selection(model_of())

    return run_algorithm(Framework, root)


def test_a_manual_universe_counts_its_one_trigger(tmp_path):
    """LEAN's ``ManualUniverse`` is a user-defined universe with an infinite interval: it triggers
    once, and its trigger (a ``Tick`` of ``TimeTriggeredUniverseSubscriptionEnumeratorFactory``) is a
    data point: 1 + AAA's 3 daily bars."""
    from lean_local.framework import ManualUniverseSelectionModel

    aaa = Symbol.create("AAA", SecurityType.EQUITY, Market.USA)
    _, _, loop = _universe_run(tmp_path, lambda: ManualUniverseSelectionModel([aaa]), datetime(2020, 1, 2))
    assert loop.data_points == 4


def test_a_manual_selection_model_makes_one_universe_per_security_type_and_market():
    from lean_local.framework import ManualUniverseSelectionModel

    symbols = [Symbol.create("AAA", SecurityType.EQUITY, Market.USA), Symbol.create("EURUSD", SecurityType.FOREX, Market.OANDA),
               Symbol.create("BBB", SecurityType.EQUITY, Market.USA)]
    universes = ManualUniverseSelectionModel(symbols).create_universes(SimpleNamespace())
    assert [sorted(s.value for s in u.select_symbols(datetime(2020, 1, 2), [], print)) for u in universes] == \
        [["AAA", "BBB"], ["EURUSD"]]


def test_a_custom_selection_model_triggers_at_the_start_then_each_trading_day(tmp_path):
    """LEAN's ``CustomUniverse`` (a user-defined universe with a one-day interval) triggers at the
    start even on a holiday (2020-01-01), then at 00:00 of each day the exchange opens (01-02, 01-03,
    01-06). Its subscription fills forward (the universe settings' ``fill_forward``): AAA's daily
    subscription, the first of the feed, changes the fill-forward resolution from minute to daily, so
    ``DataManager`` restarts the universe's subscription, which triggers once more at its new start:
    5 triggers + AAA's 3 daily bars."""
    from lean_local.framework import CustomUniverseSelectionModel

    calls = []
    _, _, loop = _universe_run(tmp_path, lambda: CustomUniverseSelectionModel(
        "custom", lambda time: calls.append(time) or ["AAA"]), datetime(2020, 1, 1))
    assert calls == [datetime(2020, 1, 1), datetime(2020, 1, 1), datetime(2020, 1, 2), datetime(2020, 1, 3),
                     datetime(2020, 1, 6)]
    assert loop.data_points == 8


def test_a_custom_selection_model_that_does_not_fill_forward_is_not_restarted(tmp_path):
    """With ``universe_settings.fill_forward = False`` the universe's subscription does not fill
    forward, so the fill-forward resolution change leaves it alone: 4 triggers + 3 bars."""
    from lean_local.framework import CustomUniverseSelectionModel

    class NoFillForward(CustomUniverseSelectionModel):
        def create_universes(self, algorithm):
            algorithm.universe_settings.fill_forward = False
            return super().create_universes(algorithm)

    _, _, loop = _universe_run(tmp_path, lambda: NoFillForward("custom", lambda time: ["AAA"]), datetime(2020, 1, 1))
    assert loop.data_points == 7


def test_a_restart_after_the_start_moves_the_custom_universes_triggers_to_its_time(tmp_path):
    """Removing the feed's last daily subscription at 2020-01-02 16:00 changes the fill-forward
    resolution back to minute: the universe restarts then and follows ``GetTriggerTimes`` from
    16:00 (Jan 2; Jan 5, whose next 24 hours hold Monday's session; Jan 6), no longer at midnight."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.runner import run_algorithm
    from lean_local.framework import CustomUniverseSelectionModel
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.0]))

    class Removes(QCAlgorithm):
        def initialize(self) -> None:
            self.set_start_date(2020, 1, 1)
            self.set_end_date(2020, 1, 6)
            self.calls = []
            self.add_equity("AAA", Resolution.DAILY)
            self.set_universe_selection(CustomUniverseSelectionModel("custom", lambda t: self.calls.append(t) or []))

        def on_data(self, data) -> None:
            self.remove_security("AAA")

    algo, _, _ = run_algorithm(Removes, root)
    assert algo.calls == [datetime(2020, 1, 1), datetime(2020, 1, 1), datetime(2020, 1, 2),
                          datetime(2020, 1, 2, 16), datetime(2020, 1, 5, 16), datetime(2020, 1, 6, 16)]
