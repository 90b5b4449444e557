"""LEAN's own regression algorithms, run unmodified, against the statistics LEAN prints for them.

The set is ``../shared/lean-regression`` beside the repository (or ``LEAN_REGRESSION_FOLDER``), the
data LEAN's sample folder (``LEAN_DATA_FOLDER``); both absent: skipped with the reason. Every
algorithm runs once, in its own process, ``LEAN_CONFORMANCE_JOBS`` (default 2) at a time, each
stopped after ``LEAN_CONFORMANCE_TIMEOUT`` seconds (default 60). ``expectations.py`` says which
algorithms must reproduce and why the others do not (strict xfail).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lean_local import conformance
from tests.conformance.expectations import CAUSES, REPRODUCES

ROOT = Path(__file__).resolve().parents[2]
FOLDER = conformance.default_regression_folder(ROOT)
NAMES = sorted(p.stem for p in (FOLDER / "algorithms").glob("*.py"))


def _param(name: str):
    if name in CAUSES:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=CAUSES[name]))
    return pytest.param(name)


@pytest.fixture(scope="module")
def outcomes(lean_data_folder) -> dict[str, conformance.Outcome]:
    """Every algorithm's outcome, run once for the module."""
    regression = conformance.RegressionSet(FOLDER / "algorithms", FOLDER / "expected.json", lean_data_folder)
    jobs = int(os.environ.get("LEAN_CONFORMANCE_JOBS", "2"))
    # a guard against hangs, not a speed check: a shared, loaded machine runs the largest universe
    # algorithms several times slower than the command's default allows
    timeout = float(os.environ.get("LEAN_CONFORMANCE_TIMEOUT", "300"))
    return {o.name: o for o in conformance.run_isolated(regression, NAMES, jobs=jobs, timeout=timeout)}


def test_every_algorithm_has_an_expectation():
    if not NAMES:
        pytest.skip(f"LEAN's regression set not found at {FOLDER} (set LEAN_REGRESSION_FOLDER)")
    assert not REPRODUCES & CAUSES.keys(), "an algorithm is both expected to reproduce and given a cause"
    assert sorted(REPRODUCES | CAUSES.keys()) == NAMES, "every algorithm of the set has one line in expectations.py"


@pytest.mark.slow
@pytest.mark.parametrize("name", [_param(n) for n in NAMES] or [
    pytest.param("none", marks=pytest.mark.skip(reason=f"LEAN's regression set not found at {FOLDER} "
                                                        "(set LEAN_REGRESSION_FOLDER)"))])
def test_regression_algorithm_reproduces_lean(name, outcomes):
    outcome = outcomes[name]
    assert outcome.reproduces, outcome.line()
