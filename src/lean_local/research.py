"""``QuantBook`` for research notebooks: LEAN's research API on the workspace's data folder.

``QuantBook()`` finds the workspace (``lean.json`` in the current folder or above) and reads its
``data-folder`` (else ``LEAN_DATA_FOLDER``); its ``object_store`` is ``<workspace>/storage``, the
same store backtests use. The research clock is "now": ``history`` sees every bar in the folder.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, Resolution
from lean_local.engine.runner import find_workspace, resolve_data_folder, workspace_settings
from lean_local.object_store import ObjectStore


class QuantBook(QCAlgorithm):
    """LEAN's ``QuantBook``: add securities, then ask for ``history``.

    Parameters
    ----------
    data_folder : path, optional
        Overrides the workspace's data folder.
    """

    def __init__(self, data_folder: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        workspace = find_workspace(Path.cwd())
        if data_folder is None and workspace is None and os.environ.get("LEAN_DATA_FOLDER"):
            data_folder = os.environ["LEAN_DATA_FOLDER"]
        folder = resolve_data_folder(workspace, data_folder)
        storage = (workspace or Path.cwd()) / workspace_settings(workspace).get("object-store-root", "storage")
        self._attach_engine(folder, {}, ObjectStore(storage))
        self._feed.clock.time = datetime.now().replace(microsecond=0)

    def add_equity(self, ticker: str, resolution: Resolution | None = Resolution.DAILY, market: str = Market.USA,
                   *args: Any, **kwargs: Any):
        return super().add_equity(ticker, resolution or Resolution.DAILY, market, *args, **kwargs)

    def add_forex(self, ticker: str, resolution: Resolution | None = Resolution.DAILY, market: str = Market.OANDA,
                  *args: Any, **kwargs: Any):
        return super().add_forex(ticker, resolution or Resolution.DAILY, market, *args, **kwargs)

    def add_index(self, ticker: str, resolution: Resolution | None = Resolution.DAILY, market: str = Market.USA,
                  *args: Any, **kwargs: Any):
        return super().add_index(ticker, resolution or Resolution.DAILY, market, *args, **kwargs)

    def add_data(self, data_type: Any, ticker: str, resolution: Resolution | None = Resolution.DAILY, *args: Any,
                 **kwargs: Any):
        return super().add_data(data_type, ticker, resolution, *args, **kwargs)
