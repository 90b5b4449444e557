"""``tools/install-chromium.sh`` (run by ``make test``): it says what it does on every path, announces
an installation before it starts, and its verdict matches whether the browser test can find chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "install-chromium.sh"


def _run(tmp_path: Path, apt_get: str | None, *, chromium: bool = False, **env: str) -> list[str]:
    """The script's lines with a PATH holding only the tools it needs (and chromium when asked)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("id", "sh"):
        target = bin_dir / tool
        if not target.exists():
            target.symlink_to(shutil.which(tool))
    if chromium:
        (bin_dir / "chromium").write_text("#!/bin/sh\n")
        (bin_dir / "chromium").chmod(0o755)
    if apt_get is not None:
        fake = bin_dir / "apt-get"
        fake.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'apt.log'}\n{apt_get}\n")
        fake.chmod(0o755)
    done = subprocess.run(["/bin/sh", str(SCRIPT)], capture_output=True, text=True, check=False,
                          env={"PATH": str(bin_dir), "CHROMIUM_PATH": str(tmp_path / "none"), **env})
    assert done.returncode == 0  # never fails `make test`
    return done.stdout.splitlines()


def test_chromium_present_installs_nothing(tmp_path):
    lines = _run(tmp_path, "exit 0", chromium=True)
    assert lines == ["install-chromium: chromium found, nothing installed; the browser test will run"]
    assert not (tmp_path / "apt.log").exists()


def test_opt_out_installs_nothing_and_says_the_test_skips(tmp_path):
    lines = _run(tmp_path, "exit 0", NO_SYSTEM_PACKAGES="1")
    assert lines == ["install-chromium: NO_SYSTEM_PACKAGES=1, nothing installed; the browser test will skip "
                     "(install Debian's chromium package to run it)"]
    assert not (tmp_path / "apt.log").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the installing path runs only as root")
def test_an_installation_is_announced_and_a_failure_says_the_test_skips(tmp_path):
    lines = _run(tmp_path, "exit 100")  # dpkg locked: apt-get fails
    assert lines[0].startswith("install-chromium: installing Debian's chromium and fonts-dejavu-core with apt-get")
    assert lines[-1] == ("install-chromium: apt-get could not install chromium (is another apt or dpkg running?); "
                         "the browser test will skip (install Debian's chromium package to run it)")
    assert (tmp_path / "apt.log").read_text().splitlines()[0] == "update -qq"


@pytest.mark.skipif(os.geteuid() != 0, reason="the installing path runs only as root")
def test_a_failed_install_with_chromium_found_after_says_the_test_runs(tmp_path):
    # the verdict is checked, not assumed: apt-get failed, yet chromium is there (installed meanwhile)
    chromium = tmp_path / "none"
    lines = _run(tmp_path, f"{shutil.which('touch')} {chromium}; {shutil.which('chmod')} +x {chromium}; exit 100")
    assert lines[-1].endswith("the browser test will run")
