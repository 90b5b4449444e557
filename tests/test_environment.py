"""The runtime packages stay pinned to the versions in LEAN's image.

A model pickled here must load in LEAN, and a computation must give the same numbers there, so the
pins in ``pyproject.toml`` equal the versions of LEAN's foundation image (lean-reference.md,
section 2) and the installed environment equals the pins.
"""

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "docs" / "lean-reference.md"

# LEAN's foundation image (DockerfileLeanFoundation), for the packages this project uses.
LEAN_IMAGE = {
    "numpy": "1.26.4",
    "pandas": "2.3.3",
    "scipy": "1.13.1",
    "scikit-learn": "1.6.1",
    "statsmodels": "0.14.6",
    "pykalman": "0.11.0",
    "arch": "8.0.0",
    "matplotlib": "3.8.4",
}


def _pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        name, _, pinned = requirement.partition("==")
        pins[name.strip().lower()] = pinned.strip()
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all("==" in requirement for requirement in project["dependencies"])


@pytest.mark.parametrize("package", sorted(LEAN_IMAGE))
def test_pins_equal_lean_image(package):
    assert _pins()[package] == LEAN_IMAGE[package]


@pytest.mark.parametrize("package", sorted(LEAN_IMAGE))
def test_installed_versions_equal_pins(package):
    assert version(package) == _pins()[package]


def test_lean_image_list_matches_reference():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} not found (it lives in ../shared beside the workspace)")
    section = REFERENCE.read_text().split("## 2.")[1].split("## 3.")[0]
    listed = dict(re.findall(r"([a-z][a-z0-9-]+) (\d+\.\d+\.\d+)", section))
    for package, pinned in LEAN_IMAGE.items():
        assert listed[package] == pinned, f"{package}: LEAN image has {listed[package]}, we pin {pinned}"
