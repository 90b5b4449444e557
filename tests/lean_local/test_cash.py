"""``CashBook.total_value_in_account_currency``: the sum of each currency's amount times its rate, as
``sum`` adds them (from 0, in the book's order), with one currency or several."""

from __future__ import annotations

import math

from lean_local.engine.cash import CashBook


def test_the_account_currency_alone_is_sums_zero_plus_its_value():
    book = CashBook()
    book["USD"].amount = 1_234.5
    assert book.total_value_in_account_currency == 1_234.5
    book["USD"].amount = -0.0  # sum's 0 + -0.0 is 0.0, not -0.0
    total = book.total_value_in_account_currency
    assert total == 0.0 and math.copysign(1.0, total) == 1.0


def test_several_currencies_are_summed_in_the_books_order():
    book = CashBook()
    book["USD"].amount = 100.0
    book.ensure("EUR").amount = 10.0
    book["EUR"].conversion_rate = 1.1
    assert book.total_value_in_account_currency == 0 + 100.0 + 10.0 * 1.1
