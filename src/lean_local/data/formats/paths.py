"""Where each file lives in a LEAN data folder."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd


def _folder(data_folder: str | os.PathLike[str]) -> Path:
    """The data folder as a path. The paths a run's start-up asks for every security join their parts
    in one ``joinpath`` (each ``/`` builds and parses a new path)."""
    return Path(data_folder)


def equity_hour_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``equity/usa/hour/<ticker lower>.zip`` (same row layout as the daily zips)."""
    return _folder(data_folder) / "equity" / "usa" / "hour" / f"{ticker.lower()}.zip"


def equity_daily_path(data_folder: str | os.PathLike[str], ticker: str, market: str = "usa") -> Path:
    """``equity/<market>/daily/<ticker lower>.zip``."""
    return _equity_folder(os.fspath(data_folder), market, "daily") / f"{ticker.lower()}.zip"


def factor_file_path(data_folder: str | os.PathLike[str], ticker: str, market: str = "usa") -> Path:
    """``equity/<market>/factor_files/<ticker lower>.csv``."""
    return _equity_folder(os.fspath(data_folder), market, "factor_files") / f"{ticker.lower()}.csv"


@functools.lru_cache(maxsize=64)
def _equity_folder(data_folder: str, market: str, kind: str) -> Path:
    """``equity/<market>/<kind>``, built once: the paths asked for every security join one part to it."""
    return _folder(data_folder).joinpath("equity", market, kind)


def map_files_folder(data_folder: str | os.PathLike[str], market: str = "usa") -> Path:
    """``equity/<market>/map_files`` (asked per security: the map-file index checks the folder)."""
    return _map_files_folder(os.fspath(data_folder), market)


def _map_files_folder(data_folder: str, market: str) -> Path:
    return _equity_folder(data_folder, market, "map_files")


def map_file_path(data_folder: str | os.PathLike[str], ticker: str, market: str = "usa") -> Path:
    """``equity/<market>/map_files/<ticker lower>.csv``."""
    return map_files_folder(data_folder, market) / f"{ticker.lower()}.csv"


def coarse_folder(data_folder: str | os.PathLike[str]) -> Path:
    """``equity/usa/fundamental/coarse``."""
    return _folder(data_folder) / "equity" / "usa" / "fundamental" / "coarse"


def coarse_path(data_folder: str | os.PathLike[str], date) -> Path:
    """``equity/usa/fundamental/coarse/YYYYMMDD.csv`` for the trading day ``date``."""
    return coarse_folder(data_folder) / f"{pd.Timestamp(date):%Y%m%d}.csv"


def forex_daily_path(data_folder: str | os.PathLike[str], pair: str, market: str = "oanda") -> Path:
    """``forex/<market>/daily/<pair lower>.zip``."""
    return _folder(data_folder) / "forex" / market.lower() / "daily" / f"{pair.lower()}.zip"


def index_daily_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``index/usa/daily/<ticker lower>.zip``."""
    return _folder(data_folder) / "index" / "usa" / "daily" / f"{ticker.lower()}.zip"


def index_option_daily_path(data_folder: str | os.PathLike[str], root: str, year: int, tick_type: str,
                            style: str) -> Path:
    """``indexoption/usa/daily/<root lower>_<year>_<trade|quote|openinterest>_<american|european>.zip``
    (LEAN ``LeanData.GenerateZipFileName`` for daily and hour option data)."""
    return (_folder(data_folder) / "indexoption" / "usa" / "daily"
            / f"{root.lower()}_{year}_{tick_type}_{style.lower()}.zip")


def cboe_path(data_folder: str | os.PathLike[str], ticker: str = "vix") -> Path:
    """``alternative/cboe/<ticker lower>.csv`` (LEAN's ``CBOE`` custom data)."""
    return _folder(data_folder) / "alternative" / "cboe" / f"{ticker.lower()}.csv"


def interest_rate_path(data_folder: str | os.PathLike[str]) -> Path:
    """``alternative/interest-rate/usa/interest-rate.csv``."""
    return _folder(data_folder) / "alternative" / "interest-rate" / "usa" / "interest-rate.csv"


def market_hours_path(data_folder: str | os.PathLike[str]) -> Path:
    """``market-hours/market-hours-database.json``."""
    return _folder(data_folder) / "market-hours" / "market-hours-database.json"


def symbol_properties_path(data_folder: str | os.PathLike[str]) -> Path:
    """``symbol-properties/symbol-properties-database.csv``."""
    return _folder(data_folder) / "symbol-properties" / "symbol-properties-database.csv"
