"""Numbers and money printed as LEAN prints them (C#'s decimal rounding and formats)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

from lean_local.statistics.record import JSON_DIGITS

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "₤", "JPY": "¥", "CAD": "$", "AUD": "$", "CHF": "CHF ", "INR": "₹"}


def currency_symbol(code: str) -> str:
    """LEAN's ``Currencies.GetCurrencySymbol``: ``"$"`` for USD, the code itself when unknown."""
    return CURRENCY_SYMBOLS.get(code, code)


# Number helpers matching C#'s rounding and printing


def smart_rounding(values: np.ndarray) -> np.ndarray:
    """LEAN's ``SmartRounding``: 4 decimals above 1000, otherwise 7 significant digits.

    Parameters
    ----------
    values : np.ndarray
        Prices; NaN stays NaN, 0 stays 0.
    """
    v = np.asarray(values, dtype=float)
    out = np.round(v, 4)
    small = np.isfinite(v) & (np.abs(v) <= 1000) & (v != 0)
    if small.any():
        magnitude = np.floor(np.log10(np.abs(v[small])))
        digits = (6 - magnitude).astype(int)
        out[small] = [round(x, int(d)) for x, d in zip(v[small], digits, strict=True)]
    return out


def to_decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def format_decimal(value: float, digits: int, *, keep_zeros: bool = True) -> str:
    """``Math.Round(decimal, digits).ToString()``: banker's rounding, ``digits`` decimals kept.

    An exact zero prints ``"0"`` (a C# decimal zero carries no scale in these statistics).
    """
    if value == 0 or not math.isfinite(value):
        return "0"
    q = to_decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)  # a decimal rounded to zero prints without its sign ("0.00", not "-0.00")
    text = format(q, "f")
    if not keep_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_double(value: float, digits: int = 3) -> str:
    """``Math.Round(double, digits).ToString()``: shortest form, no trailing zeros (``-19``, ``0.02``)."""
    if not math.isfinite(value):
        return "0"
    text = format(to_decimal(round(value, digits)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_money(value: float) -> str:
    """``decimal.ToString("0.00")``: two decimals, midpoints away from zero.

    LEAN sums money in exact decimals; a float sum of the same amounts can land just below a midpoint
    (fees 2.195 + 1.11 + ... = 17.924999999999997), so the float is first rounded to 8 decimals.
    """
    return format(to_decimal(round(value, 8)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def json_decimal(value: float) -> str:
    """``JsonRoundingConverter``: a decimal written as a string rounded to 4 decimals."""
    return format_decimal(value, JSON_DIGITS, keep_zeros=False)


def round_significant(value: float, digits: int) -> float:
    """LEAN's ``RoundToSignificantDigits``."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    scale = 10 ** math.floor(math.log10(abs(value)) + 1)
    return scale * round(value / scale, digits)
