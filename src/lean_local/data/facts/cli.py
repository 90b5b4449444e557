"""Command line: ``lean-local data facts``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

CLI_EXAMPLE = """\
examples:
  lean-local data facts ../shared/lean-data --start 2010-01-01 --json lean-data-facts.json
  lean-local data facts data/synthetic

Prints every fact beside the band measured on real US equities (issue 15) and whether it is in it.
"""


def register(data_subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``facts`` sub-command to the ``data`` command group's subparsers."""
    parser = data_subparsers.add_parser(
        "facts",
        help="stylized facts of a LEAN daily equity folder (real or synthetic)",
        description="Stylized facts of a LEAN daily US equity folder, real or synthetic (``lean-local data facts``).",
        epilog=CLI_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="LEAN data folder")
    parser.add_argument("--start", default=None, help="first bar date, YYYY-MM-DD")
    parser.add_argument("--end", default=None, help="last bar date, YYYY-MM-DD")
    parser.add_argument("--min-names", type=int, default=10, help="names a date needs for its IC (default %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the facts to this JSON file")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``lean-local data facts``; returns the exit code."""
    from lean_local.data.facts.bands import format_table, write_facts_json
    from lean_local.data.facts.panel import load_folder_panel
    from lean_local.data.facts.summary import coarse_facts, stylized_facts
    from lean_local.data.formats import DataFormatError

    try:
        panel = load_folder_panel(args.folder, args.start, args.end)
        facts = stylized_facts(panel, min_names=args.min_names)
        facts.update(coarse_facts(args.folder, args.start, args.end))
    except (DataFormatError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(format_table(facts))
    if args.json is not None:
        write_facts_json(args.json, facts)
        print(f"\nwrote {args.json}")
    return 0
