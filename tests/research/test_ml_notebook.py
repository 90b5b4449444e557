"""The ML mean-reversion research notebook runs on a small synthetic market and exports verified models."""

import json

import pytest

from lean_local.data.synthetic import SyntheticMarketConfig, write_market
from shared.model_store import load_models, object_store_key
from tests.notebook_runner import ROOT, execute_notebook, make_workspace

NOTEBOOK = ROOT / "research" / "ml_mean_reversion.ipynb"


@pytest.mark.slow
def test_notebook_trains_validates_and_exports(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_market(data, SyntheticMarketConfig(n_stocks=60, years=4, seed=5, reversal_strength=0.9, jobs=1), quiet=True)
    workspace = make_workspace(tmp_path / "workspace", data)
    # Small but complete: both model kinds, 3 folds, one permutation repeat, the 60 stocks, 3 training years.
    for name, value in {"ML_MR_TRAIN_END": "2012-12-31", "ML_MR_TOP_N": "60", "ML_MR_FOLDS": "3",
                        "ML_MR_REPEATS": "1"}.items():
        monkeypatch.setenv(name, value)
    nb = execute_notebook(NOTEBOOK, workspace)

    storage = workspace / "storage"
    loaded = load_models(lambda name: (storage / object_store_key(name)).read_bytes())
    assert set(loaded.models) == {"long", "short"}
    manifest = loaded.manifest
    assert manifest["training_window"]["last_label_date"] <= "2012-12-31"
    assert manifest["models"]["long"]["kind"] in ("hist", "gbc")
    for side in ("long", "short"):
        report = manifest["validation"][side]
        assert report["n_samples"] == int(manifest["training_window"][f"n_events_{side}"]) > 100
        assert len(report["folds"]) == 3
        assert all(fold["train_last_label_pos"] + 6 < fold["test_start_pos"] for fold in report["folds"])
    text = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "chosen:" in text and "exported and verified" in text
    # the universe came from qb.universe_history: one date per coarse file of the training window
    files = sorted(p.stem for p in (data / "equity" / "usa" / "fundamental" / "coarse").glob("*.csv"))
    in_window = [f for f in files if "20100101" <= f <= "20121231"]
    assert f"{len(in_window)} coarse dates {in_window[0][:4]}-{in_window[0][4:6]}-{in_window[0][6:]}" in text
