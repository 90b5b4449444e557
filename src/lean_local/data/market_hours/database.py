"""LEAN's ``market-hours-database.json``: entries by ``<SecurityType>-<market>-<symbol>``, with ``[*]``
fallbacks; our generated calendar when a data folder has no file."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from lean_local.data.market_hours.entry import MarketHoursEntry
from lean_local.data.market_hours.us_calendar import generated_market_hours


class MarketHoursDatabase:
    """LEAN's market-hours database: entries keyed by ``(security type, market, symbol)``.

    Entries read from json are parsed on first use (LEAN's file has hundreds).
    """

    def __init__(self, entries: dict[str, MarketHoursEntry | dict]) -> None:
        self._lookup: dict[str, MarketHoursEntry | dict] = {
            key.lower(): value for key, value in entries.items()
        }
        self.keys = list(entries)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MarketHoursDatabase:
        """Read ``market-hours-database.json``."""
        from lean_local.data.formats import DataFormatError

        with open(path, encoding="utf-8") as handle:
            try:
                raw = json.load(handle)
            except json.JSONDecodeError as error:
                raise DataFormatError(path, error.lineno, f"{error.msg} (column {error.colno})") from error
        if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
            raise DataFormatError(path, 1, "a market-hours database holds an 'entries' object")
        return cls(raw["entries"])

    @classmethod
    def from_data_folder(cls, data_folder: str | os.PathLike[str]) -> MarketHoursDatabase:
        """The data folder's database, or our generated one when the folder has none."""
        path = Path(data_folder) / "market-hours" / "market-hours-database.json"
        if path.exists():
            return cls.from_file(path)
        return cls(generated_market_hours())

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
        if isinstance(common, dict):
            common = self.get_entry(security_type, market)
        return replace(entry,
                       holidays=entry.holidays.union(common.holidays),
                       bank_holidays=entry.bank_holidays.union(common.bank_holidays),
                       early_closes={**common.early_closes, **entry.early_closes},
                       late_opens={**common.late_opens, **entry.late_opens})


# an option type's underlying type, and the index option roots that differ from their index
# (LEAN ``Symbol.GetUnderlyingFromOptionType``, ``IndexOptionSymbol.MapToUnderlying``)
_OPTION_UNDERLYINGS = {"option": "equity", "indexoption": "index", "futureoption": "future"}
_INDEX_OPTION_ROOTS = {"RUTW": "RUT", "SPXW": "SPX", "VIXW": "VIX", "NDXP": "NDX", "NQX": "NDX"}
