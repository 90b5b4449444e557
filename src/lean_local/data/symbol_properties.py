"""LEAN's symbol-properties database: lot size, tick size, quote currency, contract multiplier.

Reads ``symbol-properties/symbol-properties-database.csv`` (header ``market,symbol,type,
description,quote_currency,contract_multiplier,minimum_price_variation,lot_size,market_ticker,
minimum_order_size,price_magnifier,strike_multiplier``; ``#`` lines are comments; trailing fields
may be absent) and writes a small database of our own for generated data folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lean_local.atomic import atomic_write
from lean_local.data.formats import DataFormatError

__all__ = [
    "SymbolProperties",
    "SymbolPropertiesDatabase",
    "HEADER",
    "default_properties",
    "generated_symbol_properties",
    "write_symbol_properties_database",
    "forex_tick_size",
]

HEADER = (
    "market,symbol,type,description,quote_currency,contract_multiplier,minimum_price_variation,lot_size,"
    "market_ticker,minimum_order_size,price_magnifier,strike_multiplier"
)


@dataclass(frozen=True)
class SymbolProperties:
    """Trading properties of one symbol (LEAN's ``SymbolProperties``).

    ``minimum_price_variation`` is the tick in quote currency; ``lot_size`` the smallest
    tradable quantity step; ``minimum_order_size`` None when unset.
    """

    description: str
    quote_currency: str
    contract_multiplier: float
    minimum_price_variation: float
    lot_size: float
    market_ticker: str = ""
    minimum_order_size: float | None = None
    price_magnifier: float = 1.0
    strike_multiplier: float = 1.0


def forex_tick_size(pair: str) -> float:
    """Oanda's tick: 0.001 for JPY-quoted pairs, 0.00001 otherwise (LEAN's database values)."""
    return 0.001 if pair.upper().endswith("JPY") else 0.00001


def default_properties(security_type: str, symbol: str) -> SymbolProperties:
    """Properties when the database has neither the symbol nor a ``[*]`` row.

    Forex: the quote currency is the pair's last three letters, lot 1, Oanda's tick. Anything
    else: USD, multiplier 1, tick 0.01, lot 1 (LEAN's defaults for US equities and indices).
    """
    if security_type.lower() == "forex":
        pair = symbol.upper()
        return SymbolProperties(f"{pair[:3]}/{pair[3:]}", pair[3:], 1.0, forex_tick_size(pair), 1.0)
    return SymbolProperties("", "USD", 1.0, 0.01, 1.0)


def _float(path, line: int, text: str, name: str, default: float | None) -> float | None:
    text = text.strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise DataFormatError(path, line, f"{name}: not a number: {text!r}") from None


class SymbolPropertiesDatabase:
    """Rows keyed by ``(market, symbol, security type)``, case-insensitive; first row wins (as LEAN)."""

    def __init__(self, rows: dict[tuple[str, str, str], SymbolProperties]) -> None:
        self.rows = rows

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SymbolPropertiesDatabase:
        """Parse the csv; malformed rows raise :class:`DataFormatError` with the line."""
        rows: dict[tuple[str, str, str], SymbolProperties] = {}
        with open(path, encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.startswith("#") or line.startswith("market,symbol"):
                    continue
                parts = line.split(",")
                if len(parts) < 8:
                    raise DataFormatError(path, number, f"expected at least 8 fields, found {len(parts)}")
                parts += [""] * (12 - len(parts))
                key = (parts[0].strip().lower(), parts[1].strip().upper(), parts[2].strip().lower())
                if key in rows:
                    continue
                rows[key] = SymbolProperties(
                    description=parts[3],
                    quote_currency=parts[4].strip(),
                    contract_multiplier=_float(path, number, parts[5], "contract_multiplier", 1.0),
                    minimum_price_variation=_float(path, number, parts[6], "minimum_price_variation", 0.01),
                    lot_size=_float(path, number, parts[7], "lot_size", 1.0),
                    market_ticker=parts[8].strip(),
                    minimum_order_size=_float(path, number, parts[9], "minimum_order_size", None),
                    price_magnifier=_float(path, number, parts[10], "price_magnifier", 1.0),
                    strike_multiplier=_float(path, number, parts[11], "strike_multiplier", 1.0),
                )
        return cls(rows)

    @classmethod
    def from_data_folder(cls, data_folder: str | os.PathLike[str]) -> SymbolPropertiesDatabase:
        """The folder's database, or our generated rows when the folder has none."""
        path = Path(data_folder) / "symbol-properties" / "symbol-properties-database.csv"
        return cls.from_file(path) if path.exists() else cls(generated_symbol_properties())

    def get(self, market: str, symbol: str, security_type: str) -> SymbolProperties:
        """The symbol's row, else its market and type's ``[*]`` row, else :func:`default_properties`."""
        market, security_type = market.lower(), security_type.lower()
        for key in ((market, symbol.upper(), security_type), (market, "[*]", security_type)):
            if key in self.rows:
                return self.rows[key]
        return default_properties(security_type, symbol)


def generated_symbol_properties(
    pairs: tuple[str, ...] = ("EURUSD", "GBPUSD", "USDCAD", "USDJPY"),
) -> dict[tuple[str, str, str], SymbolProperties]:
    """Our rows: US equity and index ``[*]`` rows, and Oanda rows for ``pairs``."""
    rows = {
        ("usa", "[*]", "equity"): SymbolProperties("", "USD", 1.0, 0.01, 1.0),
        ("usa", "[*]", "index"): SymbolProperties("", "USD", 1.0, 0.01, 1.0),
    }
    for pair in pairs:
        rows[("oanda", pair.upper(), "forex")] = default_properties("forex", pair)
    return rows


def _number(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def write_symbol_properties_database(
    path: str | os.PathLike[str], rows: dict[tuple[str, str, str], SymbolProperties] | None = None
) -> None:
    """Write LEAN's csv layout (atomic) holding ``rows`` (default: :func:`generated_symbol_properties`)."""
    rows = generated_symbol_properties() if rows is None else rows
    lines = [HEADER]
    for (market, symbol, security_type), p in rows.items():
        fields = [
            market,
            symbol,
            security_type,
            p.description,
            p.quote_currency,
            _number(p.contract_multiplier),
            _number(p.minimum_price_variation),
            _number(p.lot_size),
        ]
        extra = [p.market_ticker, _number(p.minimum_order_size)]
        if p.price_magnifier != 1 or p.strike_multiplier != 1:
            extra += [_number(p.price_magnifier), _number(p.strike_multiplier)]
        while extra and not extra[-1]:
            extra.pop()
        lines.append(",".join(fields + extra))
    with atomic_write(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
