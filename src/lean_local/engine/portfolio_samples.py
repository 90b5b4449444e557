"""The run's samples of the portfolio value and of its long and short holdings sums (one a step after the
warm-up: the equity curve and the holdings charts), and the step checks that read the same book: LEAN's
stop at a portfolio value at or below zero and its margin call check (``AlgorithmManager``).

Between two changes of the book (fills, cash, leverage, columns: :attr:`PortfolioBook.book_version`) the
quantities are fixed, so the figures of a stretch of samples are one product of the stretch's closes (a row
per sample, kept anyway for the record's prices) by the quantities and one sum per row, computed when the
figures are read instead of a dot product, a long/short split and their Python at every step. A row's sum is
``np.add.reduce`` along a C-contiguous row, numpy's pairwise sum of the row as the step's 1-D sum, so every
figure is bit for bit the one the step computed (:meth:`SecurityPortfolioManager.total_portfolio_value`,
:meth:`~SecurityPortfolioManager.long_short_values`); a book of several currencies or forex is computed at
its step as before.

The checks need no sum for a book with no short position, non-negative cash and multipliers: its holdings
values are then non-negative or NaN whenever the held columns' closes are not negative (one minimum a
step), so the portfolio value is at least the cash (NaN passes LEAN's ``<= 0`` check too), and with every
leverage at 1 / 0.95 or more the margin in use (``sum |value| / leverage``) leaves more than the 5% warning
share of the value free, by a margin far above any rounding (so LEAN's ``GetMarginCallOrders`` finds no
order and no warning). Any other book or step is checked on the exact figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lean_local.engine.margin_calls import WARNING_SHARE
from lean_local.engine.portfolio_book import BookTerms

_add, _least = np.add.reduce, np.minimum.reduce

POSITIVE = 1  # the portfolio value is above zero (or NaN): LEAN's stop check passes
CLEAR = 2  # no margin call order and no warning
#: the least leverage that leaves the warning share free: ``1 / leverage <= 1 - share - slack`` (a relative
#: slack of 1e-6 covers the sums' rounding, below ``n x 2.2e-16`` of them, for any feasible ``n``)
_CLEAR_LEVERAGE = 1.0 / (1.0 - WARNING_SHARE - 1e-6)
#: the values summed in one batch at most (64 KB arrays, reused from batch to batch: fewer page faults than larger ones)
_CELLS = 8_192
#: the bytes of books' quantities and kept closes held for later sums at most (a batch's values): a run of
#: thousands of columns whose book changes every day would otherwise hold a copy of the quantities a day (ML
#: 3,000 x 20 years: +170 MB); more (1 MB: +35 MB) leaves holes among the samples' closes, which grow with the
#: columns and so fit no freed copy
_PENDING_BYTES = 8 * _CELLS


class PortfolioSamples:
    """A run's samples (:meth:`take`), their figures (:meth:`series`) and the step checks (:meth:`flags`).

    Parameters
    ----------
    portfolio : SecurityPortfolioManager
        The algorithm's portfolio (its :class:`~lean_local.engine.portfolio_book.PortfolioBook` members).
    feed : DataFeed
        The run's feed: ``step``, ``subs`` and ``current_closes``.
    """

    def __init__(self, portfolio: Any, feed: Any) -> None:
        self._portfolio = portfolio
        self._feed = feed
        self.closes: list[np.ndarray] = []  # each sample's closes per column (the columns present then)
        self._equity: list[float] = []
        self._long: list[float] = []
        self._short: list[float] = []
        #: (first sample, book, summed later): a stretch runs to the next one's first sample
        self._stretches: list[tuple[int, BookTerms, bool]] = []
        self._exact: list[tuple[float, float, float]] = []  # the figures of the samples summed at their step
        self._settled = 0  # samples whose figures are in the lists
        self._exact_settled = 0  # of the exact figures
        self._book: BookTerms | None = None
        self._sampled: BookTerms | None = None  # the book of the last stretch
        self._later = False  # its figures are summed later
        self._book_flags = 0  # what the book passes whatever the closes (POSITIVE, CLEAR)
        self._held: np.ndarray | None = None  # the book's columns held (None: every column)
        self._checked = (-2, -1, 0)  # (feed step, book version, flags) of the last check
        #: the values kept by key (:meth:`keep_value`) not summed yet: (key, book, its closes) or (key, None, the value)
        self._kept: list[tuple[int, BookTerms | None, Any]] = []
        self._kept_values: dict[int, float] = {}
        self._pending = 0  # the bytes held for later sums (books' quantities, kept closes) since the last settle

    def _refresh(self) -> BookTerms:
        """Read the book again (its version changed)."""
        book = self._book = self._portfolio.book_terms()
        q, n = book.quantity, book.columns
        flags = 0
        if (book.plain and book.cash >= 0 and not (n and q.item(q.argmin()) < 0)
                and (book.multipliers is None or not (n and book.multipliers.item(book.multipliers.argmin()) < 0))):
            flags = (POSITIVE if book.cash > 0 else 0) | (CLEAR if book.least_leverage >= _CLEAR_LEVERAGE else 0)
            held = np.flatnonzero(q > 0)
            self._held = None if len(held) == n else held
        self._book_flags = flags
        return book

    def flags(self) -> int:
        """The checks the book surely passes at the feed's current step, told without a sum: ``POSITIVE``
        (the portfolio value is above zero, or NaN) and ``CLEAR`` (LEAN's margin call check finds no order
        and no warning) bits."""
        step, version = self._feed.step, self._portfolio.book_version
        checked = self._checked
        if checked[0] == step and checked[1] == version:
            return checked[2]
        book = self._book
        if book is None or book.version != version:
            book = self._refresh()
        flags = self._book_flags
        if flags and book.columns:
            closes = self._feed.current_closes(book.columns)
            held = self._held
            if held is not None:
                closes = closes.take(held)
            # the least close, or the first NaN (argmin: a fifth of np.minimum.reduce's cost): a NaN makes
            # the portfolio value and the margin in use NaN, which neither check acts on
            if len(closes) and closes.item(closes.argmin()) < 0:
                flags = 0
        self._checked = (step, version, flags)
        return flags

    def take(self) -> None:
        """Sample the portfolio now: its closes kept, its figures summed later (or now: :class:`BookTerms`'
        ``plain``)."""
        feed = self._feed
        m = len(feed.subs)
        k = len(self.closes)
        self.closes.append(feed.current_closes(m).copy())
        portfolio = self._portfolio
        book = self._book
        if book is None or book.version != portfolio.book_version:
            book = self._refresh()
        if book is not self._sampled:
            self._sampled = book
            self._later = book.plain and book.columns <= m
            self._stretches.append((k, book, self._later))
            if self._later:
                self._hold(book.quantity.nbytes)
        if not self._later:
            self._exact.append((portfolio.total_portfolio_value, *portfolio.long_short_values()))

    def keep_value(self, key: int) -> None:
        """Keep the portfolio value now under ``key`` (:meth:`kept_values`): its closes and book, summed when
        read (the value itself for a book that is not plain)."""
        portfolio = self._portfolio
        book = self._book
        if book is None or book.version != portfolio.book_version:
            book = self._refresh()
        if book.plain and book.columns <= len(self._feed.subs):
            closes = self._feed.current_closes(book.columns).copy()
            self._kept.append((key, book, closes))
            self._hold(closes.nbytes)
        else:
            self._kept.append((key, None, portfolio.total_portfolio_value))

    def _hold(self, size: int) -> None:
        """Count ``size`` more bytes held for later sums; past :data:`_PENDING_BYTES`, sum what is held now
        (the same figures as at the end: each sample's sum is its own row's) and let it go."""
        self._pending += size
        if self._pending > _PENDING_BYTES:
            self._pending = 0
            self.series()
            self.kept_values()
            del self._stretches[:-1]  # the samples before the last stretch are settled

    def kept_values(self) -> dict[int, float]:
        """The values kept by :meth:`keep_value`, by key in the order kept."""
        kept, values = self._kept, self._kept_values
        i = 0
        while i < len(kept):
            key, book, closes = kept[i]
            if book is None:
                values[key] = closes
                i += 1
                continue
            # the values kept with books of as many columns (up to _CELLS values): one stack and one sum a row
            j, most = i + 1, _CELLS // max(book.columns, 1)
            while j < len(kept) and (other := kept[j][1]) is not None and other.columns == book.columns \
                    and j - i < most:
                j += 1
            run = kept[i:j]
            books = [book for _, book, _ in run]
            equity = _values(np.array([closes for _, _, closes in run]).reshape(j - i, book.columns), books,
                             [1] * (j - i))[2]
            values.update(zip([key for key, _, _ in run], equity.tolist(), strict=True))
            i = j
        kept.clear()  # summed: the closes and books go
        return values

    def series(self) -> tuple[list[float], list[float], list[float]]:
        """The samples' portfolio values, long sums and short sums (account currency)."""
        if self._settled < len(self.closes):
            self._settle()
        return self._equity, self._long, self._short

    def _settle(self) -> None:
        stretches, count, done = self._stretches, len(self.closes), self._settled
        spans = []  # the unsettled samples of each stretch: (first, end, book summed later or None)
        for i, (first, book, later) in enumerate(stretches):
            end = stretches[i + 1][0] if i + 1 < len(stretches) else count
            if max(first, done) < end:
                spans.append((max(first, done), end, book if later else None))
        exact, i = self._exact_settled, 0
        while i < len(spans):
            lo, end, book = spans[i]
            if book is None:
                equity, long, short = (list(figures) for figures in zip(*self._exact[exact:exact + end - lo], strict=True))
                exact += end - lo
                i += 1
            else:
                # the following stretches summed later whose books have as many columns, up to _CELLS
                # values: one batch (small arrays, reused from batch to batch: no fresh memory to fault in)
                most = _CELLS // max(book.columns, 1)
                if end - lo > most:  # the stretch's first rows, the rest next
                    spans[i] = (lo + most, end, book)
                    equity, long, short = self._batch([(lo, lo + most, book)])
                else:
                    j, rows = i + 1, end - lo
                    while j < len(spans) and (other := spans[j][2]) is not None and other.columns == book.columns \
                            and rows + spans[j][1] - spans[j][0] <= most:
                        rows += spans[j][1] - spans[j][0]
                        j += 1
                    equity, long, short = self._batch(spans[i:j])
                    i = j
            self._equity.extend(equity)
            self._long.extend(long)
            self._short.extend(short)
        self._settled, self._exact_settled = count, exact

    def _batch(self, spans: list[tuple[int, int, Any]]) -> tuple[list[float], list[float], list[float]]:
        """The figures of the samples of ``spans`` (stretches whose books have as many columns)."""
        n = spans[0][2].columns
        rows = [row for lo, end, _ in spans for row in self.closes[lo:end]]
        if any(len(row) != n for row in rows):  # a column subscribed during a stretch: not the book's
            rows = [row[:n] for row in rows]
        return _figures(np.array(rows).reshape(len(rows), n), [book for _, _, book in spans],
                        [end - lo for lo, end, _ in spans])


