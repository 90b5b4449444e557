"""Issue 17 item 1: ``lean-local data synthetic`` locks its folder and replaces it in one step."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lean_local.data import synthetic
from lean_local.data.synthetic import INDEX_TICKER, MARKER_FILE, SyntheticMarketConfig, folder, write_market

SMALL = SyntheticMarketConfig(n_stocks=6, years=0.3, seed=1, jobs=1)
# Big enough that a run is still writing when the test kills it (seconds on one core).
SLOW = ["--stocks", "200", "--years", "2", "--jobs", "1", "--quiet"]


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(target: Path, seed: int, *extra: str) -> subprocess.Popen:
    code = "import sys; from lean_local.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "data", "synthetic", "--seed", str(seed), "--data-folder", str(target), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "1"},
    )


def _wait_for_staging_files(target: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Return once the run has written stock zips into its staging folder."""
    daily = target.parent / f".{target.name}.synthetic-new" / "equity" / "usa" / "daily"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended before it was caught writing: {process.communicate()}")
        if daily.is_dir() and any(daily.glob("*.zip")):
            return
        time.sleep(0.02)
    pytest.fail("the run wrote no stock file in time")


def _leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.glob(f".{target.name}.synthetic-*"))


def test_a_second_concurrent_synthetic_run_fails_with_a_clear_message(tmp_path):
    """Item 1: while another process holds the folder, a run is refused at once and writes nothing; once
    that process ends (the kernel drops its lock), a run goes through."""
    target = tmp_path / "market"
    write_market(target, SMALL, quiet=True)
    before = _hashes(target)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from lean_local.data.synthetic import folder\n"
         "with folder.locked(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()", str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    second = _cli(target, 3, "--stocks", "5", "--years", "0.3", "--jobs", "1", "--quiet")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 1
    assert f"error: {target} is being written by another `lean-local data synthetic` run" in err
    assert _hashes(target) == before
    holder.kill()
    holder.wait(timeout=60)
    third = _cli(target, 3, "--stocks", "5", "--years", "0.3", "--jobs", "1", "--quiet")
    assert third.wait(timeout=120) == 0
    assert json.loads((target / MARKER_FILE).read_text())["seed"] == 3
    assert _leftovers(target) == []


def test_the_lock_is_taken_in_process_too(tmp_path):
    target = tmp_path / "market"
    with folder.locked(target), pytest.raises(synthetic.FolderBusyError, match="wait for it to finish"):
        write_market(target, SMALL, quiet=True)
    assert not target.exists()


def test_a_killed_synthetic_run_leaves_the_old_market_intact(tmp_path):
    """Item 1: ``kill -9`` while the new market is being written: the old one, marker included, is untouched;
    the next run cleans up and replaces it."""
    target = tmp_path / "market"
    write_market(target, SMALL, quiet=True)
    before = _hashes(target)
    run = _cli(target, 2, *SLOW)
    _wait_for_staging_files(target, run)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    assert _hashes(target) == before
    assert json.loads((target / MARKER_FILE).read_text())["seed"] == 1

    market = write_market(target, SyntheticMarketConfig(n_stocks=4, years=0.3, seed=5, jobs=1), quiet=True)
    assert json.loads((target / MARKER_FILE).read_text())["seed"] == 5
    assert {p.stem for p in (target / "equity" / "usa" / "daily").glob("*.zip")} == (
        {t.lower() for t in market.tickers} | {INDEX_TICKER.lower()})
    assert _leftovers(target) == []


def test_a_failing_run_leaves_the_old_market_intact(tmp_path):
    target = tmp_path / "market"
    write_market(target, SMALL, quiet=True)
    before = _hashes(target)
    with folder.locked(target), pytest.raises(RuntimeError, match="boom"), folder.replacing(target) as staging:
        (staging / "partial.txt").write_text("half")
        raise RuntimeError("boom")
    assert _hashes(target) == before
    assert _leftovers(target) == []


def test_a_swap_interrupted_between_its_two_renames_is_undone_by_the_next_run(tmp_path, monkeypatch):
    """Where ``renameat2`` is missing the swap takes two renames; a market left aside goes back."""
    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    target = tmp_path / "market"
    write_market(target, SMALL, quiet=True)
    before = _hashes(target)
    os.rename(target, tmp_path / ".market.synthetic-old")  # killed right after the first rename
    with folder.locked(target), pytest.raises(RuntimeError), folder.replacing(target):
        raise RuntimeError("interrupted")
    assert _hashes(target) == before
    write_market(target, SyntheticMarketConfig(n_stocks=4, years=0.3, seed=5, jobs=1), quiet=True)
    assert json.loads((target / MARKER_FILE).read_text())["seed"] == 5
    assert _leftovers(target) == []


def test_replacing_keeps_files_outside_the_generated_folders(tmp_path):
    target = tmp_path / "market"
    write_market(target, SMALL, quiet=True)
    (target / "notes").mkdir()
    (target / "notes" / "mine.txt").write_text("keep")
    stale = target / "equity" / "usa" / "daily" / "zzzz.zip"
    stale.write_bytes(b"stale")
    write_market(target, SyntheticMarketConfig(n_stocks=4, years=0.3, seed=5, jobs=1), quiet=True)
    assert (target / "notes" / "mine.txt").read_text() == "keep"
    assert not stale.exists()


def test_a_symlinked_folder_is_replaced_behind_its_link(tmp_path):
    real = tmp_path / "real"
    write_market(real, SMALL, quiet=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    write_market(link, SyntheticMarketConfig(n_stocks=4, years=0.3, seed=5, jobs=1), quiet=True)
    assert link.is_symlink()
    assert json.loads((real / MARKER_FILE).read_text())["seed"] == 5
