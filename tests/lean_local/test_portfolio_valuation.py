"""The portfolio's valuation across steps (``SecurityPortfolioManager``): a step whose closes are the last
valued ones bit for bit, with the same book, keeps the holdings values and the figures summed from them;
new closes, a fill, a cash change or a new column compute them again."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from lean_local.engine.common import SecurityType
from lean_local.engine.portfolio import SecurityPortfolioManager


class _Feed:
    """The feed members the valuation reads: the step and each column's current close."""

    def __init__(self) -> None:
        self.step = 0
        self.closes = np.array([10.0, 20.0, 40.0])

    def current_closes(self, n: int) -> np.ndarray:
        return self.closes[:n]

    def current_close(self, column: int) -> float:
        return float(self.closes[column])


def _portfolio(feed: _Feed, columns: int) -> SecurityPortfolioManager:
    portfolio = SecurityPortfolioManager({}, feed, None)
    portfolio.set_cash(1_000.0)
    for column in range(columns):
        portfolio.register(SimpleNamespace(column=column, leverage=2.0 if column else 1.0, type=SecurityType.EQUITY,
                                           symbol_properties=SimpleNamespace(contract_multiplier=1.0),
                                           quote_currency=portfolio.cash_book["USD"]))
    return portfolio


def _figures(portfolio: SecurityPortfolioManager) -> tuple:
    return portfolio.total_portfolio_value, portfolio.total_margin_used, portfolio.long_short_values()


def test_unchanged_closes_keep_the_values_and_their_sums():
    feed = _Feed()
    portfolio = _portfolio(feed, 2)
    portfolio.quantity[:2] = [3.0, -1.0]  # 30 long, 20 short
    portfolio.invalidate()
    # cash 1,000 + 30 - 20; margin 30 / 1 + 20 / 2; longs 30, shorts -20
    assert _figures(portfolio) == (1_010.0, 40.0, (30.0, -20.0))
    computed = portfolio._values_number
    feed.step = 1  # a midnight step: the same closes
    assert _figures(portfolio) == (1_010.0, 40.0, (30.0, -20.0))
    assert portfolio._values_number == computed
    feed.step, feed.closes = 2, np.array([11.0, 20.0, 40.0])  # a new close
    assert _figures(portfolio) == (1_013.0, 43.0, (33.0, -20.0))
    assert portfolio._values_number == computed + 1
    feed.step = 3
    portfolio.cash_book["USD"].add_amount(7.0)  # the book changed (its version): valued again
    assert _figures(portfolio) == (1_020.0, 43.0, (33.0, -20.0)) and portfolio._values_number == computed + 2
    feed.step, feed.closes = 4, np.array([0.0, 20.0, 40.0])
    assert portfolio.total_portfolio_value == 987.0 and portfolio._values_number == computed + 3
    feed.step, feed.closes = 5, np.array([-0.0, 20.0, 40.0])  # equal to 0.0, but not the same bits
    assert portfolio.total_portfolio_value == 987.0 and portfolio._values_number == computed + 4


def test_a_new_column_values_the_book_again():
    feed = _Feed()
    portfolio = _portfolio(feed, 2)
    portfolio.quantity[:2] = [1.0, 1.0]
    portfolio.invalidate()
    assert portfolio.total_portfolio_value == 1_030.0
    feed.step = 1
    portfolio.register(SimpleNamespace(column=2, leverage=1.0, type=SecurityType.EQUITY,
                                       symbol_properties=SimpleNamespace(contract_multiplier=1.0),
                                       quote_currency=portfolio.cash_book["USD"]))
    portfolio.quantity[2] = 1.0
    portfolio.invalidate()
    assert portfolio.total_portfolio_value == 1_070.0 and portfolio.long_short_values() == (70.0, 0.0)


def test_the_least_leverage_and_the_multipliers_follow_the_registered_columns():
    feed = _Feed()
    portfolio = _portfolio(feed, 2)  # leverage 1 and 2
    assert portfolio.least_leverage() == 1.0
    portfolio.quantity[:3] = [1.0, 1.0, 2.0]
    # a contract multiplier of 5 on the third column: its value is 2 x 40 x 5
    portfolio.register(SimpleNamespace(column=2, leverage=0.5, type=SecurityType.EQUITY,
                                       symbol_properties=SimpleNamespace(contract_multiplier=5.0),
                                       quote_currency=portfolio.cash_book["USD"]))
    assert portfolio.least_leverage() == 0.5
    assert portfolio.total_portfolio_value == 1_000.0 + 10.0 + 20.0 + 400.0
    security = SimpleNamespace(column=2, leverage=4.0)
    portfolio.update_leverage(security)
    assert portfolio.least_leverage() == 1.0
    assert portfolio.total_margin_used == 10.0 / 1 + 20.0 / 2 + 400.0 / 4
