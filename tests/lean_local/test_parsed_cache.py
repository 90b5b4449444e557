"""The parsed-data cache's record reader (``lean_local.engine.parsed_cache``)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from lean_local.engine import parsed_cache
from lean_local.engine.parsed_cache import cached_value, load_record, map_record, read_record


def _record(rows: int) -> np.ndarray:
    record = np.zeros(rows, dtype=[("__index__", "i8"), ("symbol", "U5"), ("close", "f8"), ("flag", "?")])
    record["__index__"] = np.arange(rows) * 86_400 * 10**9
    record["symbol"] = [f"S{i}" for i in range(rows)]
    record["close"] = np.linspace(1.5, 9.25, rows)
    record["flag"] = np.arange(rows) % 2 == 0
    return record


@pytest.mark.parametrize("rows", [0, 1, 7, 1000])
def test_a_record_reads_back_as_np_load_reads_it(tmp_path, rows):
    path = tmp_path / "record.npy"
    np.save(path, _record(rows), allow_pickle=False)
    read, loaded = read_record(path), np.load(path, allow_pickle=False)
    assert read.dtype == loaded.dtype and read.shape == (rows,)
    assert read.tobytes() == loaded.tobytes()


def test_other_arrays_go_through_np_load(tmp_path):
    path = tmp_path / "matrix.npy"
    matrix = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.save(path, matrix)
    assert np.array_equal(read_record(path), matrix)


def test_a_truncated_record_is_an_error(tmp_path):
    path = tmp_path / "record.npy"
    np.save(path, _record(10), allow_pickle=False)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="of 10 rows"):
        read_record(path)


def test_load_record_keeps_the_frame_columns_and_its_index(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "source.csv"
    source.write_text("x")
    frame = pd.DataFrame({"price_factor": [0.5, 1.0], "split_factor": [1.0, 1.0]},
                         index=pd.DatetimeIndex(["2020-01-03", "2050-12-31"]))

    def read_factors(path):
        return frame

    for _ in range(2):  # parsed, then read back from the cache
        record = load_record(read_factors, source)
        assert record["__index__"].tolist() == frame.index.asi8.tolist()
        assert record["price_factor"].tolist() == [0.5, 1.0]
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1


def test_cached_value_reads_the_file_once_per_version(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "source.txt"
    source.write_text("a,b")
    calls = []

    def read_words(path):
        calls.append(path)
        return {"words": path.read_text().split(","), "count": len(calls)}

    assert cached_value(read_words, source) == {"words": ["a", "b"], "count": 1}
    assert cached_value(read_words, source) == {"words": ["a", "b"], "count": 1}  # kept, not read again
    source.write_text("a,b,c")  # a new size: read again
    assert cached_value(read_words, source) == {"words": ["a", "b", "c"], "count": 2}
    kept = list((tmp_path / "cache").glob("*.marshal"))
    assert len(kept) == 2
    for path in kept:  # an unreadable kept value is read again from the file and overwritten
        path.write_bytes(b"\x00")
    assert cached_value(read_words, source) == {"words": ["a", "b", "c"], "count": 3}
    assert cached_value(read_words, source)["count"] == 3


def test_cached_value_keeps_no_failed_read(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "source.txt"
    source.write_text("bad")

    def read_strict(path):
        raise ValueError(f"{path}:1: bad")

    for _ in range(2):  # the error comes again: nothing was kept
        with pytest.raises(ValueError, match="source.txt:1: bad"):
            cached_value(read_strict, source)
    assert not list((tmp_path / "cache").glob("*"))


def test_a_plain_one_dimensional_array_reads_back_as_np_load_reads_it(tmp_path):
    path = tmp_path / "flat.npy"
    values = np.array([1.5, -0.0, 2.0**60, np.nan])
    np.save(path, values, allow_pickle=False)
    read = read_record(path)
    assert read.dtype == np.float64 and read.tobytes() == values.tobytes()


@pytest.mark.parametrize("values", [np.array([1.5, -0.0, 2.0**60, np.nan]), np.arange(5, dtype=np.int64)])
def test_a_mapped_plain_array_reads_as_np_load_reads_it_read_only(tmp_path, values):
    path = tmp_path / "flat.npy"
    np.save(path, values, allow_pickle=False)
    mapped = map_record(path)
    assert mapped.dtype == values.dtype and mapped.tobytes() == values.tobytes()
    assert not mapped.flags.writeable
    path.unlink()  # the mapping outlives the file's name (the cache replaces a record by a rename)
    assert mapped.tobytes() == values.tobytes()


def test_map_record_keeps_at_most_max_mapped_files_open_and_reads_past_that(tmp_path, monkeypatch):
    """Each mapping holds a file descriptor: past ``MAX_MAPPED`` live mappings a record is read into memory
    (writeable), and a mapping's release makes room again."""
    monkeypatch.setattr(parsed_cache, "MAX_MAPPED", parsed_cache._mapped_alive[0] + 2)
    path = tmp_path / "flat.npy"
    np.save(path, np.arange(4.0), allow_pickle=False)
    open_files = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    first, second, third = map_record(path), map_record(path), map_record(path)
    assert [a.flags.writeable for a in (first, second, third)] == [False, False, True]
    assert all(a.tobytes() == np.arange(4.0).tobytes() for a in (first, second, third))
    if open_files is not None:
        assert len(os.listdir("/proc/self/fd")) == open_files + 2
    del first
    assert not map_record(path).flags.writeable


def test_map_record_reads_records_and_empty_arrays_and_refuses_a_truncated_one(tmp_path):
    path = tmp_path / "record.npy"
    np.save(path, _record(3), allow_pickle=False)
    assert map_record(path).tobytes() == _record(3).tobytes() and map_record(path).flags.writeable
    np.save(path, np.empty(0), allow_pickle=False)
    assert map_record(path).shape == (0,)
    np.save(path, np.arange(10.0), allow_pickle=False)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="7 of 10 rows"):
        map_record(path)


def test_load_record_missing_ok_answers_none_for_a_missing_file_and_reads_an_existing_one(tmp_path, monkeypatch):
    """``missing_ok``: a file that does not exist (or under a file, not a folder) is None, unread; one that
    exists is the same record as without it, under the same key."""
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    frame = pd.DataFrame({"price_factor": [0.5]}, index=pd.DatetimeIndex(["2020-01-03"]))
    reads = []

    def read_factors(path):
        reads.append(path)
        return frame

    source = tmp_path / "source.csv"
    assert load_record(read_factors, source, missing_ok=True) is None
    assert load_record(read_factors, source / "below", missing_ok=True) is None
    assert not reads
    source.write_text("x")
    first = load_record(read_factors, source, missing_ok=True)
    assert first is not None and first["price_factor"].tolist() == [0.5]
    assert load_record(read_factors, source).tobytes() == first.tobytes() and len(reads) == 1
