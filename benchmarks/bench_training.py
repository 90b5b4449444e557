"""Time and peak memory of training the ML mean-reversion model on one million samples.

A synthetic panel (random walks with a planted reversal, 400 symbols x 2,560 trading days, about ten
years of a 400-stock universe) goes through the library's own pipeline: the 8 features for every
symbol-day (``feature_array``), the events (``build_events`` with thresholds that make every bar a
long event, so the sample count is the panel size), then one fit of the model on the first
1,000,000 samples and a prediction over them. ``GradientBoostingClassifier`` is single-threaded and
slow on a million rows; it runs on ``--gbc-samples`` rows (100,000 by default) and the output says so.

Then the model comparison the strategy's choice rests on: walk-forward validation (5 folds, purged,
6-day embargo) of both models on a 2,000-day x 150-symbol panel with a planted reversal (about 7,000
events per side): out-of-sample AUC, hit rate above 0.60, and total fit time (``--skip-compare`` to
omit).

Peak memory: ``tracemalloc`` peak of the fit (numpy and Python allocations; scikit-learn's internal C
buffers are not traced) and the process's peak resident set size (``ru_maxrss``) after each phase.

Run: ``.venv/bin/python benchmarks/bench_training.py [--samples 1000000] [--gbc-samples 100000]
[--threads N] [--skip-compare]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Library"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.planted

from shared.features import FEATURE_NAMES  # noqa: E402
from shared.ml_training import (  # noqa: E402
    SIDES,
    EventConfig,
    ValidationConfig,
    build_events,
    compare_models,
    make_model,
)
from tests.planted import simulate_panel  # noqa: E402

SYMBOLS, DAYS = 400, 2560


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _fit(kind: str, x: np.ndarray, y: np.ndarray) -> None:
    model = make_model(kind, random_state=0)
    tracemalloc.start()
    start = time.perf_counter()
    model.fit(x, y)
    fit_s = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    model.predict_proba(x)
    predict_s = time.perf_counter() - start
    print(
        f"{kind:>4}: {len(y):>9,} samples  fit {fit_s:7.1f} s  predict {predict_s:5.1f} s  "
        f"traced peak during fit {traced_peak / 2**20:7.1f} MiB  process peak RSS {_peak_rss_mb():7.1f} MiB"
    )


def _compare() -> None:
    close, volume = simulate_panel(2000, 150, effect=0.01, seed=1)
    events = build_events(close, volume)
    for side in SIDES:
        for kind, r in compare_models(events, side, validation=ValidationConfig(permutation_repeats=1)).items():
            print(
                f"walk-forward {side:>5} {kind:>4}: {r['n_oos']:,} out-of-sample events  AUC {r['auc']:.3f}  "
                f"base rate {r['base_rate']:.3f}  hit rate p>0.60 {r['hit_rate_at_threshold']:.3f} "
                f"({r['count_at_threshold']:,})  QPI-rule AUC {r['baseline_qpi_rule']['qpi_auc']:.3f}  "
                f"fit {r['fit_seconds']:.1f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--gbc-samples", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=None, help="OpenMP/BLAS threads (default: all)")
    parser.add_argument("--skip-compare", action="store_true", help="skip the walk-forward model comparison")
    args = parser.parse_args()

    with threadpool_limits(args.threads):
        start = time.perf_counter()
        days = max(DAYS, args.samples // SYMBOLS + 60)
        close, volume = simulate_panel(days, SYMBOLS, effect=0.004, seed=0)
        print(f"simulate {SYMBOLS} x {days} panel: {time.perf_counter() - start:6.1f} s")

        start = time.perf_counter()
        every_bar = EventConfig(long_threshold=np.inf, short_threshold=np.inf)
        events = build_events(close, volume, config=every_bar)
        print(
            f"features + events ({len(events):,} samples): {time.perf_counter() - start:6.1f} s  "
            f"process peak RSS {_peak_rss_mb():7.1f} MiB"
        )
        if len(events) < args.samples:
            raise SystemExit(f"only {len(events):,} samples; raise DAYS")
        x = events[list(FEATURE_NAMES)].to_numpy(dtype=np.float64)[: args.samples]
        y = events["label"].to_numpy()[: args.samples]
        del events, close, volume
        _fit("hist", x, y)
        _fit("gbc", x[: args.gbc_samples], y[: args.gbc_samples])
        del x, y
        if not args.skip_compare:
            _compare()


if __name__ == "__main__":
    main()