def _values(closes: np.ndarray, books: list[BookTerms], counts: list[int]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The holdings values ``quantity * close [* multiplier]`` of ``closes`` (a row a sample, the books'
    columns; ``counts[i]`` rows of ``books[i]`` in turn), their sums by row (``np.add.reduce`` along each
    C-contiguous row: the portfolio's 1-D pairwise sum of the same values) and the portfolio values
    ``cash + sum``."""
    counts_array = np.array(counts)
    quantities = np.repeat(np.array([book.quantity for book in books]).reshape(len(books), closes.shape[1]),
                           counts_array, axis=0)
    values = closes * quantities
    if any(book.multipliers is not None for book in books):
        ones = np.ones(closes.shape[1])  # a product by 1.0 changes no bit: a book of unit multipliers
        values *= np.repeat(np.array([ones if book.multipliers is None else book.multipliers for book in books]),
                            counts_array, axis=0)
    held = _add(values, axis=1)
    return values, held, np.repeat(np.array([book.cash for book in books]), counts_array) + held


def _figures(closes: np.ndarray, books: list[BookTerms], counts: list[int]
             ) -> tuple[list[float], list[float], list[float]]:
    """The portfolio values, long sums and short sums of samples (:func:`_values`' ``closes``, ``books``
    and ``counts``) as the portfolio computes each at its step: the long and short sums are that sum for a
    row whose values are all above zero, else ``add.reduce`` of the row's positive values and of its
    negative ones, in column order."""
    values, held, equity = _values(closes, books, counts)
    rows = len(values)
    if not closes.shape[1]:
        zeros = [0.0] * rows
        return equity.tolist(), zeros, list(zeros)
    long, short = held.copy(), np.zeros(rows)
    mixed = np.flatnonzero(~(_least(values, axis=1) > 0))
    if len(mixed):
        book_of = np.repeat(np.arange(len(books)), counts)[mixed]
        for b in np.unique(book_of).tolist():
            _split_signs(values, mixed[book_of == b], books[b].quantity, long, short)
    return equity.tolist(), long.tolist(), short.tolist()


def _split_signs(values: np.ndarray, rows: np.ndarray, q: np.ndarray, long: np.ndarray, short: np.ndarray) -> None:
    """The long and short sums of ``values[rows]`` (rows of one book of quantities ``q``), into ``long`` and
    ``short``: a row whose positive values are those of the columns held long (and negative those held
    short) sums them as one gather of those columns; any other row (a zero or NaN close) on its own."""
    part = values[rows]  # a C-contiguous copy: its rows sum as the 1-D rows do
    positive, negative = q > 0, q < 0
    alike = ((part > 0) == positive).all(axis=1) & ((part < 0) == negative).all(axis=1)
    same = part[alike]
    long[rows[alike]] = _add(same.take(np.flatnonzero(positive), axis=1), axis=1)
    short[rows[alike]] = _add(same.take(np.flatnonzero(negative), axis=1), axis=1)
    for i in rows[~alike].tolist():
        row = values[i]
        long[i], short[i] = _add(row[row > 0]), _add(row[row < 0])
