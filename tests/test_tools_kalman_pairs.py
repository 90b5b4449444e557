"""tools/kalman_pairs.py on LEAN's sample ETFs: every ordered pair reported, none selected."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "kalman_pairs.py"


def test_every_candidate_pair_is_reported(lean_data_folder, capsys):
    spec = importlib.util.spec_from_file_location("kalman_pairs_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--data-folder", str(lean_data_folder)]) == 0
    out = capsys.readouterr().out
    assert "0 of 30 ordered pairs selected" in out
    prices = module.adjusted_closes(str(lean_data_folder), ["SPY", "QQQ", "IWM", "EEM", "BNO", "USO"], "2010-06-01")
    table = module.screen_pairs(prices, "2015-12-31")
    best = table.iloc[0]
    assert (best["y"], best["x"]) == ("USO", "BNO")
    assert best["eg_pvalue"] == pytest.approx(0.0597, abs=5e-4)
