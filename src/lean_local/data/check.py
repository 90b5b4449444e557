"""Validate a LEAN data folder: every file readable and internally consistent.

Checks, per kind of file:

* equity and index daily zips: readable, numeric, dates sorted and unique, prices positive,
  high >= max(open, close), low <= min(open, close), volume >= 0;
* forex daily zips: the same for the bid and the ask bars;
* factor files: parseable, dates sorted, factors positive; warning when the last row is not
  20501231;
* map files: parseable, sorted, at least one row (the last row is the delisting date); warning
  when the ticker's daily data runs past that date;
* coarse files: parseable, named ``YYYYMMDD.csv``;
* CBOE csv, interest-rate file, market-hours json, symbol-properties csv: parseable.

Errors make :meth:`CheckReport.exit_code` 1; warnings do not.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data import formats as F
from lean_local.data.symbol_properties import SymbolPropertiesDatabase

__all__ = ["Problem", "CheckReport", "check_data_folder"]


@dataclass(frozen=True)
class Problem:
    """One finding; ``str(problem)`` is ``path:line: message`` (``warning:`` prefixed to the message for warnings)."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


@dataclass
class CheckReport:
    """Counts of files checked per kind and the problems found."""

    counts: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def format(self) -> str:
        """The printable report: one line per kind, then each problem, then a summary line."""
        lines = [f"{kind:<20} {count:>7} files" for kind, count in sorted(self.counts.items())]
        lines += [str(p) for p in self.problems]
        lines.append(
            f"{sum(self.counts.values())} files checked, {len(self.errors)} errors, {len(self.warnings)} warnings"
        )
        return "\n".join(lines)


def _line_of_row(path: Path, row: int) -> int:
    """The 1-based line of the ``row``-th data row (blank lines skipped, as the readers do)."""
    text = F.read_text(path)
    count = -1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            count += 1
            if count == row:
                return number
    return 0


