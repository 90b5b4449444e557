"""A step's orders as arrays (``target_sizing``, ``TransactionManager.submit_market_on_open``,
``step_orders``) give what sizing, submitting and filling them one by one gives: the same orders, fills,
events, rejections, cash and transaction records, to the last bit."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lean_local.engine import orders_api, step_orders, target_sizing
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.buying_power import target_order_quantity
from lean_local.engine.common import Resolution, SecurityType, Symbol
from lean_local.engine.fees import ConstantFeeModel, InteractiveBrokersFeeModel
from lean_local.engine.orders import Order, OrderStatus, OrderType
from lean_local.engine.runner import run_algorithm
from lean_local.engine.securities import SecurityManager
from lean_local.framework.targets import PortfolioTarget
from tests import fixtures

TICKERS = [f"S{k:02d}" for k in range(12)]


@pytest.fixture
def folder(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-01-02", "2020-03-31")
    rng = np.random.default_rng(7)
    for k, ticker in enumerate(TICKERS):
        closes = (20 + 15 * k) * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        opens = closes * np.exp(rng.normal(0, 0.01, len(days)))
        fixtures.write_equity(root, ticker, fixtures.bars(days, closes.round(2), opens=opens.round(2)))
    return root


def trade_every_ticker(algo: QCAlgorithm, end_day: tuple[int, int, int] = (2020, 3, 31)) -> None:
    """The tests' set-up: from 2020-01-02 to ``end_day``, $1,000,000, every ticker daily as ``algo.symbols``."""
    algo.set_start_date(2020, 1, 2)
    algo.set_end_date(*end_day)
    algo.set_cash(1_000_000)
    algo.symbols = [algo.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]


