"""``PortfolioSamples``: each sample's portfolio value and long/short sums, summed per stretch of one book
bit for bit as the portfolio sums them at the step, and the step checks told without a sum."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from lean_local.engine.portfolio_book import BookTerms
from lean_local.engine.portfolio_samples import CLEAR, POSITIVE, PortfolioSamples, _figures


class _Feed:
    def __init__(self, closes: np.ndarray) -> None:
        self.closes = closes  # steps x columns
        self.step = 0
        self.subs = [None] * closes.shape[1]

    def current_closes(self, n: int) -> np.ndarray:
        return self.closes[self.step, :n]


class _Portfolio:
    """A plain book (one currency, no forex) of ``quantity`` and ``cash``, at leverage ``leverage``."""

    def __init__(self, feed: _Feed, quantity: list[float], cash: float, leverage: float = 2.0,
                 plain: bool = True) -> None:
        self.feed, self.quantity, self.cash, self.leverage, self.plain = feed, np.array(quantity), cash, leverage, plain
        self.book_version = 0

    def change(self, quantity: list[float], cash: float) -> None:
        self.quantity, self.cash = np.array(quantity), cash
        self.book_version += 1

    def book_terms(self) -> BookTerms:
        return BookTerms(self.book_version, self.plain, len(self.quantity), self.quantity.copy(), None, self.cash,
                         self.leverage)

    def _values(self) -> np.ndarray:
        return self.quantity * self.feed.current_closes(len(self.quantity))

    @property
    def total_portfolio_value(self) -> float:  # the portfolio's sum: cash + one pairwise sum of the row
        return self.cash + float(np.add.reduce(self._values()))

    def long_short_values(self) -> tuple[float, float]:
        values = self._values()
        return float(np.add.reduce(values[values > 0])), float(np.add.reduce(values[values < 0]))


def _bits(values: list[float]) -> bytes:
    return np.array(values).tobytes()


@pytest.mark.parametrize("case", ["long", "zeros", "mixed", "nan"])
def test_a_batchs_figures_are_the_steps_own_sums_bit_for_bit(case):
    """Three books' stretches (10, 20 and 7 samples) summed together: each row's figures are those of its
    book's quantities summed as the portfolio sums them at the step."""
    rng = np.random.default_rng(3)
    closes = rng.lognormal(3, 1, (37, 101)) * (1 + 1e-9 * rng.standard_normal((37, 101)))
    books, counts = [], [10, 20, 7]
    for version in range(3):
        q = rng.integers(1, 10_000, 101).astype(float)
        if case in ("zeros", "mixed"):
            q[version::5] = 0.0
        if case == "mixed":
            q[1::4] *= -1
        books.append(BookTerms(version, True, 101, q, None, 1234.5 * version, 2.0))
    if case == "nan":
        closes[4, 9] = np.nan
    equity, long, short = _figures(closes, books, counts)
    quantities = np.repeat(np.array([book.quantity for book in books]), counts, axis=0)
    cash = np.repeat([book.cash for book in books], counts)
    values = [row * q for row, q in zip(closes, quantities, strict=True)]
    assert _bits(equity) == _bits([c + float(np.add.reduce(row)) for c, row in zip(cash, values, strict=True)])
    assert _bits(long) == _bits([float(np.add.reduce(row[row > 0])) for row in values])
    assert _bits(short) == _bits([float(np.add.reduce(row[row < 0])) for row in values])


def test_hand_computed_figures_and_an_empty_book():
    book = BookTerms(1, True, 3, np.array([2.0, 0.0, -1.0]), np.array([1.0, 1.0, 10.0]), 100.0, 2.0)
    closes = np.array([[10.0, 5.0, 3.0], [11.0, 5.0, 2.0]])
    # values: [20, 0, -30] and [22, 0, -20]
    assert _figures(closes, [book], [2]) == ([90.0, 102.0], [20.0, 22.0], [-30.0, -20.0])
    empty = BookTerms(1, True, 0, np.zeros(0), None, 7.0, float("inf"))
    assert _figures(np.zeros((2, 0)), [empty], [2]) == ([7.0, 7.0], [0.0, 0.0], [0.0, 0.0])
    # two books in one batch: the second row is the unit-multiplier book's (q x close alone)
    unit = BookTerms(2, True, 3, np.array([1.0, 1.0, 1.0]), None, 0.5, 2.0)
    assert _figures(closes, [book, unit], [1, 1]) == ([90.0, 18.5], [20.0, 18.0], [-30.0, 0.0])


def test_samples_follow_the_book_and_keep_the_closes():
    closes = np.array([[10.0, 20.0], [11.0, 21.0], [12.0, 22.0], [13.0, 23.0]])
    feed = _Feed(closes)
    portfolio = _Portfolio(feed, [0.0, 0.0], 1000.0)
    samples = PortfolioSamples(portfolio, feed)
    for step in range(4):
        feed.step = step
        if step == 2:
            portfolio.change([10.0, -5.0], 1000.0 - 120.0 + 110.0)
        samples.take()
    # steps 2, 3: 990 + 10 x 12 - 5 x 22 = 1000, 990 + 130 - 115 = 1005
    assert samples.series() == ([1000.0, 1000.0, 1000.0, 1005.0], [0.0, 0.0, 120.0, 130.0], [0.0, 0.0, -110.0, -115.0])
    assert np.array(samples.closes).tolist() == closes.tolist()
    portfolio.plain = False  # a book of several currencies: summed at its step
    portfolio.change([1.0, 0.0], 5.0)
    samples.take()
    assert samples.series()[0][-1] == 18.0


