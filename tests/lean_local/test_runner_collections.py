"""A run collects garbage cycles less often: a higher generation-0 threshold and the objects that existed
before it frozen (a full collection walks the run's own objects); both come back after the run."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import GC_THRESHOLD, run_algorithm
from tests import fixtures


class Observer(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)
        self.seen = (gc.get_threshold()[0], gc.get_freeze_count())


def test_a_run_freezes_the_objects_before_it_and_restores_the_collector(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-01-02", "2020-01-10")
    fixtures.write_equity(root, "AAA", fixtures.bars(days, np.linspace(10.0, 11.0, len(days))))
    before = gc.get_threshold()
    gc.unfreeze()
    algo, _record, _loop = run_algorithm(Observer, root)
    threshold, frozen = algo.seen
    assert threshold == GC_THRESHOLD
    assert frozen > 1_000  # at least the imported modules' objects
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)


def test_a_callers_frozen_objects_stay_frozen(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-01-02", "2020-01-10")
    fixtures.write_equity(root, "AAA", fixtures.bars(days, np.linspace(10.0, 11.0, len(days))))
    gc.freeze()
    try:
        run_algorithm(Observer, root)
        assert gc.get_freeze_count() > 1_000  # not unfrozen by the run (a few frozen objects may be freed)
    finally:
        gc.unfreeze()


def test_the_objects_a_run_leaves_join_the_oldest_generation(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-01-02", "2020-01-10")
    fixtures.write_equity(root, "AAA", fixtures.bars(days, np.linspace(10.0, 11.0, len(days))))
    gc.unfreeze()
    gc.collect()
    run_algorithm(Observer, root)
    # nothing left young for the next allocation's collection to walk
    assert gc.get_count()[:2] == (0, 0)
