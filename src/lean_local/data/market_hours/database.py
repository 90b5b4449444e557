"""LEAN's ``market-hours-database.json``: entries by ``<SecurityType>-<market>-<symbol>``, with ``[*]``
fallbacks; our generated calendar when a data folder has no file."""

from __future__ import annotations

import json
import os
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

        Raises
        ------
        KeyError
            Neither exists.
        """
        for key in (f"{security_type}-{market}-{symbol}".lower(), f"{security_type}-{market}-[*]".lower()):
            found = self._lookup.get(key)
            if isinstance(found, dict):
                found = self._lookup[key] = MarketHoursEntry.from_json(found)
            if found is not None:
                return found
        raise KeyError(f"no market hours for {security_type}-{market}-{symbol} or its [*] entry")