def require_usable_bars(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a bar reader's output) when it has rows and every price column is positive.

    The runtime reads data through this, so an empty file or a zero or negative price stops a run as
    ``data check`` flags it, instead of a run without data or with garbage statistics.

    Raises
    ------
    DataFormatError
        ``path:0: empty file: no bars``, or at the first row with a price of zero or less
        (``path:line: YYYY-MM-DD: prices must be positive``).
    """
    if frame.empty:
        raise F.DataFormatError(path, 0, "empty file: no bars")
    prices = [c for c in frame.columns if c.rsplit("_", 1)[-1] in ("open", "high", "low", "close")]
    bad = (frame[prices].to_numpy() <= 0).any(axis=1) if prices else np.zeros(len(frame), dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise F.DataFormatError(path, _line_of_row(path, row), f"{frame.index[row]:%Y-%m-%d}: prices must be positive")
    return frame


def _bar_problems(path: Path, frame: pd.DataFrame, prefix: str = "") -> list[Problem]:
    """Positive prices, high/low consistent with open/close, volume not negative."""
    o, h, lo, c = (frame[f"{prefix}{name}"].to_numpy() for name in ("open", "high", "low", "close"))
    size = frame["volume" if not prefix else f"{prefix}size"].to_numpy()
    side = f"{prefix.rstrip('_')} " if prefix else ""
    checks = [
        ((np.column_stack([o, h, lo, c]) <= 0).any(axis=1), f"{side}prices must be positive"),
        (h < np.maximum(o, c), f"{side}high is below open or close"),
        (lo > np.minimum(o, c), f"{side}low is above open or close"),
        (size < 0, f"{side}volume is negative"),
    ]
    found = []
    for bad, message in checks:
        if bad.any():
            rows = np.flatnonzero(bad)
            more = f" ({len(rows) - 1} more rows)" if len(rows) > 1 else ""
            day = frame.index[rows[0]]
            found.append(
                Problem(str(path), _line_of_row(path, int(rows[0])), f"{day:%Y-%m-%d}: {message}{more}")
            )
    return found


def _guard(report: CheckReport, path: Path, action: Callable[[], list[Problem] | None]) -> None:
    try:
        found = action()
    except F.DataFormatError as exc:
        report.problems.append(Problem(exc.path, exc.line, exc.message))
        return
    except (ValueError, KeyError, OSError) as exc:
        report.problems.append(Problem(str(path), 0, f"unreadable: {exc}"))
        return
    report.problems.extend(found or [])


def check_data_folder(data_folder: str | os.PathLike[str], progress=None) -> CheckReport:
    """Check every LEAN file under ``data_folder``; see the module docstring for the rules.

    Parameters
    ----------
    progress : callable, optional
        ``progress(iterable, desc=..., total=...)`` wrapper such as ``tqdm``.
    """
    folder = Path(data_folder)
    wrap = progress or (lambda iterable, **_: iterable)
    report = CheckReport()
    if not folder.is_dir():
        report.problems.append(Problem(str(folder), 0, "data folder not found"))
        return report

    def files(pattern: str) -> list[Path]:
        return sorted(folder.glob(pattern))

    last_bar: dict[str, pd.Timestamp] = {}

    def trade(path: Path, reader) -> list[Problem]:
        frame = reader(path)
        if len(frame) and path.parent.parent.parent.name == "equity":
            last_bar[path.stem] = frame.index[-1]
        return _bar_problems(path, frame)

    def quote(path: Path) -> list[Problem]:
        frame = F.read_forex_daily(path)
        return _bar_problems(path, frame, "bid_") + _bar_problems(path, frame, "ask_")

    def factor(path: Path) -> list[Problem]:
        frame = F.read_factor_file(path)
        if len(frame) == 0:
            return [Problem(str(path), 0, "factor file is empty")]
        if frame.index[-1] != F.FAR_FUTURE:
            return [
                Problem(
                    str(path),
                    0,
                    f"last row is {frame.index[-1]:%Y%m%d}, LEAN's files end with 20501231",
                    "warning",
                )
            ]
        return []

    map_ends: dict[str, pd.Timestamp] = {}

    def mapping(path: Path) -> list[Problem]:
        frame = F.read_map_file(path)
        map_ends[path.name[: -len(".csv")]] = frame.index[-1]
        return []

    def coarse(path: Path) -> list[Problem]:
        stem = path.stem
        if (
            not (len(stem) == 8 and stem.isdigit())
            or pd.to_datetime(stem, format="%Y%m%d", errors="coerce") is pd.NaT
        ):
            return [Problem(str(path), 0, "coarse file name is not YYYYMMDD.csv")]
        F.read_coarse(path)
        return []

    def market_hours(path: Path) -> list[Problem]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            return [Problem(str(path), exc.lineno, f"invalid json: {exc.msg}")]
        if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
            return [Problem(str(path), 0, "no 'entries' object")]
        return []

    groups: list[tuple[str, list[Path], Callable[[Path], list[Problem] | None]]] = [
        ("equity daily", files("equity/usa/daily/*.zip"), lambda p: trade(p, F.read_equity_daily)),
        ("index daily", files("index/usa/daily/*.zip"), lambda p: trade(p, F.read_index_daily)),
        ("forex daily", files("forex/*/daily/*.zip"), quote),
        ("factor files", files("equity/usa/factor_files/*.csv"), factor),
        ("map files", files("equity/usa/map_files/*.csv"), mapping),
        ("coarse", files("equity/usa/fundamental/coarse/*.csv"), coarse),
        ("cboe", files("alternative/cboe/*.csv"), F.read_cboe_csv),
        ("interest rate", files("alternative/interest-rate/usa/interest-rate.csv"), F.read_interest_rate),
        ("market hours", files("market-hours/market-hours-database.json"), market_hours),
        (
            "symbol properties",
            files("symbol-properties/symbol-properties-database.csv"),
            SymbolPropertiesDatabase.from_file,
        ),
    ]
    for kind, paths, action in groups:
        if not paths:
            continue
        report.counts[kind] = len(paths)
        for path in wrap(paths, desc=kind, total=len(paths)):
            _guard(report, path, lambda path=path, action=action: _as_problems(action(path)))

    for ticker, last in last_bar.items():
        end = map_ends.get(ticker)
        if end is not None and last > end:
            path = F.map_file_path(folder, ticker)
            report.problems.append(
                Problem(
                    str(path),
                    0,
                    f"daily data runs to {last:%Y-%m-%d}, after the map file's last row {end:%Y%m%d}",
                    "warning",
                )
            )
    return report


def _as_problems(result) -> list[Problem]:
    """Readers return frames; checks return problem lists."""
    return result if isinstance(result, list) else []
