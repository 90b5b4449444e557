"""Speed of the batched Kalman filters against a pykalman ``filter_update`` loop.

500 series x 2,500 steps (about ten years of daily bars for a 500-stock universe). Our filters
process every series in one pass over the steps. pykalman filters one series at a time with one
``filter_update`` call per step, the way a live algorithm would use it; running it on all 500
series would take minutes, so it runs on a subset of series and its time is scaled linearly to
500 (each series is an independent loop of identical cost). The output says so.

Run: ``.venv/bin/python benchmarks/bench_kalman.py [--pykalman-series 20]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from pykalman import KalmanFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Library"))

from shared.kalman import delta_to_transition_cov, hedge_ratio_filter, local_level_filter  # noqa: E402

STEPS, SERIES = 2500, 500


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _pykalman_local_level(y: np.ndarray, q: float, r: float) -> None:
    kf = KalmanFilter(transition_covariance=[[q]], observation_covariance=[[r]])
    mean, cov = np.array([y[0]]), np.array([[r]])
    for t in range(1, len(y)):
        mean, cov = kf.filter_update(mean, cov, y[t : t + 1])


def _pykalman_hedge(y: np.ndarray, x: np.ndarray, r: float, delta: float) -> None:
    kf = KalmanFilter(
        transition_matrices=np.eye(2),
        transition_covariance=delta_to_transition_cov(delta, 1)[0],
        observation_covariance=[[r]],
    )
    mean, cov = np.zeros(2), np.eye(2)
    for t in range(len(y)):
        mean, cov = kf.filter_update(mean, cov, y[t : t + 1], observation_matrix=np.array([[x[t], 1.0]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pykalman-series", type=int, default=20, help="series run through pykalman (scaled to 500)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of our filters")
    args = parser.parse_args()
    k = args.pykalman_series

    rng = np.random.default_rng(0)
    x = 100.0 + np.cumsum(rng.normal(0, 1.0, (STEPS, SERIES)), axis=0)
    y = 1.3 * x + 4.0 + rng.normal(0, 0.5, (STEPS, SERIES))
    q, r, delta = 0.5, 0.25, 1e-4

    ours_ll = _best_of(lambda: local_level_filter(y, q, r, initial_mean=y[0], initial_var=r), args.repeat)
    ours_hr = _best_of(lambda: hedge_ratio_filter(y, x, r, delta=delta), args.repeat)

    start = time.perf_counter()
    for j in range(k):
        _pykalman_local_level(y[:, j], q, r)
    pyk_ll = (time.perf_counter() - start) * SERIES / k
    start = time.perf_counter()
    for j in range(k):
        _pykalman_hedge(y[:, j], x[:, j], r, delta)
    pyk_hr = (time.perf_counter() - start) * SERIES / k

    print(f"Kalman filters, {SERIES} series x {STEPS} steps")
    print(
        f"pykalman {k} series with one filter_update per step, time scaled linearly x{SERIES / k:g} to {SERIES}"
    )
    print(f"{'filter':<14}{'ours (s)':>12}{'pykalman (s)':>16}{'speed-up':>12}")
    for name, ours, theirs in (("local level", ours_ll, pyk_ll), ("hedge ratio", ours_hr, pyk_hr)):
        print(f"{name:<14}{ours:>12.3f}{theirs:>16.1f}{theirs / ours:>11.0f}x")


if __name__ == "__main__":
    main()
