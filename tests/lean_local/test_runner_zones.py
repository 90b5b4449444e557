"""A run asks pytz to skip its check of every zone file (``PYTZ_SKIPEXISTSCHECK``) unless the caller's
environment already says otherwise."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm
from tests import fixtures


class Daily(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)


def _folder(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-01-02", "2020-01-10")
    fixtures.write_equity(root, "AAA", fixtures.bars(days, np.linspace(10.0, 11.0, len(days))))
    return root


def test_a_run_skips_pytz_zone_file_checks(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTZ_SKIPEXISTSCHECK", raising=False)
    _algo, record, _loop = run_algorithm(Daily, _folder(tmp_path))
    assert os.environ["PYTZ_SKIPEXISTSCHECK"] == "1"
    assert len(record.equity) == 7  # the run itself is unchanged: a sample a trading day


def test_a_callers_setting_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTZ_SKIPEXISTSCHECK", "")
    run_algorithm(Daily, _folder(tmp_path))
    assert os.environ["PYTZ_SKIPEXISTSCHECK"] == ""
