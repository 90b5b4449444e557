"""Another data folder's files joined to the workspace's data folder as links (lean_local.data.folder_links)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lean_local.cli import main
from lean_local.data import formats
from lean_local.data.folder_links import link_folder
from lean_local.data.lean_sample import link_lean_sample
from lean_local.data.synthetic import INDEX_TICKER, RESERVED_TICKERS, VOLATILITY_TICKER, make_tickers


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_inside_the_data_folder_is_linked_relatively_one_outside_absolutely(tmp_path):
    data = tmp_path / "data"
    inner = _write(data / "synthetic" / "equity/usa/daily/abc.zip", "inner").parent.parent.parent.parent
    outer = _write(tmp_path / "sample" / "equity/usa/daily/spy.zip", "outer").parent.parent.parent.parent

    assert link_folder(inner, data).linked == 1
    assert link_folder(outer, data).linked == 1
    abc, spy = data / "equity/usa/daily/abc.zip", data / "equity/usa/daily/spy.zip"
    assert os.readlink(abc) == "../../../synthetic/equity/usa/daily/abc.zip" and abc.read_text() == "inner"
    assert os.readlink(spy) == str(outer.resolve() / "equity/usa/daily/spy.zip")
    # the data folder moves: the relative link still resolves
    moved = tmp_path / "moved"
    data.rename(moved)
    assert (moved / "equity/usa/daily/abc.zip").read_text() == "inner"


def test_skipped_paths_are_not_linked_and_regular_files_are_kept(tmp_path):
    source, data = tmp_path / "source", tmp_path / "data"
    _write(source / "market-hours/market-hours-database.json", "{}")
    _write(source / "alternative/interest-rate/usa/interest-rate.csv", "synthetic rates")
    _write(source / "equity/usa/daily/abc.zip", "abc")
    built = _write(data / "alternative/interest-rate/usa/interest-rate.csv", "real rates")

    report = link_folder(source, data, skip=("market-hours", "alternative/interest-rate/usa/interest-rate.csv"))
    assert report.linked == 1 and report.kept == ()
    assert not (data / "market-hours").exists() and built.read_text() == "real rates"
    assert link_folder(source, data).kept == (built.resolve(),)  # not skipped: the regular file stays


def test_a_link_into_another_folder_is_kept_unless_the_source_takes_it_over(tmp_path):
    sample, data = tmp_path / "sample", tmp_path / "data"
    synthetic = data / "synthetic"
    _write(sample / "equity/usa/fundamental/coarse/20140324.csv", "real rows")
    _write(synthetic / "equity/usa/fundamental/coarse/20140324.csv", "synthetic rows")
    coarse = data / "equity/usa/fundamental/coarse/20140324.csv"

    link_folder(sample, data)
    kept = link_folder(synthetic, data)
    assert kept.kept == (coarse,) and coarse.read_text() == "real rows"
    taken = link_folder(synthetic, data, take_over_links=True)
    assert taken.replaced == (coarse,) and coarse.read_text() == "synthetic rows"
    # linking the sample again keeps the synthetic market's file: the order of the commands does not matter
    assert link_lean_sample(sample, data).kept == (coarse,) and coarse.read_text() == "synthetic rows"


def test_links_to_files_a_new_version_of_the_source_lacks_are_removed(tmp_path):
    data = tmp_path / "data"
    source = data / "synthetic"
    old = _write(source / "equity/usa/daily/old.zip", "old")
    _write(source / "equity/usa/daily/new.zip", "new")
    link_folder(source, data)
    old.unlink()
    report = link_folder(source, data)
    assert report.removed == 1 and report.linked == 1
    assert sorted(p.name for p in (data / "equity/usa/daily").iterdir()) == ["new.zip"]


def test_the_synthetic_market_never_takes_a_ticker_of_leans_sample_or_its_own_indices():
    import numpy as np

    names = set(make_tickers(np.random.default_rng(0), 20_000))
    assert len(names) == 20_000 and not names & RESERVED_TICKERS
    assert {INDEX_TICKER, VOLATILITY_TICKER, "SPY", "VIX", "AAPL", "IBM", "GOOGL"} <= RESERVED_TICKERS


@pytest.mark.slow
def test_data_synthetic_without_a_folder_joins_the_workspaces_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CI", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    data = tmp_path / "data"
    real_rate = _write(data / "alternative/interest-rate/usa/interest-rate.csv", "DATE,PCREDIT8\n2003-01-09,2.25\n")

    assert main(["data", "synthetic", "--stocks", "12", "--years", "0.5", "--jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    market = data / "synthetic"
    assert (market / "synthetic.json").is_file() and f"files linked into {data}" in out
    spy = formats.equity_daily_path(data, INDEX_TICKER)
    vix = formats.index_daily_path(data, VOLATILITY_TICKER)
    assert spy.is_symlink() and vix.is_symlink() and len(formats.read_equity_daily(spy)) > 100
    assert not formats.equity_daily_path(data, "SPY").exists()
    coarse = sorted(formats.coarse_folder(data).iterdir())
    assert coarse and all(path.is_symlink() for path in coarse)
    # the real market hours, interest rate and FX rule the data folder
    assert real_rate.read_text().startswith("DATE") and not real_rate.is_symlink()
    assert not (data / "market-hours").exists() and not (data / "forex").exists()
    assert not (data / "synthetic.json").exists()
