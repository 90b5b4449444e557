"""What every LEAN data format shares: :class:`DataFormatError`, LEAN's constants, the column names."""

from __future__ import annotations

import os

import pandas as pd

#: LEAN stores US equity prices as integers in units of 1/10,000 dollar ("deci-cents").
EQUITY_PRICE_SCALE = 10_000
#: The date LEAN uses for "no end": the last map-file row of a listed ticker and the last factor row.
FAR_FUTURE = pd.Timestamp("2050-12-31")

TRADE_COLUMNS = ["open", "high", "low", "close", "volume"]
QUOTE_COLUMNS = [
    "bid_open",
    "bid_high",
    "bid_low",
    "bid_close",
    "bid_size",
    "ask_open",
    "ask_high",
    "ask_low",
    "ask_close",
    "ask_size",
]
FACTOR_COLUMNS = ["price_factor", "split_factor", "reference_price"]
COARSE_COLUMNS = [
    "sid",
    "symbol",
    "close",
    "volume",
    "dollar_volume",
    "has_fundamental_data",
    "price_factor",
    "split_factor",
]


class DataFormatError(ValueError):
    """A data file that cannot be read as LEAN's format.

    ``str(error)`` is ``"{path}:{line}: {message}"``; ``line`` is 1-based, 0 when the problem is
    not tied to one line (unreadable zip, missing file, empty file).
    """

    def __init__(self, path: str | os.PathLike[str], line: int, message: str) -> None:
        self.path = str(path)
        self.line = int(line)
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")

    def __reduce__(self):  # pickling across joblib/multiprocessing keeps the three fields
        return (type(self), (self.path, self.line, self.message))


#: LEAN reads prices and volumes into 64-bit integers; a value at or above this cannot be written.
INT64_LIMIT = float(2**63)
