"""A finished run's outputs: written with the run's objects frozen, the collector's state left as it was."""

from __future__ import annotations

import gc
import json

import pytest

from lean_local.backtest import outputs
from tests.lean_local.test_results import _record


def test_results_written_while_the_run_objects_are_frozen(tmp_path, monkeypatch):
    from lean_local import results

    real = results.write_results
    seen = []

    def write_results(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "write_results", write_results)
    if gc.get_freeze_count():
        pytest.skip("the test process already has frozen objects")
    statistics, path = outputs.write_outputs(_record(), tmp_path)
    assert seen[0] > 0 and gc.get_freeze_count() == 0
    assert json.loads(path.read_text())["statistics"] == statistics


def test_a_callers_frozen_objects_stay_frozen(tmp_path):
    gc.freeze()
    try:
        outputs.write_outputs(_record(), tmp_path)
        assert gc.get_freeze_count() > 0  # not unfrozen by the writer
    finally:
        gc.unfreeze()
