"""LEAN's process-wide helpers an algorithm may reach: ``Globals``, the data provider, ``Extensions``.

LEAN configures these once per process; the runtime points ``Globals.data_folder`` at the data
folder of the run when it attaches the engine to an algorithm.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lean_local.engine.common import not_supported


class _LeanStatic(type):
    """Metaclass: a LEAN static member the runtime lacks raises :class:`NotSupportedError`."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise not_supported(cls.__name__, name)


class Globals(metaclass=_LeanStatic):
    """``QuantConnect.Globals``: ``data_folder`` is the data folder of the current run."""

    data_folder: str = os.environ.get("LEAN_DATA_FOLDER", "data")


class DefaultDataProvider:
    """``DefaultDataProvider``: reads files from the local disk."""

    def read_lines(self, path: str) -> list[str]:
        """The file's lines without line ends; none when the file does not exist (LEAN logs and goes on)."""
        file = Path(path)
        if not file.is_file():
            return []
        return file.read_text().splitlines()

    def __getattr__(self, name: str) -> Any:
        raise not_supported("DefaultDataProvider", name)


class Extensions(metaclass=_LeanStatic):
    """``QuantConnect.Extensions``: the extension methods LEAN's Python algorithms call statically."""

    @staticmethod
    def read_lines(data_provider: Any, path: str) -> list[str]:
        return list(data_provider.read_lines(path))