def make_algorithm(weights: tuple[float, float], interfere: bool = False) -> type[QCAlgorithm]:
    """``interfere``: at noon, between the orders' submission and their fill, change what the fill pass's
    scan of the open orders read (``step_orders.OpenOrderScan``): an order cancelled (a smaller open
    set), another order type after the market-on-open ones, a security's fee model set and reset."""

    class Rebalance(QCAlgorithm):
        def initialize(self):
            self.settings.minimum_order_margin_portfolio_percentage = 0
            trade_every_ticker(self)
            self.days = 0
            if interfere:
                self.schedule.on(self.date_rules.every_day(), self.time_rules.at(12, 0), self.noon)

        def noon(self):
            tickets = self.transactions.get_open_order_tickets()
            security = self.securities[self.symbols[3]]
            if self.days % 4 == 0:
                security.set_fee_model(InteractiveBrokersFeeModel())
                if tickets:
                    tickets[len(tickets) // 2].cancel()
            elif self.days % 4 == 1:
                self.limit_order(self.symbols[5], 1, 1.0)  # far below: stays open, not a market-on-open order
            elif self.days % 4 == 2:
                self.transactions.cancel_open_orders(self.symbols[5])
            else:
                security.set_fee_model(ConstantFeeModel(7.25))

        def on_data(self, data):
            self.days += 1
            # long and short, weights that alternate: orders that open, add to, reduce and flip positions
            sign = [1 if (k + self.days // 5) % 3 else -1 for k in range(len(self.symbols))]
            weight = weights[self.days % 2] / len(self.symbols)
            self.set_holdings([PortfolioTarget(s, sign[k] * weight * (1 + k / 10))
                               for k, s in enumerate(self.symbols)])

    return Rebalance


def observed_run(folder, weights: tuple[float, float], interfere: bool = False) -> dict:
    algo, _record, _ = run_algorithm(make_algorithm(weights, interfere), folder)
    transactions, portfolio = algo.transactions, algo.portfolio
    return {
        "orders": [(o.id, str(o.symbol), o.type, o.quantity, o.status, o.price, o.fee, o.value, o.time,
                    o.last_fill_time) for o in transactions.get_orders()],
        "fills": list(transactions.fills),
        "events": [(e.id, e.order_id, e.status, e.fill_price, e.fill_quantity, e.order_fee.value.amount, e.message)
                   for e in transactions.events],
        "cash": portfolio.cash, "fees": portfolio.total_fees, "sale volume": portfolio.total_sale_volume,
        "records": portfolio.transaction_record, "quantity": portfolio.quantity.tolist(),
        "average": portfolio.average_price.tolist(), "realized": portfolio.realized_profit.tolist(),
        "fees paid": portfolio.fees_paid.tolist(),
    }


@pytest.mark.parametrize(("weights", "interfere"), [((0.9, 1.1), False), ((1.2, 1.4), False), ((0.9, 1.1), True)])
def test_a_steps_orders_as_arrays_match_them_one_by_one(folder, monkeypatch, weights, interfere):
    calls = {"fills": 0}
    batch = step_orders.fill_market_on_open

    def counted(algo, manager, orders):
        calls["fills"] += 1
        return batch(algo, manager, orders)

    monkeypatch.setattr(step_orders, "fill_market_on_open", counted)
    arrays = observed_run(folder, weights, interfere)
    assert calls["fills"] > 50  # the array path ran
    monkeypatch.setattr(step_orders, "MIN_BATCH", 10**9)
    monkeypatch.setattr(orders_api, "array_sizable", lambda portfolio, securities: False)
    one_by_one = observed_run(folder, weights, interfere)
    assert arrays == one_by_one
    statuses = [order[4] for order in arrays["orders"]]
    if interfere:
        assert statuses.count(OrderStatus.CANCELED) > 10
        assert {order[2] for order in arrays["orders"]} == {OrderType.MARKET_ON_OPEN, OrderType.LIMIT}
        assert sum(event[5] == 7.25 for event in arrays["events"]) > 5  # filled with the fee model set at noon
    assert statuses.count(OrderStatus.FILLED) > 400
    if weights[1] > 1.3:  # beyond twice the equity at times (a leverage of 2): some orders are refused
        assert statuses.count(OrderStatus.INVALID) > 0
    assert len(arrays["records"]) > 100  # closing fills


def test_targets_sized_as_arrays_match_the_scalar_sizing(folder):
    """``target_order_quantities`` against ``target_order_quantity`` on a portfolio with long and short
    positions: random weights (with zero, tiny and levered ones), lot sizes of 1 and 100, sizes that
    land on whole lots (Python's ``round`` decides there), a free-portfolio buffer and a minimum order margin."""
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    portfolio = algo.portfolio
    securities = [algo.securities[s] for s in algo.symbols]
    for security in securities[::3]:
        security.symbol_properties.lot_size = 100.0
    assert np.count_nonzero(portfolio.quantity) >= 10
    rng = np.random.default_rng(3)
    percents = np.concatenate([rng.uniform(-1.5, 1.5, 12), [0.0, 1e-6, -1e-6, 2.0, -2.0, 0.05]] * 2)[:36]
    many = securities * 3
    tpv = portfolio.total_portfolio_value
    for free, minimum in [(0.0025, 0.0), (0.05, 0.001)]:
        # weights whose order is whole lots to within rounding: Python's round to 10 decimals decides the floor
        for k in range(30, 36):
            security = many[k]
            lots = 7 * security.symbol_properties.lot_size * (1 if k % 2 else -1)
            percents[k] = (security.holdings.quantity + lots) * security.price / (tpv - tpv * free)
        fees = np.full(len(many), np.nan)
        arrays = target_sizing.target_order_quantities(portfolio, many, percents, free, minimum, fees=fees)
        assert arrays is not None
        quantities, reasons = arrays
        # each settled quantity's fee, as the fee model charges it (USD account: in account currency as is);
        # none for the targets the fee loop did not size (zero weights close, refused ones order nothing)
        settled = ~np.isnan(fees)
        assert np.count_nonzero(settled) > 20
        assert fees[settled].tolist() == [s.fee_model.fee_amount(s, q)[0] for s, q, k in zip(
            many, quantities.tolist(), settled.tolist(), strict=True) if k]
        assert not np.count_nonzero(quantities[settled] == 0)
        assert not np.count_nonzero(percents[settled] == 0)
        expected = [target_order_quantity(portfolio, s, float(p), free, minimum) for s, p in zip(many, percents,
                                                                                                 strict=True)]
        assert quantities.tolist() == [q for q, _ in expected]
        assert reasons == [r for _, r in expected]
        assert np.count_nonzero(quantities) > 20
        assert any(q % 100 == 0 and q != 0 for q in quantities[::3].tolist())



def test_all_long_targets_sized_as_arrays_match_the_scalar_sizing(folder):
    """Every target long (the path without the long/short where): the scalar sizing's quantities and
    reasons, lot sizes of 1 and 100, a weight whose order is whole lots to within rounding."""
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    portfolio = algo.portfolio
    securities = [algo.securities[s] for s in algo.symbols]
    for security in securities[::2]:
        security.symbol_properties.lot_size = 100.0
    percents = np.linspace(0.01, 0.3, len(securities))
    tpv, free = portfolio.total_portfolio_value, 0.0025
    lots = 3 * securities[1].symbol_properties.lot_size
    percents[1] = (securities[1].holdings.quantity + lots) * securities[1].price / (tpv - tpv * free)
    arrays = target_sizing.target_order_quantities(portfolio, securities, percents, free, 0.0)
    assert arrays is not None
    expected = [target_order_quantity(portfolio, s, float(p), free, 0.0) for s, p in zip(securities, percents,
                                                                                         strict=True)]
    assert arrays[0].tolist() == [q for q, _ in expected]
    assert arrays[1] == [r for _, r in expected]
    assert np.count_nonzero(arrays[0]) > len(securities) // 2


def test_whole_lots_all_down_floors():
    """``all_down``: the floor of each ratio (Python's round to 10 decimals near a whole number), as
    the mixed path gives when every entry rounds down."""
    sizes, lot = np.array([250.0, -250.0, 299.99999999999, 7.5]), np.array([100.0, 100.0, 100.0, 1.0])
    down = np.ones(4, dtype=bool)
    assert target_sizing._whole_lots(sizes, lot, down, True).tolist() == [2.0, -3.0, 3.0, 7.0]
    assert target_sizing._whole_lots(sizes, lot, down).tolist() == [2.0, -3.0, 3.0, 7.0]

def test_open_orders_by_symbol_after_orders_placed_and_filled_together(folder):
    """The open orders by symbol, made again from the open orders after ``set_holdings`` placed (and the
    fill pass filled) orders together: each symbol's open orders in the order they opened, none once filled."""
    seen: dict[str, list] = {"before": [], "placed": []}

    class Probe(QCAlgorithm):
        def initialize(self):
            trade_every_ticker(self, (2020, 1, 8))
            self.days = 0

        def on_data(self, data):
            self.days += 1
            first, second = self.symbols[0], self.symbols[1]
            seen["before"].append([o.id for o in self.transactions.get_open_orders(second)])
            if self.days > 2:
                return
            tickets = self.set_holdings([PortfolioTarget(s, 0.05 * self.days) for s in self.symbols])
            limit = self.limit_order(second, 1, 1.0)  # far below the price: stays open
            placed = [t.order_id for t in tickets if t.symbol == second]
            seen["placed"].append((placed + [limit.order_id], [o.id for o in self.transactions.get_open_orders(second)],
                                   [t.order_id for t in self.transactions.get_open_order_tickets(first)]))

    run_algorithm(Probe, folder)
    (day1, ids1, firsts1), (day2, ids2, firsts2) = seen["placed"]
    assert len(day1) == len(day2) == 2 and day2[1] == day1[1] + 13  # twelve orders, then the limit order
    assert ids1 == day1  # the market-on-open order, then the limit order
    assert ids2 == [day1[1], *day2]  # the first day's limit order is still open
    assert len(firsts1) == len(firsts2) == 1 and firsts2[0] > day1[1]
    # set_holdings' orders filled at the next open: only the limit orders stay open
    assert seen["before"] == [[], [day1[1]], [day1[1], day2[1]], [day1[1], day2[1]], [day1[1], day2[1]]]


def test_sized_orders_carry_their_prices_and_fees(folder):
    """``SizedOrders``: the prices read once go with the orders through ``take`` and ``with_quantities``;
    without them ``current_prices`` reads the feed (``Security.price``). The sizing's fees go through
    ``take``; other quantities drop them (they were the fees of the quantities sized)."""
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    securities = [algo.securities[s] for s in algo.symbols[:3]]
    orders = target_sizing.SizedOrders.of(securities, [1.0, 2.0, 3.0])
    feed = algo.portfolio.feed
    assert orders.prices is None
    assert orders.current_prices(feed).tolist() == [s.price for s in securities]
    priced = target_sizing.SizedOrders(*orders[:5], np.array([10.0, 20.0, 30.0]), False,
                                       np.array([1.0, np.nan, 1.5]))
    taken = priced.take(np.array([2, 0]))
    assert taken.prices.tolist() == [30.0, 10.0] and taken.quantities.tolist() == [3.0, 1.0]
    assert taken.securities == [securities[2], securities[0]]
    assert taken.fees.tolist() == [1.5, 1.0]
    other = taken.with_quantities(np.array([5.0, 6.0]))
    assert other.current_prices(feed).tolist() == [30.0, 10.0] and other.fees is None


def test_array_sizable_takes_us_equities_with_the_interactive_brokers_fees(folder):
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    portfolio, securities = algo.portfolio, [algo.securities[s] for s in algo.symbols]
    assert target_sizing.array_sizable(portfolio, securities)
    assert target_sizing.array_sizable(portfolio, [])
    assert not target_sizing.array_sizable(portfolio, [*securities, None])
    securities[4].set_fee_model(ConstantFeeModel(1.0))
    assert not target_sizing.array_sizable(portfolio, securities)
    assert target_sizing.array_sizable(portfolio, securities[:4] + securities[5:])


def test_a_scan_of_orders_placed_together(folder):
    """``OpenOrderScan.placed_together``: the orders' columns as given, one exchange, every order
    takeable up to a column seen before."""
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    securities = [algo.securities[s] for s in algo.symbols[:4]]
    columns = np.array([s.column for s in securities], dtype=np.int64)
    scan = step_orders.OpenOrderScan.placed_together(7, 12, securities, columns, algo.time)
    assert scan.key == (7, 10, 4, 12) and scan.count == 4 and scan.never == 4
    assert scan.columns is columns and scan.widest == max(columns.tolist())
    assert len(scan.hours) == 1 and scan.hours_index.tolist() == [0, 0, 0, 0]
    repeated = step_orders.OpenOrderScan.placed_together(7, 12, securities[:3] + securities[:1],
                                                         columns[[0, 1, 2, 0]], algo.time)
    assert repeated.never == 3
    # the exchange hours the caller read (set_holdings') are the ones the scan reads itself
    carried = step_orders.OpenOrderScan.placed_together(7, 12, securities, columns, algo.time,
                                                        [s.exchange.hours for s in securities])
    assert carried.hours == scan.hours and carried.hours_index.tolist() == [0, 0, 0, 0] and carried.never == 4


def test_plain_securities_with_what_the_caller_knows(folder):
    """``_plain``: tradable, an exchange with hours, no shortable provider; what set_holdings carries (every
    security tradable, their exchange hours) answers as reading each security, and a security marked
    non-tradable after it is still seen when tradability is not known."""
    algo, _record, _ = run_algorithm(make_algorithm((0.9, 1.1)), folder)
    securities = [algo.securities[s] for s in algo.symbols[:4]]
    hours = [s.exchange.hours for s in securities]
    assert step_orders._plain(securities) is True
    assert step_orders._plain(securities, True, hours) is True
    securities[2].is_tradable = False
    assert step_orders._plain(securities).tolist() == [True, True, False, True]
    assert step_orders._plain(securities, False, hours).tolist() == [True, True, False, True]


def make_stop_book() -> type[QCAlgorithm]:
    """Long the even tickers, short the odd ones, each with a stop-market order 2 to 6% away (most stay
    untriggered for days, some trigger, some gap through); a filled stop's position is bought back and
    stopped again. Each step checks the feed's ranges against the bars' own lows and highs."""

    class StopBook(QCAlgorithm):
        def initialize(self):
            trade_every_ticker(self)
            self.ranges_checked = 0

        def on_data(self, data):
            securities = [self.securities[s] for s in self.symbols]
            lows, highs = securities[0].feed.current_ranges(np.array([s.column for s in securities]))
            bars = [s.last_bar() for s in securities]
            assert lows.tolist() == [b.low for b in bars] and highs.tolist() == [b.high for b in bars]
            self.ranges_checked += 1
            for k, symbol in enumerate(self.symbols):
                if self.portfolio[symbol].invested or self.transactions.get_open_orders(symbol):
                    continue
                side = 1 if k % 2 == 0 else -1
                quantity = side * 100
                self.market_order(symbol, quantity)
                price = self.securities[symbol].price
                self.stop_market_order(symbol, -quantity, round(price * (1 - side * (0.02 + 0.004 * k)), 2))

    return StopBook


def test_stops_out_of_reach_are_not_asked_and_the_run_is_the_same(folder, monkeypatch):
    skipped = {"orders": 0}
    within = step_orders.within_reach

    def counted(algo, orders):
        kept = within(algo, orders)
        skipped["orders"] += len(orders) - len(kept)
        return kept

    monkeypatch.setattr(step_orders, "within_reach", counted)
    algo, _record, _ = run_algorithm(make_stop_book(), folder)
    assert algo.ranges_checked > 50
    orders = algo.transactions.get_orders()
    stops = [o for o in orders if o.type == OrderType.STOP_MARKET]
    assert sum(o.status == OrderStatus.FILLED for o in stops) > 10  # triggered stops still fill
    assert skipped["orders"] > 200  # most steps' stops were out of reach
    monkeypatch.setattr(step_orders, "MIN_BATCH", 10**9)  # every stop asked
    again, _record, _ = run_algorithm(make_stop_book(), folder)
    assert [(o.id, o.type, o.quantity, o.status, o.price, o.last_fill_time) for o in orders] == \
        [(o.id, o.type, o.quantity, o.status, o.price, o.last_fill_time) for o in again.transactions.get_orders()]
    assert [(e.order_id, e.status, e.fill_price, e.message) for e in algo.transactions.events] == \
        [(e.order_id, e.status, e.fill_price, e.message) for e in again.transactions.events]


def test_within_reach_asks_the_stops_of_other_security_types_whatever_the_bar():
    """Ten sell stops: the equities' bars range from 9 to 11, so an equity stop at 8 cannot trigger and
    one at 10 can; the forex stop at 8 is kept (within_reach judges equities only), the others keep
    their order."""

    class Feed:
        def current_ranges(self, columns):
            return np.full(len(columns), 9.0), np.full(len(columns), 11.0)

    feed = Feed()
    securities = SecurityManager()
    kinds = [SecurityType.EQUITY] * 9 + [SecurityType.FOREX]
    for k, kind in enumerate(kinds):
        securities.register(SimpleNamespace(symbol=Symbol(f"S{k}"), type=kind, column=k, feed=feed))
    prices = [8.0, 10.0, 8.0, 10.0, 10.0, 8.0, 10.0, 10.0, 10.0, 8.0]
    orders = [Order(k + 1, Symbol(f"S{k}"), OrderType.STOP_MARKET, -5, datetime(2020, 1, 2), stop_price=price)
              for k, price in enumerate(prices)]
    kept = step_orders.within_reach(SimpleNamespace(securities=securities), orders)
    assert [order.id for order in kept] == [2, 4, 5, 7, 8, 9, 10]
