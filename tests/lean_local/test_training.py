"""`lean-local train ml_mean_reversion`: point-in-time panel, model choice, export and verified load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local import progress
from lean_local.data import formats
from lean_local.data.synthetic import SyntheticMarketConfig, write_market
from lean_local.object_store import ObjectStore
from shared.model_store import ModelLoadError, load_models, object_store_key
from workspace_jobs.training import load_panel, main


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    folder = tmp_path_factory.mktemp("market")
    write_market(folder, SyntheticMarketConfig(n_stocks=30, years=3, seed=11, jobs=1), quiet=True)
    return folder


def test_panel_is_point_in_time(market):
    top_n = 10
    panel = load_panel(market, top_n=top_n)
    coarse = formats.read_coarse_range(market, "1900-01-01", "2100-01-01")
    dates = panel.close.index
    # Membership on day d is the top 10 (price >= $1) of the coarse file of the previous trading day.
    for k in (1, 100, len(dates) - 1):
        previous = coarse[coarse["date"] == dates[k - 1]]
        previous = previous[previous["close"] >= 1.0].nlargest(top_n, "dollar_volume")
        expected = {_file_of(market, row.symbol, dates[k - 1]) for row in previous.itertuples()}
        assert set(panel.membership.columns[panel.membership.iloc[k].to_numpy()]) == expected
    assert not panel.membership.iloc[0].any()
    # A stock that delisted inside the window is part of it (no survivorship bias).
    wide = load_panel(market, top_n=30)
    delisted = [
        p.stem for p in (market / "equity" / "usa" / "map_files").glob("*.csv")
        if formats.read_map_file(p).index[-1] < wide.close.index[-1]
    ]
    assert delisted, "the fixture market should hold a delisting"
    for ticker in delisted:
        assert wide.membership[ticker].any()
        last = formats.read_map_file(formats.map_file_path(market, ticker)).index[-1]
        assert wide.close.loc[wide.close.index > last, ticker].isna().all()


def _file_of(folder, ticker, day):
    """The data file (map file name) whose ticker on ``day`` is ``ticker``: the map-file row in force is
    the one with the earliest date >= day."""
    for path in (folder / "equity" / "usa" / "map_files").glob("*.csv"):
        rows = formats.read_map_file(path)
        current = rows[rows.index >= day]
        if len(current) and rows.index[0] <= day and current["ticker"].iloc[0] == ticker.lower():
            return path.stem
    raise AssertionError(f"no map file has {ticker} on {day}")


def test_panel_prices_are_lean_adjusted_and_volume_split_adjusted(market):
    panel = load_panel(market, top_n=30)
    for ticker in panel.close.columns:
        factor_path = formats.factor_file_path(market, ticker)
        factors = formats.read_factor_file(factor_path)
        if (factors["split_factor"] != 1).any():
            break
    else:
        pytest.skip("no split in this synthetic market")
    bars = formats.read_equity_daily(formats.equity_daily_path(market, ticker))
    expected = bars["close"] * formats.adjustment_factors(factors, bars.index)
    got = panel.close[ticker].reindex(bars.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    # volume is split-adjusted: raw shares / the split factor of the bar's factor row (LEAN's rule)
    rows = np.searchsorted(factors.index.asi8, bars.index.asi8, side="left")
    split = factors["split_factor"].to_numpy()[rows]
    assert (split != 1).any()
    np.testing.assert_allclose(panel.volume[ticker].reindex(bars.index).to_numpy(), bars["volume"].to_numpy() / split,
                               rtol=1e-12)


def test_train_command_exports_verified_models(market, tmp_path, capsys, monkeypatch):
    storage, models = tmp_path / "storage", tmp_path / "models"
    steps: list[str] = []
    monkeypatch.setattr(progress, "wrap", lambda items, desc="", total=None: steps.append(desc) or items)
    code = main([
        "train", "ml_mean_reversion", "--data-folder", str(market), "--end", "2011-12-31", "--top-n", "30",
        "--kinds", "gbc", "--folds", "3", "--permutation-repeats", "1", "--storage", str(storage),
        "--models-dir", str(models), "--report", str(tmp_path / "report.json"),
    ])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "chosen: gbc" in out and "(SYNTHETIC)" in out
    # every step longer than a moment shows progress on a terminal
    assert steps == ["reading members' bars", "walk-forward validation", "final fit (gbc)"]
    store = ObjectStore(storage)
    loaded = load_models(lambda name: store.read_bytes(object_store_key(name)))
    files = {side: entry["file"] for side, entry in loaded.manifest["models"].items()}
    assert sorted(store.keys) == [f"ml_mean_reversion/{files['long']}", "ml_mean_reversion/manifest.json",
                                  f"ml_mean_reversion/{files['short']}"]
    assert set(loaded.models) == {"long", "short"}
    window = loaded.manifest["training_window"]
    assert window["last_label_date"] <= "2011-12-31"
    assert loaded.manifest["thresholds"]["long_qpi_below"] == 15.0
    report = json.loads((tmp_path / "report.json").read_text())
    for side in ("long", "short"):
        assert report["events"][side] == int(window[f"n_events_{side}"]) > 0
        assert 0.0 <= report["comparison"][side]["gbc"]["auc"] <= 1.0
    # The versioned copy holds the same models, its manifest and a model card.
    (copy,) = list(models.iterdir())
    assert (copy / "MODEL_CARD.md").read_text().startswith("# ml_mean_reversion models")
    copied = load_models(copy)
    x = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 8)))
    np.testing.assert_array_equal(copied.probability("long", x), loaded.probability("long", x))
    # A corrupted model in the store is refused.
    store.save_bytes(object_store_key(files["long"]), b"not a model")
    with pytest.raises(ModelLoadError, match="sha256"):
        load_models(lambda name: store.read_bytes(object_store_key(name)))


def test_train_without_coarse_files_fails_cleanly(tmp_path, capsys):
    code = main(["train", "ml_mean_reversion", "--data-folder", str(tmp_path), "--storage", str(tmp_path / "s"),
                 "--no-copy"])
    assert code == 1
    assert "no coarse universe files" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("inside", [True, False])
def test_the_command_finds_the_workspaces_library(tmp_path, inside):
    """In a fresh process (no ``Library`` on ``sys.path``), inside the workspace the signals library is
    imported from the project's library paths; outside any workspace the command says where to run."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "lean_local.cli", "train", str(root / "algorithms" / "ml_mean_reversion"),
         "--data-folder", str(tmp_path), "--storage", str(tmp_path / "s"), "--no-copy"],
        cwd=root if inside else tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stderr
    expected = "no coarse universe files" if inside else "no lean.json in"
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_unknown_project_is_refused(capsys):
    assert main(["train", "kalman_mean_reversion"]) == 2
    assert "no training pipeline" in capsys.readouterr().err


