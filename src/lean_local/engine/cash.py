"""The cash book: one :class:`Cash` per currency, in the account currency (LEAN ``Cash``, ``CashBook``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lean_local.engine.securities import Security


class Cash:
    """One currency in the cash book: ``amount`` and ``conversion_rate`` to the account currency."""

    def __init__(self, symbol: str, amount: float = 0.0, conversion_rate: float = 1.0) -> None:
        self.symbol = symbol
        self._amount = float(amount)
        self.conversion_rate = float(conversion_rate)
        self._listener: Callable[[], None] | None = None  # the portfolio's cache invalidation
        # (security, invert): the rate is the security's price, or 1 / price
        self.currency_conversion: tuple[Security, bool] | None = None

    @property
    def amount(self) -> float:
        return self._amount

    @amount.setter
    def amount(self, value: float) -> None:
        self._amount = float(value)
        if self._listener is not None:
            self._listener()

    @property
    def value_in_account_currency(self) -> float:
        return self.amount * self.conversion_rate

    def add_amount(self, amount: float) -> float:
        self.amount = self._amount + float(amount)
        return self.amount

    def set_amount(self, amount: float) -> None:
        self.amount = float(amount)

    def update(self) -> None:
        if self.currency_conversion is None:
            return
        security, invert = self.currency_conversion
        price = security.price
        if price > 0:
            self.conversion_rate = 1.0 / price if invert else price
            if self._listener is not None:
                self._listener()

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.amount:.2f} @ {self.conversion_rate:g}"


class CashBook(dict):
    """``portfolio.cash_book``: currency -> :class:`Cash`; ``account_currency`` (USD unless
    :meth:`set_account_currency`) has the rate 1."""

    def __init__(self, listener: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._listener = listener
        self.account_currency = "USD"
        self.ensure("USD").conversion_rate = 1.0

    def set_account_currency(self, currency: str) -> None:
        """LEAN's ``CashBook.AccountCurrency`` setter: the old account currency's entry leaves the
        book and its amount becomes the new account currency's, at the rate 1."""
        old = self.pop(self.account_currency, None)
        self.account_currency = currency.upper()
        cash = self.ensure(self.account_currency)
        cash.conversion_rate = 1.0
        cash.currency_conversion = None
        cash.amount = old.amount if old is not None else 0.0

    def ensure(self, currency: str) -> Cash:
        if currency not in self:
            cash = Cash(currency, 0.0, 0.0)
            cash._listener = self._listener
            self[currency] = cash
        return self[currency]

    @property
    def total_value_in_account_currency(self) -> float:
        if len(self) == 1:  # the account currency alone (the portfolio value's every step): sum's 0 + the value
            (cash,) = self.values()
            return float(0 + cash.amount * cash.conversion_rate)
        return float(sum(c.amount * c.conversion_rate for c in self.values()))

    def convert_to_account_currency(self, amount: float, currency: str) -> float:
        return amount * self[currency].conversion_rate
