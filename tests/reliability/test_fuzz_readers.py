"""Fuzzing every LEAN data reader and ``data check`` with mutated bytes (issue 17's acceptance).

A reader either reads a damaged file or raises ``DataFormatError`` naming it; never another
exception, and never more memory than the entry-size limit allows.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lean_local.data import formats
from lean_local.data.check import check_data_folder
from lean_local.data.formats import DataFormatError


def _zip(entry: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry, text)
    return buffer.getvalue()


DAYS = ["20140102", "20140103", "20140106", "20140107"]
EQUITY = "".join(f"{d} 00:00,1830000,1840000,1820000,1835000,{1000 + k}\n" for k, d in enumerate(DAYS))
FOREX = "".join(f"{d} 00:00,1.37,1.38,1.36,1.375,0,1.3702,1.3802,1.3602,1.3752,0\n" for d in DAYS)
INDEX = "".join(f"{d} 00:00,1830.5,1840.25,1820.0,1835.75,0\n" for d in DAYS)

#: relative path -> (bytes, reader); the paths are LEAN's layout, so ``data check`` visits each.
SEEDS = {
    "equity/usa/daily/spy.zip": (_zip("spy.csv", EQUITY), formats.read_equity_daily),
    "forex/oanda/daily/eurusd.zip": (_zip("eurusd.csv", FOREX), formats.read_forex_daily),
    "index/usa/daily/spx.zip": (_zip("spx.csv", INDEX), formats.read_index_daily),
    "equity/usa/factor_files/spy.csv": (b"20140103,0.98,1,183.5\n20501231,1,1,0", formats.read_factor_file),
    "equity/usa/map_files/spy.csv": (b"19980102,spy,P\n20501231,spy,P\n", formats.read_map_file),
    "equity/usa/fundamental/coarse/20140102.csv": (
        b"SPY R735QTJ8XC9X,SPY,183.5,1000,183500,False,0.98,1\nAAPL R735QTJ8XC9X,AAPL,550,2000,1100000,False,1,1\n",
        formats.read_coarse),
    "alternative/cboe/vix.csv": (b"DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2014,14.3,14.6,13.9,14.2\n"
                                 b"01/03/2014,14.2,14.5,13.6,13.8\n", formats.read_cboe_csv),
    "alternative/interest-rate/usa/interest-rate.csv": (b"2014-01-01,0.75\n2015-12-17,1\n",
                                                        formats.read_interest_rate),
}

mutation = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]),
                     st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255))


def _mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, position, value in mutations:
        at = position % (len(out) + 1)
        if kind == "flip" and at < len(out):
            out[at] ^= value or 1
        elif kind == "insert":
            out[at:at] = bytes([value])
        elif kind == "delete" and at < len(out):
            del out[at]
        elif kind == "truncate":
            del out[at:]
    return bytes(out)


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(SEEDS)), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_every_reader_reads_or_names_the_file(tmp_path, name, mutations):
    data, reader = SEEDS[name]
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_mutate(data, mutations))
    previous = os.environ.get("LEAN_LOCAL_MAX_ENTRY_BYTES")
    os.environ["LEAN_LOCAL_MAX_ENTRY_BYTES"] = str(1 << 20)  # a mutated header cannot claim more
    try:
        reader(path)
    except DataFormatError as error:
        assert Path(error.path) == path
    finally:
        if previous is None:
            os.environ.pop("LEAN_LOCAL_MAX_ENTRY_BYTES")
        else:
            os.environ["LEAN_LOCAL_MAX_ENTRY_BYTES"] = previous


@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(SEEDS)), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_data_check_reports_damage_without_aborting(tmp_path, name, mutations):
    folder = tmp_path / f"data-{abs(hash((name, tuple(mutations))))}"
    for relative, (data, _reader) in SEEDS.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_mutate(data, mutations) if relative == name else data)
    report = check_data_folder(folder)
    # every file is still checked (the damage of one never hides the rest), and each problem
    # names the damaged file
    assert sum(report.counts.values()) == len(SEEDS)
    assert {Path(p.path) for p in report.problems} <= {folder / name}