def test_series_cut_at_an_unrecorded_split_and_a_hole() -> None:
    """A 2:1 move without a factor-file row and a 5-day hole each start a new column, so no feature,
    label or return spans them; other stocks are untouched."""
    from workspace_jobs.training.pipeline import _cut_at_breaks

    days = pd.bdate_range("2020-01-01", periods=14)
    nan = np.nan
    close = pd.DataFrame({"abc": [10, 10.1, 5.05, 5.1, nan, nan, nan, nan, nan, 5.2, 5.3, 5.2, 5.1, 5.0],
                          "ok": np.linspace(20, 21, 14)}, index=days)
    volume = close * 0 + 100
    member = pd.DataFrame(True, index=days, columns=close.columns)
    close2, volume2, member2, breaks = _cut_at_breaks(close, volume, member)
    assert breaks == [("abc", "2020-01-03"), ("abc", "2020-01-14")]
    assert list(close2.columns) == ["abc", "ok", "abc@2020-01-03", "abc@2020-01-14"]
    np.testing.assert_array_equal(close2["abc"].to_numpy()[:2], [10, 10.1])
    assert close2["abc"].iloc[2:].isna().all()
    np.testing.assert_array_equal(close2["abc@2020-01-03"].dropna().to_numpy(), [5.05, 5.1])
    np.testing.assert_array_equal(close2["abc@2020-01-14"].dropna().to_numpy(), [5.2, 5.3, 5.2, 5.1, 5.0])
    assert member2["abc"].tolist() == [True, True] + [False] * 12
    assert member2["abc@2020-01-03"].tolist() == [False, False] + [True] * 7 + [False] * 5
    assert volume2["abc@2020-01-14"].notna().sum() == 5
    pd.testing.assert_series_equal(close2["ok"], close["ok"])
    assert member2.dtypes.eq(bool).all()
