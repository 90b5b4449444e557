"""Shortable providers (LEAN ``QuantConnect.Data.Shortable``) and LEAN's shortable-quantity rule.

A provider answers, for a symbol on a local date, how many shares may be shorted (``None``: no
limit), and the borrow fee and rebate rates (fractions a year). Every security has one
(``security.shortable_provider``, from the brokerage model, or ``security.set_shortable_provider``);
a short order that would take the position plus open orders below ``-shortable_quantity`` is
rejected when it is submitted, with LEAN's message (:func:`shortable_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lean_local.engine.globals import DefaultDataProvider, Globals


class NullShortableProvider:
    """No limit: every quantity is shortable, fee and rebate rates 0 (LEAN's default)."""

    def fee_rate(self, symbol: Any, local_time: datetime) -> float:
        return 0.0

    def rebate_rate(self, symbol: Any, local_time: datetime) -> float:
        return 0.0

    def shortable_quantity(self, symbol: Any, local_time: datetime) -> int | None:
        return None


class LocalDiskShortableProvider:
    """Shortable quantities from ``<data>/<type>/<market>/shortable/<brokerage>/symbols/<ticker>.csv``.

    Rows ``YYYYMMDD,quantity,rebate%,fee%`` (rates in percent, either may be empty; ``#`` lines are
    comments). A date without a row is shortable without limit (``None``) with zero rates, as in
    LEAN. The file of one ticker is read once and kept until another ticker is asked for.

    Parameters
    ----------
    brokerage : str
        The folder under ``shortable/`` (lower-cased, as LEAN does).
    """

    data_provider = DefaultDataProvider()

    def __init__(self, brokerage: str) -> None:
        self.brokerage = str(brokerage).lower()
        self._ticker: str | None = None
        self._rows: dict[date, tuple[int | None, float, float]] = {}

    def _rows_for(self, symbol: Any) -> dict[date, tuple[int | None, float, float]]:
        ticker = symbol.value
        if ticker == self._ticker:
            return self._rows
        path = (Path(Globals.data_folder) / symbol.security_type.name.lower() / symbol.market / "shortable"
                / self.brokerage / "symbols" / f"{ticker.lower()}.csv")
        rows: dict[date, tuple[int | None, float, float]] = {}
        for number, line in enumerate(self.data_provider.read_lines(str(path)), start=1):
            if not line or line.startswith("#"):
                continue
            cells = line.split(",")
            try:
                day = datetime.strptime(cells[0], "%Y%m%d").date()
                quantity = int(cells[1]) if cells[1] else None
                rebate = float(cells[2]) / 100 if len(cells) > 2 and cells[2] else 0.0
                fee = float(cells[3]) / 100 if len(cells) > 3 and cells[3] else 0.0
            except (ValueError, IndexError) as error:
                raise ValueError(f"{path}:{number}: bad shortable row {line!r} ({error})") from None
            rows[day] = (quantity, rebate, fee)
        self._ticker, self._rows = ticker, rows
        return rows

    def _row(self, symbol: Any, local_time: datetime) -> tuple[int | None, float, float] | None:
        if symbol is None:
            return None
        return self._rows_for(symbol).get(_day(local_time))

    def fee_rate(self, symbol: Any, local_time: datetime) -> float:
        row = self._row(symbol, local_time)
        return row[2] if row is not None else 0.0

    def rebate_rate(self, symbol: Any, local_time: datetime) -> float:
        row = self._row(symbol, local_time)
        return row[1] if row is not None else 0.0

    def shortable_quantity(self, symbol: Any, local_time: datetime) -> int | None:
        row = self._row(symbol, local_time)
        return row[0] if row is not None else None


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def shortable_quantity(security: Any) -> int:
    """``QCAlgorithm.ShortableQuantity``: the provider's quantity now, 0 when it has no limit."""
    quantity = security.shortable_provider.shortable_quantity(security.symbol, security.local_time)
    return 0 if quantity is None else int(quantity)


def is_shortable(security: Any, quantity: float, open_quantity: Callable[[], float]) -> bool:
    """``QCAlgorithm.Shortable``: can ``quantity`` more shares be shorted?

    Parameters
    ----------
    security : Security
        The security (its provider is asked at its local time).
    quantity : float
        The order quantity; only its size counts (it is taken as a sale).
    open_quantity : callable
        Gives the remaining quantity of the security's open orders (signed), excluding an order being
        updated; asked only when the provider sets a limit.
    """
    limit = security.shortable_provider.shortable_quantity(security.symbol, security.local_time)
    if limit is None:
        return True
    held = security.holdings.quantity
    pending = open_quantity()
    if held + pending <= -limit:
        return False
    return held - abs(quantity) + pending >= -limit


def shortable_error(security: Any, quantity: float) -> str:
    """LEAN's ``GetShortableErrorMessage`` (the unbalanced parenthesis is LEAN's)."""
    return (f"Order exceeds shortable quantity {shortable_quantity(security)} for Symbol {security.symbol} "
            f"requested {_decimal(quantity)})")


def _decimal(value: float) -> str:
    """A quantity as C# prints a decimal (``-1001``, ``-10.5``)."""
    return f"{value:.8f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
