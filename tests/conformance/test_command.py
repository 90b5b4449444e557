"""``lean-local conformance`` on a small regression set: LEAN's BasicTemplateDailyAlgorithm with the
statistics LEAN prints for it, a copy expecting one wrong statistic, and one that raises."""

from __future__ import annotations

import json

import pytest

from lean_local.cli import main
from tests.lean_local.basic_template_daily import BASIC_TEMPLATE_DAILY, LEAN_STATISTICS

RAISES_IN_INITIALIZE = '''
from AlgorithmImports import *


class RaisesInInitialize(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 8)
        self.add_equity("SPY", Resolution.DAILY)
        raise KeyError("no such thing")
'''


@pytest.fixture
def regression_set(tmp_path):
    algorithms = tmp_path / "set" / "algorithms"
    algorithms.mkdir(parents=True)
    (algorithms / "BasicTemplateDailyAlgorithm.py").write_text(BASIC_TEMPLATE_DAILY)
    (algorithms / "Shifted.py").write_text(BASIC_TEMPLATE_DAILY.replace("BasicTemplateDailyAlgorithm", "Shifted"))
    (algorithms / "RaisesInInitialize.py").write_text(RAISES_IN_INITIALIZE)
    expected = {
        # 72 data points: LEAN's BasicTemplateDailyAlgorithm.cs (8 daily bars, 63 hour bars of the
        # benchmark's internal feed, 1 user-defined universe trigger)
        "BasicTemplateDailyAlgorithm": {"statistics": LEAN_STATISTICS, "DataPoints": 72},
        "Shifted": {"statistics": {**LEAN_STATISTICS, "Sharpe Ratio": "17.306"}, "DataPoints": 70},
        "RaisesInInitialize": {"statistics": LEAN_STATISTICS},
    }
    (tmp_path / "set" / "expected.json").write_text(json.dumps(expected))
    return algorithms


@pytest.mark.slow
def test_conformance_command_reports_each_algorithm(regression_set, lean_data_folder, capsys):
    code = main(["conformance", "--algorithms", str(regression_set), "--data-folder", str(lean_data_folder)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "BasicTemplateDailyAlgorithm: reproduces",
        "RaisesInInitialize: error: KeyError: 'no such thing'",
        "Shifted: mismatch: Sharpe Ratio LEAN '17.306' ours '17.304'; DataPoints LEAN '70' ours '72'",
        "1/3 reproduce",
    ]


def test_conformance_command_names_a_missing_folder(tmp_path, capsys):
    assert main(["conformance", "--algorithms", str(tmp_path / "nowhere"), "--data-folder", str(tmp_path)]) == 2
    assert "no algorithms folder" in capsys.readouterr().err
