"""The local object store: LEAN's key rule, round trips, atomic saves, file paths."""

from __future__ import annotations

import pickle

import pytest

from lean_local.object_store import ObjectStore, ObjectStoreKeyError, normalize_key, validate_key


@pytest.mark.parametrize(
    "key",
    ["ml_mean_reversion/long_model.pkl", "a b/c#d$e=f-g.json", ".hidden", "dir\\file.txt", "plain"],
)
def test_valid_keys(key):
    validate_key(key)


@pytest.mark.parametrize("key", ["model.v1.pkl", "bad*name", "x/y.tar.gz", "a" + "/a" * 101, "é.txt", ""])
def test_invalid_keys_raise_clear_error(key, tmp_path):
    with pytest.raises(ObjectStoreKeyError, match="path is not supported"):
        ObjectStore(tmp_path).save(key, "x")


def test_round_trips_and_keys(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    assert store.keys == [] and not store.contains_key("a.txt")
    assert store.save("a.txt", "hello") is True
    store.save_bytes("models/m.pkl", pickle.dumps({"w": [1, 2]}))
    store.save_json("cfg/params.json", {"z": 1.5})
    assert store.read("a.txt") == "hello"
    assert pickle.loads(store.read_bytes("models/m.pkl")) == {"w": [1, 2]}
    assert store.read_json("cfg/params.json") == {"z": 1.5}
    assert store.keys == ["a.txt", "cfg/params.json", "models/m.pkl"]
    # LEAN normalizes leading separators and backslashes
    assert store.contains_key("/models\\m.pkl")
    assert normalize_key("./x\\y") == "x/y"
    assert store.delete("a.txt") is True and store.delete("a.txt") is False
    with pytest.raises(KeyError, match="was not found"):
        store.read("a.txt")
    store.clear()
    assert store.keys == []


def test_get_file_path_creates_folders_and_is_shared(tmp_path):
    research = ObjectStore(tmp_path / "storage")
    path = research.get_file_path("ml_mean_reversion/long_model.pkl")
    assert path == str((tmp_path / "storage" / "ml_mean_reversion" / "long_model.pkl").resolve())
    assert (tmp_path / "storage" / "ml_mean_reversion").is_dir()
    with open(path, "wb") as handle:
        pickle.dump([3, 4], handle)
    backtest = ObjectStore(tmp_path / "storage")  # a second store on the same root sees the file
    assert backtest.contains_key("ml_mean_reversion/long_model.pkl")
    assert pickle.loads(backtest.read_bytes("ml_mean_reversion/long_model.pkl")) == [3, 4]
    with pytest.raises(ObjectStoreKeyError):
        research.get_file_path("model.v1.pkl")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    store = ObjectStore(tmp_path)
    store.save("k.txt", "one")
    store.save("k.txt", "two")
    assert store.read("k.txt") == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.txt"]
