"""``lean-local train PROJECT``: the command line of :mod:`workspace_jobs.training.pipeline`.

Only ``argparse`` is imported here, so ``lean-local train --help`` does not pay for numpy, pandas and
scikit-learn; :func:`run` imports the pipeline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def run(args: argparse.Namespace) -> int:
    """Run ``lean-local train`` from parsed arguments; returns the exit code."""
    from lean_local import workspace
    from lean_local.atomic import write_atomic
    from workspace_jobs.training.pipeline import PROJECT, report_json, summary_text, train

    if args.project != PROJECT:
        print(f"error: no training pipeline for {args.project!r}; available: {PROJECT}", file=sys.stderr)
        return 2
    found = workspace.find_workspace()
    root = found or Path.cwd()
    data_folder = workspace.data_folder(explicit=args.data_folder)
    storage = Path(args.storage) if args.storage else workspace.object_store_root(found)
    models_dir = None if args.no_copy else (Path(args.models_dir) if args.models_dir else root / "models" / PROJECT)
    try:
        report = train(
            data_folder, storage, models_dir, args.start, args.end, tuple(args.kinds.split(",")),
            args.top_n, args.min_price, args.require_fundamental, args.long_threshold, args.short_threshold,
            args.probability, args.horizon, args.folds, args.embargo, args.seed, args.permutation_repeats,
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary_text(report))
    if args.report:
        write_atomic(args.report, report_json(report).encode("utf-8"))
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``train`` to the ``lean-local`` command's subparsers."""
    parser = subparsers.add_parser(
        "train",
        help="train, validate and export a project's ML models",
        description="Train the ml_mean_reversion long and short models on the point-in-time universe of a "
        "LEAN data folder: walk-forward validation with purging and embargo, GradientBoosting vs "
        "HistGradientBoosting, export to the object store with a checked manifest.",
        epilog="example:\n  lean-local train ml_mean_reversion --data-folder data --end 2015-12-31",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="project whose models to train (ml_mean_reversion)")
    parser.add_argument("--data-folder", help="LEAN data folder (default: data-folder of lean.json)")
    parser.add_argument("--start", help="first coarse date of the training window, YYYY-MM-DD")
    parser.add_argument("--end", help="last coarse date of the training window, YYYY-MM-DD")
    parser.add_argument("--kinds", default="hist,gbc", help="model kinds to compare (default %(default)s)")
    parser.add_argument("--top-n", type=int, default=500, help="universe size (default %(default)s)")
    parser.add_argument("--min-price", type=float, default=1.0, help="minimum price, dollars (default %(default)s)")
    parser.add_argument("--require-fundamental", action="store_true",
                        help="keep only coarse rows with fundamental data (QuantConnect Cloud data)")
    parser.add_argument("--long-threshold", type=float, default=15.0, help="long event: QPI below (default 15)")
    parser.add_argument("--short-threshold", type=float, default=85.0, help="short event: QPI above (default 85)")
    parser.add_argument("--probability", type=float, default=0.60, help="trade above this probability (0.60)")
    parser.add_argument("--horizon", type=int, default=6, help="label horizon, trading days (default 6)")
    parser.add_argument("--folds", type=int, default=5, help="walk-forward folds (default 5)")
    parser.add_argument("--embargo", type=int, default=6, help="embargo, trading days, >= horizon (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--permutation-repeats", type=int, default=5, help="permutation importance repeats")
    parser.add_argument("--storage", help="object store root (default: <workspace>/storage)")
    parser.add_argument("--models-dir", help="versioned copies (default: <workspace>/models/ml_mean_reversion)")
    parser.add_argument("--no-copy", action="store_true", help="skip the versioned copy in models/")
    parser.add_argument("--report", help="also write the full validation report as JSON here")
    parser.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m workspace_jobs.training.cli ...`` without the ``lean-local`` dispatcher."""
    parser = argparse.ArgumentParser(prog="lean-local")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
