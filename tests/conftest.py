"""Test configuration shared by every test module.

``Library/`` goes on ``sys.path`` as LEAN puts it, so tests import the signals library exactly as
the algorithms do: ``from shared.pressure import pressure_index``.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "Library"
if str(LIBRARY) not in sys.path:
    sys.path.insert(0, str(LIBRARY))


@pytest.fixture(scope="session")
def lean_data_folder() -> Path:
    """LEAN's sample data folder from ``LEAN_DATA_FOLDER``; skips the test when it is absent."""
    folder = os.environ.get("LEAN_DATA_FOLDER", "")
    if not folder or not (Path(folder) / "equity" / "usa" / "daily" / "spy.zip").exists():
        pytest.skip("LEAN sample data not found: set LEAN_DATA_FOLDER to LEAN's data folder (e.g. ../shared/lean-data)")
    return Path(folder)
