"""Export and load of the ML models: content-addressed files, the manifest as the commit point, the object
store's previous version, and the checks at load."""

import hashlib
import json

import joblib
import numpy as np
import pytest

from shared import model_store
from shared.features import FEATURE_NAMES
from shared.ml_training import EventConfig, ValidationConfig, fit_final
from shared.model_store import (
    PREVIOUS_MANIFEST,
    ModelLoadError,
    export_models,
    load_models,
    object_store_key,
    publish_models,
    train_and_export,
)
from tests.planted import simulate_panel

pytestmark = pytest.mark.usefixtures("one_thread")


def _export(events, directory, kind="hist"):
    models = {side: fit_final(events, side, kind) for side in ("long", "short")}
    manifest = export_models(models, directory, EventConfig(), {"start": "a", "end": "b"}, {}, kind)
    return models, manifest


def _sample(events):
    return events[list(FEATURE_NAMES)].to_numpy()[:200]


def test_export_and_load_round_trip(planted, tmp_path):
    _, _, events = planted
    models, manifest = _export(events, tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(["manifest.json", manifest["models"]["long"]["file"], manifest["models"]["short"]["file"]])
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["feature_names"] == list(FEATURE_NAMES)
    assert on_disk["thresholds"] == {"long_qpi_below": 15.0, "short_qpi_above": 85.0, "probability": 0.6, "horizon": 6}
    assert on_disk["packages"]["scikit-learn"] == model_store.sklearn.__version__
    for entry in on_disk["models"].values():
        assert hashlib.sha256((tmp_path / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    loaded = load_models(tmp_path)
    x = _sample(events)
    for side in ("long", "short"):
        np.testing.assert_array_equal(loaded.probability(side, x), models[side].predict_proba(x)[:, 1])
    x[0, 3] = np.nan
    assert np.isnan(loaded.probability("long", x)[0])


def test_interrupted_export_keeps_previous_models(planted, tmp_path, monkeypatch):
    events = planted[2].groupby("side").head(1500)
    old_models, old_manifest = _export(events, tmp_path, "hist")
    real_write = model_store._write_atomic

    def crash_on_manifest(directory, name, data):
        if name == "manifest.json":
            raise KeyboardInterrupt("killed during export")
        real_write(directory, name, data)

    monkeypatch.setattr(model_store, "_write_atomic", crash_on_manifest)
    small = events.groupby("side").head(800)
    with pytest.raises(KeyboardInterrupt):
        _export(small, tmp_path, "hist")
    monkeypatch.setattr(model_store, "_write_atomic", real_write)
    loaded = load_models(tmp_path)
    assert loaded.manifest["models"] == old_manifest["models"]
    x = _sample(events)
    np.testing.assert_array_equal(loaded.probability("long", x), old_models["long"].predict_proba(x)[:, 1])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # A later successful export replaces everything and removes the orphaned files.
    _, manifest = _export(small, tmp_path, "hist")
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"manifest.json", manifest["models"]["long"]["file"], manifest["models"]["short"]["file"]}


def test_load_refuses_bad_exports(planted, tmp_path):
    _, _, events = planted
    with pytest.raises(ModelLoadError, match="train_and_export"):
        load_models(tmp_path / "nothing")
    _, manifest = _export(events.groupby("side").head(2000), tmp_path)
    path = tmp_path / "manifest.json"
    good = path.read_text()

    edited = json.loads(good)
    edited["feature_names"] = list(FEATURE_NAMES[:-1])
    path.write_text(json.dumps(edited))
    with pytest.raises(ModelLoadError, match="features"):
        load_models(tmp_path)

    edited = json.loads(good)
    edited["packages"]["scikit-learn"] = "0.24.2"
    path.write_text(json.dumps(edited))
    with pytest.raises(ModelLoadError, match="scikit-learn 0.24.2"):
        load_models(tmp_path)

    # joblib is not pinned in LEAN's foundation image: another version loads, with a warning
    edited = json.loads(good)
    edited["packages"]["joblib"] = "1.0.0"
    path.write_text(json.dumps(edited))
    loaded = load_models(tmp_path)
    assert set(loaded.models) == set(manifest["models"])
    assert [w.split(" (here)")[0] for w in loaded.warnings] == ["warning: joblib 1.0.0 (trained) vs "
                                                                f"{joblib.__version__}"]
    for package, version in (("numpy", "1.25.0"), ("scipy", "1.11.0")):
        edited = json.loads(good)
        edited["packages"][package] = version
        path.write_text(json.dumps(edited))
        with pytest.raises(ModelLoadError, match=f"{package} {version}"):
            load_models(tmp_path)

    path.write_text(good)
    assert load_models(tmp_path).warnings == []
    model_file = tmp_path / manifest["models"]["long"]["file"]
    model_file.write_bytes(model_file.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelLoadError, match="sha256"):
        load_models(tmp_path)
    model_file.unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_models(tmp_path)


def test_writer_and_reader_callables(planted):
    _, _, events = planted
    store: dict[str, bytes] = {}
    models = {"long": fit_final(events.groupby("side").head(2000), "long")}
    export_models(models, lambda key, data: store.__setitem__(f"ml/{key}", data), EventConfig(), {}, {}, "hist")
    assert "ml/manifest.json" in store
    loaded = load_models(lambda key: store[f"ml/{key}"])
    x = _sample(events)
    np.testing.assert_array_equal(loaded.probability("long", x), models["long"].predict_proba(x)[:, 1])


def test_train_and_export_end_to_end(tmp_path):
    close, volume = simulate_panel(700, 40, effect=0.008, seed=5)
    manifest = train_and_export(close, volume, None, tmp_path, validation=ValidationConfig(n_folds=3, permutation_repeats=1))
    assert set(manifest["models"]) == {"long", "short"}
    assert manifest["validation"]["long"]["n_oos"] > 0
    assert manifest["training_window"]["start"] >= str(close.index[49].date())
    assert manifest["training_window"]["last_label_date"] <= str(close.index[-1].date())
    assert load_models(tmp_path).models.keys() == {"long", "short"}


def test_object_store_keys():
    assert object_store_key("manifest.json") == "ml_mean_reversion/manifest.json"
    assert object_store_key("previous_manifest.json") == "ml_mean_reversion/previous_manifest.json"
    assert object_store_key("long_model_0123456789ab.joblib") == "ml_mean_reversion/long_model_0123456789ab.joblib"
    for name in ("other.bin", "long_model_xyz.joblib", "middle_model_0123456789ab.joblib", "../manifest.json"):
        with pytest.raises(ValueError):
            object_store_key(name)


class Store:
    """LEAN's ObjectStore API (keys, contains_key, read_bytes, save_bytes, delete) over a dict; ``crash_on``
    raises on a save of that key, as a process killed mid-export."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.crash_on: str | None = None

    @property
    def keys(self) -> list[str]:
        return sorted(self.data)

    def contains_key(self, key: str) -> bool:
        return key in self.data

    def read_bytes(self, key: str) -> bytes:
        return self.data[key]

    def save_bytes(self, key: str, data: bytes) -> bool:
        if key == self.crash_on:
            raise KeyboardInterrupt(f"killed while saving {key}")
        self.data[key] = bytes(data)
        return True

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None

    def reader(self):
        return lambda name: self.read_bytes(object_store_key(name))


def _publish(store, events, side_rows):
    models = {side: fit_final(events.groupby("side").head(side_rows), side) for side in ("long", "short")}
    return models, publish_models(store, models, EventConfig(), {}, {}, "hist")


def _model_keys(manifest):
    return {object_store_key(entry["file"]) for entry in manifest["models"].values()}


def test_publish_keeps_the_previous_version_and_deletes_older_ones(planted):
    events = planted[2]
    store = Store()
    first_models, first = _publish(store, events, 1500)
    assert set(store.keys) == {"ml_mean_reversion/manifest.json"} | _model_keys(first)
    second_models, second = _publish(store, events, 1200)
    third_models, third = _publish(store, events, 900)
    # the current and the previous version's files remain; the first version's are gone
    assert set(store.keys) == ({"ml_mean_reversion/manifest.json", "ml_mean_reversion/previous_manifest.json"}
                               | _model_keys(third) | _model_keys(second))
    x = _sample(events)
    current = load_models(store.reader())
    previous = load_models(lambda name: store.read_bytes(object_store_key(name)), PREVIOUS_MANIFEST)
    assert current.manifest["models"] == third["models"] and previous.manifest["models"] == second["models"]
    np.testing.assert_array_equal(previous.probability("long", x), second_models["long"].predict_proba(x)[:, 1])
    np.testing.assert_array_equal(current.probability("long", x), third_models["long"].predict_proba(x)[:, 1])


@pytest.mark.parametrize("crash_at", ["model", "previous manifest", "manifest"])
def test_an_export_killed_at_any_write_leaves_the_current_version_loadable(planted, crash_at):
    events = planted[2]
    store = Store()
    old_models, old = _publish(store, events, 1500)
    new_models = {side: fit_final(events.groupby("side").head(1000), side) for side in ("long", "short")}
    # the new long model's file name (content-addressed), from an export into a throwaway dict
    new_long = export_models(new_models, {}.__setitem__, EventConfig(), {}, {}, "hist")["models"]["long"]["file"]
    store.crash_on = {"model": object_store_key(new_long), "previous manifest": "ml_mean_reversion/previous_manifest.json",
                      "manifest": "ml_mean_reversion/manifest.json"}[crash_at]
    with pytest.raises(KeyboardInterrupt):
        publish_models(store, new_models, EventConfig(), {}, {}, "hist")
    loaded = load_models(store.reader())
    assert loaded.manifest["models"] == old["models"]
    x = _sample(events)
    np.testing.assert_array_equal(loaded.probability("short", x), old_models["short"].predict_proba(x)[:, 1])
    # the next export succeeds and its files replace the orphans of the killed one
    store.crash_on = None
    _, new = _publish(store, events, 800)
    assert set(store.keys) == ({"ml_mean_reversion/manifest.json", "ml_mean_reversion/previous_manifest.json"}
                               | _model_keys(new) | _model_keys(old))