def test_checks_without_a_sum():
    closes = np.array([[10.0, 20.0], [-1.0, 20.0], [np.nan, -3.0], [10.0, 20.0]])
    feed = _Feed(closes)
    portfolio = _Portfolio(feed, [5.0, 0.0], 100.0)
    samples = PortfolioSamples(portfolio, feed)
    assert samples.flags() == POSITIVE | CLEAR
    feed.step = 1  # a held column's negative close: the exact figures decide
    assert samples.flags() == 0
    feed.step = 2  # a NaN held close (values NaN: no check acts); the unheld column's close is not read
    assert samples.flags() == POSITIVE | CLEAR
    feed.step = 3
    portfolio.change([5.0, -1.0], 100.0)  # a short position
    assert samples.flags() == 0
    portfolio.change([5.0, 1.0], 0.0)  # no cash: the value may reach zero with the prices
    assert samples.flags() == CLEAR
    portfolio.change([5.0, 1.0], -1.0)
    assert samples.flags() == 0
    portfolio.leverage = 1.05  # 1 / 1.05 leaves less than 5% free: the margin in use decides
    portfolio.change([5.0, 1.0], 10.0)
    assert samples.flags() == POSITIVE
    portfolio.leverage = 1.0 / 0.949
    portfolio.change([5.0, 1.0], 10.0)
    assert samples.flags() == POSITIVE | CLEAR


def test_a_stretch_whose_samples_gain_columns_sums_the_books_columns():
    """A column subscribed during a stretch (not yet in the book): its rows are cut to the book's columns."""
    closes = np.array([[10.0, 20.0, 0.0], [11.0, 21.0, 5.0]])
    feed = _Feed(closes)
    portfolio = _Portfolio(feed, [1.0, 2.0], 3.0)
    samples = PortfolioSamples(portfolio, feed)
    feed.subs = [None, None]
    samples.take()
    feed.step, feed.subs = 1, [None, None, None]
    samples.take()
    assert [len(row) for row in samples.closes] == [2, 3]
    assert samples.series() == ([53.0, 56.0], [50.0, 53.0], [0.0, 0.0])


def test_kept_values_are_the_portfolio_value_then():
    """A value before a day's dividends kept with its closes and book, summed when read; a book that is not
    plain gives its value at once."""
    closes = np.array([[10.0, 20.0], [11.0, 21.0], [12.0, 22.0]])
    feed = _Feed(closes)
    portfolio = _Portfolio(feed, [1.0, 2.0], 3.0)
    samples = PortfolioSamples(portfolio, feed)
    samples.keep_value(100)
    feed.step = 1
    samples.keep_value(200)
    assert samples.kept_values() == {100: 53.0, 200: 56.0}
    feed.step, portfolio.plain = 2, False
    portfolio.change([1.0, 0.0], 4.0)
    samples.keep_value(300)
    assert samples.kept_values() == {100: 53.0, 200: 56.0, 300: 16.0}


def test_batches_of_at_most_cells_values_give_the_same_figures(monkeypatch):
    """Stretches cut into batches of at most ``_CELLS`` values (two rows of two columns here) and kept
    values likewise: the figures of one batch each."""
    from lean_local.engine import portfolio_samples

    def run() -> tuple:
        closes = np.arange(1.0, 15.0).reshape(7, 2)
        feed = _Feed(closes)
        portfolio = _Portfolio(feed, [1.0, 2.0], 3.0)
        samples = PortfolioSamples(portfolio, feed)
        for step in range(7):
            feed.step = step
            if step == 4:
                portfolio.change([2.0, 0.0], 1.0)
            samples.take()
            samples.keep_value(step)
        return samples.series(), samples.kept_values()

    whole = run()
    monkeypatch.setattr(portfolio_samples, "_CELLS", 4)
    assert run() == whole
    # steps 0-3: 3 + 1 x c0 + 2 x c1; steps 4-6: 1 + 2 x c0
    assert whole[0][0] == [8.0, 14.0, 20.0, 26.0, 19.0, 23.0, 27.0]


def test_what_is_held_past_the_pending_bytes_is_summed_at_once_with_the_same_figures(monkeypatch):
    """Past ``_PENDING_BYTES`` of books' quantities and kept closes held, the samples and kept values so far
    are summed and their books let go; the figures are those summed at the end."""
    from lean_local.engine import portfolio_samples

    def run() -> tuple:
        closes = np.arange(1.0, 15.0).reshape(7, 2)
        feed = _Feed(closes)
        portfolio = _Portfolio(feed, [1.0, 2.0], 3.0)
        books = []  # the books' quantities, alive while the samples hold them
        terms = portfolio.book_terms

        def book_terms() -> BookTerms:
            book = terms()
            books.append(weakref.ref(book.quantity))
            return book

        portfolio.book_terms = book_terms  # type: ignore[method-assign]
        samples = PortfolioSamples(portfolio, feed)
        for step in range(7):
            feed.step = step
            if step in (2, 4, 5):
                portfolio.change([2.0, float(step)], 1.0)
            samples.take()
            samples.keep_value(step)
        figures = samples.series(), samples.kept_values()
        return figures, sum(book() is not None for book in books)

    whole, alive = run()
    assert alive == 4  # every book's stretch held to the end
    monkeypatch.setattr(portfolio_samples, "_PENDING_BYTES", 40)  # 16 bytes a book and a kept step's closes
    flushed, alive = run()
    assert flushed == whole
    assert alive == 1  # the last book's: the stretches before it were summed and let go
    # steps 0-1: 3 + 1 x c0 + 2 x c1; 2-3: 1 + 2 x c0 + 2 x c1; 4: 1 + 2 x c0 + 4 x c1; 5-6: 1 + 2 x c0 + 5 x c1
    assert whole[0][0] == [8.0, 14.0, 23.0, 31.0, 59.0, 83.0, 97.0]
    assert whole[1] == dict(enumerate(whole[0][0]))
