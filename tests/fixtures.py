"""Small LEAN data folders written with ``lean_local.data.formats``, for the tests.

Every writer takes raw bars in dollars and writes the file LEAN would read; the market-hours
database is our generated one (never a copy of LEAN's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data import formats, market_hours


def data_folder(root: Path) -> Path:
    """Create ``root`` with our generated market-hours database; returns ``root``."""
    root = Path(root)
    path = formats.market_hours_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    market_hours.write_market_hours_database(path)
    return root


def bars(dates: list[str] | pd.DatetimeIndex, closes: list[float] | np.ndarray, *, opens=None, highs=None,
         lows=None, volume: float = 1_000_000.0) -> pd.DataFrame:
    """Daily bars from closes; open defaults to the close, high/low to max/min of open and close."""
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    close = np.asarray(closes, dtype=float)
    open_ = close if opens is None else np.asarray(opens, dtype=float)
    high = np.maximum(open_, close) if highs is None else np.asarray(highs, dtype=float)
    low = np.minimum(open_, close) if lows is None else np.asarray(lows, dtype=float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": np.full(len(index), float(volume))}, index=index)


def write_equity(root: Path, ticker: str, frame: pd.DataFrame, *, factors: pd.DataFrame | None = None,
                 map_rows: list[tuple[str, str]] | None = None) -> None:
    """Write ``equity/usa/daily/<ticker>.zip`` and, when given, its factor and map files.

    ``factors`` has ``price_factor``, ``split_factor`` (and optionally ``reference_price``) indexed
    by date; ``map_rows`` is ``[(YYYY-MM-DD, ticker), ...]``.
    """
    path = formats.equity_daily_path(root, ticker)
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_equity_daily(path, frame)
    if factors is not None:
        factor_path = formats.factor_file_path(root, ticker)
        factor_path.parent.mkdir(parents=True, exist_ok=True)
        table = factors.copy()
        if "reference_price" not in table.columns:
            table["reference_price"] = 0.0
        formats.write_factor_file(factor_path, table)
    if map_rows is not None:
        map_path = formats.map_file_path(root, ticker)
        map_path.parent.mkdir(parents=True, exist_ok=True)
        rows = pd.DataFrame({"ticker": [t for _, t in map_rows], "exchange": "Q"},
                            index=pd.DatetimeIndex([pd.Timestamp(d) for d, _ in map_rows]))
        formats.write_map_file(map_path, rows)


def write_forex(root: Path, pair: str, dates: list[str] | pd.DatetimeIndex, mids: list[float] | np.ndarray,
                spread: float = 0.0002, market: str = "oanda") -> None:
    """Write a forex daily zip with open = high = low = close = mid, bid/ask = mid -/+ spread/2."""
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    mid = np.asarray(mids, dtype=float)
    frame = pd.DataFrame(index=index)
    for side, sign in (("bid", -1.0), ("ask", 1.0)):
        for part in ("open", "high", "low", "close"):
            frame[f"{side}_{part}"] = mid + sign * spread / 2
        frame[f"{side}_size"] = 0.0
    path = formats.forex_daily_path(root, pair, market)
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_forex_daily(path, frame)


def write_coarse_day(root: Path, day: str, rows: list[tuple[str, float, float]]) -> None:
    """One coarse file: ``rows`` of ``(ticker, close, volume)``."""
    frame = pd.DataFrame({
        "sid": [f"{t.upper()} X" for t, _, _ in rows],
        "symbol": [t.upper() for t, _, _ in rows],
        "close": [c for _, c, _ in rows],
        "volume": [v for _, _, v in rows],
    })
    path = formats.coarse_path(root, pd.Timestamp(day))
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_coarse(path, frame)


def write_workspace(root: Path, data: Path, main_py: str, parameters: dict[str, str] | None = None,
                    project: str = "algo") -> Path:
    """A LEAN workspace (``lean.json``, ``algorithms/<project>/main.py`` and ``config.json``);
    returns the project folder."""
    import json

    root = Path(root)
    project_dir = root / "algorithms" / project
    project_dir.mkdir(parents=True, exist_ok=True)
    (root / "lean.json").write_text(json.dumps({"data-folder": str(data)}))
    (project_dir / "main.py").write_text(main_py)
    (project_dir / "config.json").write_text(json.dumps({"algorithm-language": "Python",
                                                         "parameters": parameters or {}}))
    return project_dir
