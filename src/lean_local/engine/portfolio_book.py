"""The portfolio's book as the run's samples read it (:mod:`lean_local.engine.portfolio_samples`): a number
that changes whenever a figure of the portfolio value may (quantities, cash, rates, leverage, columns), and
the terms that value is summed from while that number holds."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class BookTerms(NamedTuple):
    """The book at one version: the portfolio value is ``cash + add.reduce(quantity * closes [* multipliers])``
    over the first ``columns`` feed columns when ``plain`` (one currency, no forex: no rate in the
    products, every holding in the sum)."""

    version: int
    plain: bool
    columns: int
    quantity: np.ndarray  # a copy of the held quantities (not updated in place)
    multipliers: np.ndarray | None  # None: every multiplier is 1 (the product by it changes no bit)
    cash: float  # the cash book's value in account currency
    least_leverage: float


class PortfolioBook:
    """The book's version and terms (a mixin of ``SecurityPortfolioManager``)."""

    _version: int
    _least_leverage: tuple[int, float]  # (book version, the registered columns' least leverage then)
    _leverage: np.ndarray
    _any_cash_based: bool
    _unit_multipliers: bool
    _multiplier: np.ndarray
    quantity: np.ndarray
    cash_book: Any
    by_column: list[Any]

    @property
    def book_version(self) -> int:
        """Changes when anything the portfolio value is summed from changes, except the closes."""
        return self._version

    def least_leverage(self) -> float:
        """The least leverage of the registered columns (infinite without any), for margin call checks."""
        version, least = self._least_leverage
        if version != self._version:
            n = len(self.by_column)
            least = float(np.minimum.reduce(self._leverage[:n])) if n else float("inf")
            self._least_leverage = (self._version, least)
        return least

    def book_terms(self) -> BookTerms:
        """The book's terms now (:class:`BookTerms`)."""
        n = len(self.by_column)
        plain = len(self.cash_book) == 1 and not self._any_cash_based
        multipliers = None if self._unit_multipliers else self._multiplier[:n].copy()
        return BookTerms(self._version, plain, n, self.quantity[:n].copy(), multipliers,
                         self.cash_book.total_value_in_account_currency, self.least_leverage())
