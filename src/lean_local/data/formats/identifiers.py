"""LEAN's security identifier strings of US equities (coarse files' first column)."""

from __future__ import annotations

import pandas as pd

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: LEAN packs an equity's identifier as ``days * 10**14 + market * 100 + security type``, where
#: ``days`` is the OLE automation date (days since 1899-12-30) of the first listing.
_SID_DAYS_OFFSET = 10**14
_SID_MARKET_USA = 1
_SID_TYPE_EQUITY = 1
_OLE_EPOCH = pd.Timestamp("1899-12-30")


def equity_sid(ticker: str, first_date) -> str:
    """LEAN's security identifier string of a US equity, as in coarse files' first column.

    Parameters
    ----------
    ticker : str
        The ticker at listing (the first map-file row's ticker).
    first_date : date-like
        The listing date (LEAN uses 1998-01-02 for securities listed before its data starts).

    Returns
    -------
    str
        ``"<TICKER> <base36>"``, e.g. ``equity_sid("SPY", "1998-01-02") == "SPY R735QTJ8XC9X"``.
    """
    days = (pd.Timestamp(first_date).normalize() - _OLE_EPOCH).days
    value = days * _SID_DAYS_OFFSET + _SID_MARKET_USA * 100 + _SID_TYPE_EQUITY
    digits = []
    while value:
        value, rest = divmod(value, 36)
        digits.append(_BASE36[rest])
    return f"{ticker.upper()} {''.join(reversed(digits))}"


def parse_equity_sid(sid: str) -> tuple[str, pd.Timestamp] | None:
    """The first ticker and listing date packed in an equity's security identifier string.

    The inverse of :func:`equity_sid` (LEAN's ``SecurityIdentifier.Parse``: the date field is the
    OLE automation day number). None for a string that is not ``"<TICKER> <base36>"``.
    """
    ticker, _, code = sid.strip().partition(" ")
    try:
        days = int(code, 36) // _SID_DAYS_OFFSET % 100_000
    except ValueError:
        return None
    if not ticker:
        return None
    return ticker.upper(), _OLE_EPOCH + pd.Timedelta(days=days)
