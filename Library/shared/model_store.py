"""Export and load of the ML mean-reversion models: content-addressed files, a manifest, checked loading.

Export writes each model as a content-addressed joblib file (``<side>_model_<sha12>.joblib``) and then
``manifest.json`` (the commit point), each atomically; an interrupted export leaves the previous
manifest and the files it names intact. In LEAN's object store (:func:`publish_models`) the files are
keys under ``ml_mean_reversion/``, the manifest before the last export stays as
``previous_manifest.json``, and only the files neither manifest names are deleted. :func:`load_models`
checks each file's sha256, the feature list and the package versions before it returns the models.

Trust: the sha256 manifest proves integrity, not origin. Loading unpickles the files, so whoever can
write the object store can run code in the algorithm; only files the manifest names are read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn

from shared.features import FEATURE_NAMES
from shared.gb_probability import positive_probability
from shared.ml_training import (
    DEFAULT_EVENTS,
    DEFAULT_VALIDATION,
    LONG,
    SHORT,
    SIDES,
    EventConfig,
    ValidationConfig,
    build_events,
    fit_final,
    validate,
)

MANIFEST = "manifest.json"
# The manifest before the last publish_models, kept so that version stays loadable.
PREVIOUS_MANIFEST = "previous_manifest.json"
MANIFEST_FORMAT = 1
# Object store folder of the exported files (research, training command and algorithm share one store).
OBJECT_STORE_PREFIX = "ml_mean_reversion"

# A pickled model depends on these packages' versions. LEAN's foundation image pins numpy, scipy and
# scikit-learn (DockerfileLeanFoundation: numpy==1.26.4, scipy==1.13.1, scikit-learn==1.6.1): another
# version of those is refused. joblib and Python's patch release are not pinned there (joblib comes in
# as a dependency, at whatever version pip resolves): a difference only warns.
PINNED_PACKAGES = ("numpy", "scipy", "scikit-learn")
UNPINNED_PACKAGES = ("joblib", "python")
TRAINING_HINT = (
    "train and export the models with shared.model_store.train_and_export(close, volume, membership, "
    "destination) (the ml_mean_reversion research notebook does this) using the packages LEAN runs"
)


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages the pickled models depend on."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "pandas": pd.__version__,
    }


def _write_atomic(directory: Path, name: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_MODEL_FILE = re.compile(r"^(long|short)_model_[0-9a-f]{12}\.joblib$")


def export_models(
    models: dict[str, Any],
    destination: str | os.PathLike[str] | Callable[[str, bytes], None],
    config: EventConfig,
    training_window: dict[str, str],
    validation: dict[str, Any],
    kind: str,
) -> dict[str, Any]:
    """Write the models and ``manifest.json``; the manifest goes last so an interrupted export is harmless.

    Parameters
    ----------
    models : dict
        ``{"long": estimator, "short": estimator}`` (either may be absent).
    destination : path or callable
        A directory (created if needed; files written atomically, then model files no longer named in
        the manifest are removed), or ``writer(name, data)`` saving bytes under a name (e.g. a wrapper
        around LEAN's ``object_store.save_bytes(object_store_key(name), data)``).
    config : EventConfig
        Thresholds and horizon recorded in the manifest.
    training_window : dict
        ``{"start": ..., "end": ...}`` ISO dates of the first and last training event (and anything else
        worth recording).
    validation : dict
        Validation reports to record (e.g. ``{"long": validate(...), "short": validate(...)}``).
    kind : str
        Model kind.

    Returns
    -------
    dict
        The manifest written.
    """
    blobs: dict[str, bytes] = {}
    entries: dict[str, dict[str, Any]] = {}
    for side, model in models.items():
        if side not in SIDES:
            raise ValueError(f"unknown side {side!r}")
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        name = f"{side}_model_{digest[:12]}.joblib"
        blobs[name] = data
        entries[side] = {"file": name, "sha256": digest, "kind": kind}
    manifest = {
        "format": MANIFEST_FORMAT,
        "feature_names": list(FEATURE_NAMES),
        "thresholds": {
            "long_qpi_below": config.long_threshold,
            "short_qpi_above": config.short_threshold,
            "probability": config.probability,
            "horizon": config.horizon,
        },
        "training_window": training_window,
        "models": entries,
        "validation": validation,
        "packages": package_versions(),
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode()
    if callable(destination):
        for name, data in blobs.items():
            destination(name, data)
        destination(MANIFEST, manifest_bytes)
        return manifest
    directory = Path(destination)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in blobs.items():
        _write_atomic(directory, name, data)
    _write_atomic(directory, MANIFEST, manifest_bytes)
    for stale in directory.iterdir():
        if _MODEL_FILE.match(stale.name) and stale.name not in blobs:
            stale.unlink()
    return manifest


def object_store_key(file_name: str) -> str:
    """Object store key of an exported file: ``ml_mean_reversion/<file_name>``.

    Model files keep their content-addressed names (``long_model_<sha12>.joblib``), so a new export
    never overwrites a file the current manifest names; the manifest (and the previous one) keep their
    fixed names. Use it on both ends, or let :func:`publish_models` and ``load_models(lambda name:
    bytes(store.read_bytes(object_store_key(name))))`` do it.

    Raises
    ------
    ValueError
        ``file_name`` is neither a manifest nor an exported model file name.
    """
    if file_name not in (MANIFEST, PREVIOUS_MANIFEST) and not _MODEL_FILE.match(file_name):
        raise ValueError(f"not an exported model file name: {file_name!r}")
    return f"{OBJECT_STORE_PREFIX}/{file_name}"


def publish_models(
    store: Any,
    models: dict[str, Any],
    config: EventConfig,
    training_window: dict[str, str],
    validation: dict[str, Any],
    kind: str,
) -> dict[str, Any]:
    """Export ``models`` into a LEAN object store so that a reader sees the old or the new version, whole.

    The new model files go under new keys, the current manifest is kept as ``previous_manifest.json``,
    then the new manifest is written (the commit point); the model files neither manifest names are
    deleted last. An export interrupted at any point leaves the current version loadable, and after it
    the previous version stays loadable with ``load_models(reader, PREVIOUS_MANIFEST)``.

    Parameters
    ----------
    store
        LEAN's ``ObjectStore`` (``self.object_store``, ``qb.object_store``) or anything with its
        ``keys``, ``contains_key``, ``read_bytes``, ``save_bytes`` and ``delete``.
    models, config, training_window, validation, kind
        As :func:`export_models`.

    Returns
    -------
    dict
        The manifest written.
    """
    current = object_store_key(MANIFEST)

    def save(name: str, data: bytes) -> None:
        if name == MANIFEST and store.contains_key(current):
            store.save_bytes(object_store_key(PREVIOUS_MANIFEST), bytes(store.read_bytes(current)))
        store.save_bytes(object_store_key(name), data)

    manifest = export_models(models, save, config, training_window, validation, kind)
    named = {entry["file"] for entry in manifest["models"].values()}
    previous = object_store_key(PREVIOUS_MANIFEST)
    if store.contains_key(previous):
        named |= {entry["file"] for entry in json.loads(bytes(store.read_bytes(previous)))["models"].values()}
    prefix = f"{OBJECT_STORE_PREFIX}/"
    for key in list(store.keys):
        name = str(key)[len(prefix):] if str(key).startswith(prefix) else ""
        if _MODEL_FILE.match(name) and name not in named:
            store.delete(str(key))
    return manifest


class ModelLoadError(RuntimeError):
    """The exported models are missing, corrupt, or were trained for another feature list or packages."""


@dataclass
class LoadedModels:
    """Verified models and their manifest."""

    models: dict[str, Any]
    manifest: dict[str, Any]
    thresholds: dict[str, float] = field(default_factory=dict)
    # versions of unpinned packages that differ from training (one sentence each, for the log)
    warnings: list[str] = field(default_factory=list)
    # each side's model and its scorer (shared.gb_probability), made on the side's first scoring
    _scorers: dict[str, tuple[Any, Callable[[np.ndarray], np.ndarray]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def probability(self, side: str, features: Any) -> np.ndarray:
        """Probability that an event's move favours ``side``, for rows of :data:`FEATURE_NAMES` features.

        Rows with a NaN feature get NaN.
        """
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        out = np.full(x.shape[0], np.nan)
        ok = np.isfinite(x).all(axis=1)
        if ok.any():
            model = self.models[side]
            scorer = self._scorers.get(side)
            if scorer is None or scorer[0] is not model:
                scorer = self._scorers[side] = (model, positive_probability(model))
            out[ok] = scorer[1](x[ok])
        return out


def load_models(source: str | os.PathLike[str] | Callable[[str], bytes], manifest_name: str = MANIFEST) -> LoadedModels:
    """Load and verify exported models.

    Parameters
    ----------
    source : path or callable
        The export directory, or ``reader(name) -> bytes``; a reader signals a missing name by raising
        any exception. In LEAN: ``lambda name: bytes(self.object_store.read_bytes(object_store_key(name)))``
        (``read_bytes`` returns a .NET byte array).
    manifest_name : str
        :data:`MANIFEST` (the current version) or :data:`PREVIOUS_MANIFEST` (the one before the last
        :func:`publish_models`).

    Returns
    -------
    LoadedModels

    Raises
    ------
    ModelLoadError
        Manifest missing or unreadable, a file missing or with a wrong sha256, a feature list other than
        :data:`FEATURE_NAMES`, or versions of :data:`PINNED_PACKAGES` other than this environment's; the
        message says how to train. Other versions of :data:`UNPINNED_PACKAGES` go to ``warnings``.
    """
    if callable(source):
        reader = source
        where = "the reader"
    else:
        folder = Path(source)
        where = str(folder)

        def reader(name: str) -> bytes:
            return (folder / name).read_bytes()

    try:
        manifest = json.loads(reader(manifest_name))
    except Exception as exc:
        raise ModelLoadError(f"no readable {manifest_name} in {where} ({exc}); {TRAINING_HINT}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ModelLoadError(f"manifest format {manifest.get('format')!r} is not {MANIFEST_FORMAT}; {TRAINING_HINT}")
    if manifest.get("feature_names") != list(FEATURE_NAMES):
        raise ModelLoadError(
            f"models were trained on features {manifest.get('feature_names')}, the library computes "
            f"{list(FEATURE_NAMES)}; {TRAINING_HINT}"
        )
    here = package_versions()
    trained = manifest.get("packages", {})
    drift = {p: (trained.get(p), here[p]) for p in PINNED_PACKAGES if trained.get(p) != here[p]}
    if drift:
        detail = ", ".join(f"{p} {a} (trained) vs {b} (here)" for p, (a, b) in drift.items())
        raise ModelLoadError(f"package versions differ: {detail}; {TRAINING_HINT}")
    warnings = [
        f"warning: {p} {trained.get(p)} (trained) vs {here[p]} (here): not pinned in LEAN's image, loading anyway"
        for p in UNPINNED_PACKAGES if trained.get(p) != here[p]
    ]
    models = {}
    for side, entry in manifest.get("models", {}).items():
        try:
            data = reader(entry["file"])
        except Exception as exc:
            raise ModelLoadError(f"model file {entry['file']} missing in {where} ({exc}); {TRAINING_HINT}") from exc
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ModelLoadError(f"model file {entry['file']} fails its sha256 check; {TRAINING_HINT}")
        models[side] = joblib.load(io.BytesIO(data))
    return LoadedModels(models=models, manifest=manifest, thresholds=manifest["thresholds"], warnings=warnings)


def train_and_export(
    close: pd.DataFrame,
    volume: pd.DataFrame,
    membership: pd.DataFrame | None,
    destination: str | os.PathLike[str] | Callable[[str, bytes], None],
    kind: str = "hist",
    config: EventConfig = DEFAULT_EVENTS,
    validation: ValidationConfig = DEFAULT_VALIDATION,
) -> dict[str, Any]:
    """Build events, validate both sides walk-forward, fit on all events, export. Returns the manifest."""
    events = build_events(close, volume, membership, config)
    if events.empty:
        raise ValueError("no events: the panel is too short or the thresholds never trigger")
    reports = {side: validate(events, side, kind, config, validation) for side in SIDES}
    models = {
        side: fit_final(events, side, kind, validation.random_state)
        for side in SIDES
        if events.loc[events["side"] == side, "label"].nunique() == 2
    }
    window = {
        "start": str(events["date"].min().date()),
        "end": str(events["date"].max().date()),
        "last_label_date": str(close.index[int(events["date_pos"].max()) + config.horizon].date()),
        "n_events_long": str(int((events["side"] == LONG).sum())),
        "n_events_short": str(int((events["side"] == SHORT).sum())),
    }
    return export_models(models, destination, config, window, reports, kind)

