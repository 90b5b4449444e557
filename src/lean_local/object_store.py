"""LEAN's local object store (``Engine/Storage/LocalObjectStore.cs``) in snake_case.

Keys map to files under one root (``<workspace>/storage``), shared by backtests and research, so a
model saved in a notebook with ``qb.object_store.save_bytes`` or ``get_file_path`` is what the
algorithm reads. Writes go straight to disk (LEAN caches and persists periodically; the files end
up the same) through a temporary file and ``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lean_local.atomic import write_atomic

#: LocalObjectStore's key rule: letters, digits, ``\ / _ # - $ =`` and space, an optional leading
#: dot and at most one more dot that starts a trailing alphanumeric extension.
KEY_PATTERN = re.compile(r"^\.?[a-zA-Z0-9\\/_#\-\$= ]+\.?[a-zA-Z0-9]*$")
#: LEAN refuses keys with more than 100 ``/`` (or 100 ``\``).
MAX_SEPARATORS = 100


class ObjectStoreKeyError(ValueError):
    """A key that LEAN's object store would reject when saving."""


def normalize_key(key: str) -> str:
    """LEAN's ``NormalizePath``: drop leading dots and separators, use ``/``."""
    return key.lstrip(".").lstrip("/\\").replace("\\", "/")


def validate_key(key: str) -> None:
    """Raise :class:`ObjectStoreKeyError` unless LEAN accepts ``key`` for saving."""
    if key is None:
        raise ObjectStoreKeyError("object store key must not be None")
    if not KEY_PATTERN.match(key) or key.count("/") > MAX_SEPARATORS or key.count("\\") > MAX_SEPARATORS:
        raise ObjectStoreKeyError(
            f"LocalObjectStore: path is not supported: '{key}'. Keys may use letters, digits, "
            "'/', '\\', '_', '#', '-', '$', '=', spaces and one '.' that starts a final extension "
            "(e.g. 'ml_mean_reversion/long_model.pkl'; 'model.v1.pkl' is rejected)."
        )


class ObjectStore:
    """A folder of key -> bytes, with LEAN's ``ObjectStore`` methods.

    Parameters
    ----------
    root : str or Path
        The storage folder (created on first write).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        """The file of ``key``; a key that resolves outside the root (``../``, an absolute path
        after normalisation, a symlink out) is refused for every operation, not only saves: LEAN
        confines each algorithm to its storage folder by its container, the runtime by this check."""
        if key is None:
            raise TypeError("object store key must not be None")
        path = self.root / normalize_key(key)
        if not path.resolve().is_relative_to(self.root):
            raise ObjectStoreKeyError(f"LocalObjectStore: path is not supported: '{key}' "
                                      f"(it resolves outside the object store {self.root})")
        return path

    @property
    def keys(self) -> list[str]:
        """Every stored key (``/``-separated, sorted)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".tmp"))  # a write in flight
        )

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for key in self.keys:
            yield key, self.read_bytes(key)

    def contains_key(self, key: str) -> bool:
        """True when a value is stored under ``key``."""
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        """The bytes stored under ``key``; ``KeyError`` (LEAN's message) when absent."""
        if not self.contains_key(key):
            raise KeyError(
                f"Object with path '{key}' was not found in the current project. "
                "Please use ObjectStore.ContainsKey(key) to check if an object exists before attempting to read."
            )
        return self._path(key).read_bytes()

    def read(self, key: str, encoding: str = "utf-8") -> str:
        """The value under ``key`` decoded as text."""
        return self.read_bytes(key).decode(encoding)

    read_string = read

    def read_json(self, key: str) -> Any:
        """The value under ``key`` parsed as JSON."""
        return json.loads(self.read(key))

    def save_bytes(self, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key`` (atomically); returns True as LEAN does."""
        validate_key(key)
        write_atomic(self._path(key), bytes(data))
        return True

    def save(self, key: str, text: str = "", encoding: str = "utf-8") -> bool:
        """Store ``text`` under ``key``."""
        return self.save_bytes(key, text.encode(encoding))

    save_string = save

    def save_json(self, key: str, obj: Any) -> bool:
        """Store ``obj`` as JSON under ``key``."""
        return self.save(key, json.dumps(obj))

    def delete(self, key: str) -> bool:
        """Remove ``key``; False when it did not exist."""
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def clear(self) -> None:
        """Remove every key."""
        for key in self.keys:
            self.delete(key)

    def get_file_path(self, key: str) -> str:
        """Path on disk for ``key``, creating its folders (``joblib.dump(model, path)`` then works).

        Like LEAN, the key is validated as for a save; the file itself is left for the caller to
        write.
        """
        validate_key(key)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)
