"""tools/fx_evidence.py on the real ECB rates: the tutorial window's figures the docs quote."""

import json

import pytest

from tests.tools import load_tool


def test_evidence_on_the_tutorial_window(ecb_data_folder, tmp_path, capsys):
    output = tmp_path / "evidence.json"
    assert load_tool("fx_evidence").main(["--data-folder", str(ecb_data_folder), "--boot", "99", "--output", str(output)]) == 0
    rows = {(r["standardisation"], r["screen"], r["factor"]): r for r in json.loads(output.read_text())}
    assert len(rows) == 8
    published = rows[("full", "target", "reversal")]
    assert (published["t"], published["rows"], published["dropped"]) == (pytest.approx(-4.2058, abs=1e-4), 432, 4)
    assert rows[("full", "target", "momentum")]["t_clustered"] == pytest.approx(2.478, abs=1e-3)
    assert rows[("full", "all columns", "momentum")]["t"] == pytest.approx(2.024, abs=1e-3)
    assert rows[("full", "all columns", "reversal")]["rows"] == 425
    # the in-sample mean's bias: the null is centred far below zero, and not with point-in-time moments
    assert published["null_mean_t"] < -2.0
    assert abs(rows[("expanding", "target", "reversal")]["null_mean_t"]) < 0.5
    assert "month ends 2004-01 to 2013-05" in capsys.readouterr().out


def test_missing_data_says_which_command_builds_it(tmp_path, capsys):
    assert load_tool("fx_evidence").main(["--data-folder", str(tmp_path), "--boot", "5"]) == 1
    assert "lean-local data ecb-fx" in capsys.readouterr().err
