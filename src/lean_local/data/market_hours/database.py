"""LEAN's ``market-hours-database.json``: entries by ``<SecurityType>-<market>-<symbol>``, with ``[*]``
fallbacks; our generated calendar when a data folder has no file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lean_local.data.market_hours.entry import MarketHoursEntry
from lean_local.data.market_hours.us_calendar import generated_market_hours


class MarketHoursDatabase:
    """LEAN's market-hours database: entries keyed by ``(security type, market, symbol)``.

    Entries read from json are converted on first use (LEAN's file has hundreds); an entry given as
    its json text (:func:`read_entry_texts`) is parsed then too.
    """

    def __init__(self, entries: dict[str, MarketHoursEntry | dict | str]) -> None:
        self._lookup: dict[str, MarketHoursEntry | dict | str] = {
            key.lower(): value for key, value in entries.items()
        }
        self.keys = list(entries)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MarketHoursDatabase:
        """Read ``market-hours-database.json``."""
        return cls(_read_entries(path))

    @classmethod
    def from_data_folder(cls, data_folder: str | os.PathLike[str],
                         read: Callable[[Path], dict[str, str]] | None = None) -> MarketHoursDatabase:
        """The data folder's database, or our generated one when the folder has none.

        ``read`` reads the file's entries as :func:`read_entry_texts` does (the engine passes a reader
        memoized on disk); by default the file is parsed.
        """
        path = Path(data_folder) / "market-hours" / "market-hours-database.json"
        if not path.exists():
            return cls(generated_market_hours())
        return cls(read(path)) if read is not None else cls.from_file(path)

    def get_entry(self, security_type: str, market: str, symbol: str = "[*]") -> MarketHoursEntry:
        """The symbol's entry, else the ``[*]`` entry of its security type and market.

        As LEAN reads its database (``MarketHoursDatabaseJsonConverter``): an option entry without
        holidays, early closes or late opens takes its underlying's (an ``IndexOption`` of SPXW the
        ``Index`` SPX's, else the underlying type's ``[*]``); then a symbol's entry adds the
        holidays of its type's ``[*]`` entry and its early closes and late opens (its own win).

        Raises
        ------
        KeyError
            Neither exists.
        """
        for sym in (symbol, "[*]"):
            key = f"{security_type}-{market}-{sym}".lower()
            found = self._lookup.get(key)
            if isinstance(found, str):
                found = json.loads(found)
            if isinstance(found, dict):
                found = self._lookup[key] = self._converted(MarketHoursEntry.from_json(found), security_type, market,
                                                            sym)
            if found is not None:
                return found
        raise KeyError(f"no market hours for {security_type}-{market}-{symbol} or its [*] entry")

    def _converted(self, entry: MarketHoursEntry, security_type: str, market: str, symbol: str) -> MarketHoursEntry:
        underlying_type = _OPTION_UNDERLYINGS.get(security_type.lower())
        if underlying_type is not None:
            ticker = _INDEX_OPTION_ROOTS.get(symbol.upper(), symbol) if underlying_type == "index" else symbol
            try:
                underlying = self.get_entry(underlying_type, market, ticker)
            except KeyError:
                underlying = None
            if underlying is not None:
                entry = replace(entry,
                                holidays=entry.holidays if len(entry.holidays) else underlying.holidays,
                                bank_holidays=entry.bank_holidays if len(entry.bank_holidays)
                                else underlying.bank_holidays,
                                early_closes=entry.early_closes or dict(underlying.early_closes),
                                late_opens=entry.late_opens or dict(underlying.late_opens))
        if symbol == "[*]":
            return entry
        common = self._lookup.get(f"{security_type}-{market}-[*]".lower())
        if common is None:
            return entry
        if not isinstance(common, MarketHoursEntry):
            common = self.get_entry(security_type, market)
        return replace(entry,
                       holidays=entry.holidays.union(common.holidays),
                       bank_holidays=entry.bank_holidays.union(common.bank_holidays),
                       early_closes={**common.early_closes, **entry.early_closes},
                       late_opens={**common.late_opens, **entry.late_opens})


def read_entry_texts(path: str | os.PathLike[str]) -> dict[str, str]:
    """The file's entries by key, each as its own json text (parsed when the entry is first used).

    The whole file is parsed and checked as :meth:`MarketHoursDatabase.from_file` does. LEAN's file is
    about 3 MB, whose parse is most of a small backtest's own run; an entry's text parses in
    microseconds, so a run that keeps these texts between runs parses only the entries it reads.
    """
    return {key: json.dumps(value) for key, value in _read_entries(path).items()}


def _read_entries(path: str | os.PathLike[str]) -> dict[str, dict]:
    """The ``entries`` object of a market-hours json file (a ``DataFormatError`` naming the line if not one)."""
    from lean_local.data.formats import DataFormatError

    with open(path, encoding="utf-8") as handle:
        try:
            raw = json.load(handle)
        except json.JSONDecodeError as error:
            raise DataFormatError(path, error.lineno, f"{error.msg} (column {error.colno})") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
        raise DataFormatError(path, 1, "a market-hours database holds an 'entries' object")
    return raw["entries"]


# an option type's underlying type, and the index option roots that differ from their index
# (LEAN ``Symbol.GetUnderlyingFromOptionType``, ``IndexOptionSymbol.MapToUnderlying``)
_OPTION_UNDERLYINGS = {"option": "equity", "indexoption": "index", "futureoption": "future"}
_INDEX_OPTION_ROOTS = {"RUTW": "RUT", "SPXW": "SPX", "VIXW": "VIX", "NDXP": "NDX", "NQX": "NDX"}
