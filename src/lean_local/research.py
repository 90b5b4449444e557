"""``QuantBook`` for research notebooks: LEAN's research API on the workspace's data folder.

``QuantBook()`` finds the workspace (``lean.json`` in the current folder or above) and reads its
``data-folder`` (else ``LEAN_DATA_FOLDER``); its ``object_store`` is ``<workspace>/storage``, the
same store backtests use. The research clock is "now": ``history`` sees every bar in the folder.
``universe_history`` gives a coarse universe's rows from the folder's coarse files.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

import pandas as pd

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, Resolution, not_supported
from lean_local.object_store import ObjectStore
from lean_local.workspace import data_folder as workspace_data_folder
from lean_local.workspace import find_workspace, object_store_root


class QuantBook(QCAlgorithm):
    """LEAN's ``QuantBook``: add securities, then ask for ``history``.

    Parameters
    ----------
    data_folder : path, optional
        Overrides the workspace's data folder.
    """

    def __init__(self, data_folder: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        workspace = find_workspace()
        folder = workspace_data_folder(explicit=data_folder, reading=True)
        storage = object_store_root(workspace)
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

    def universe_history(self, universe: Any, start: datetime | date, end: datetime | date | None = None,
                         func: Any = None, date_rule: Any = None, flatten: bool = False) -> pd.DataFrame:
        """LEAN's ``universe_history(universe, start, end, flatten=True)``: every coarse row of every day.

        Parameters
        ----------
        universe : the object ``add_universe`` returned
        start, end : datetime or date
            Rows whose ``time`` lies in ``[start, end]`` (``end`` defaults to now).
        flatten : bool
            Must be True: the local runtime gives LEAN's flattened DataFrame only.

        Returns
        -------
        pd.DataFrame
            Index ``(time, symbol)``, ``time`` the rows' end time: 00:00 of the day after the trading
            day they describe, when LEAN hands them to a selector. Columns, as LEAN names them:
            ``adjustedprice, dollarvolume, hasfundamentaldata, market, pricefactor, pricescalefactor,
            splitfactor, value, volume`` (``value`` is the raw close in dollars). Not filtered by the
            universe's selection function, as in LEAN.
        """
        if not flatten:
            raise not_supported("QuantBook.universe_history", "with flatten=False (pass flatten=True for LEAN's DataFrame)")
        if func is not None or date_rule is not None:
            raise not_supported("QuantBook.universe_history", "with func or date_rule")
        if not hasattr(universe, "rows_for"):
            raise TypeError(f"universe_history needs the universe add_universe returned, got {type(universe).__name__}")
        times = universe.selection_times(pd.Timestamp(start).to_pydatetime(),
                                         pd.Timestamp(end if end is not None else self.time).to_pydatetime())
        rows = [row for t in pd.DatetimeIndex(times) for row in universe.rows_for(t.to_pydatetime())]
        index = pd.MultiIndex.from_arrays([pd.DatetimeIndex([r.end_time for r in rows]), [r.symbol for r in rows]],
                                          names=["time", "symbol"])
        return pd.DataFrame({
            "adjustedprice": [r.adjusted_price for r in rows],
            "dollarvolume": [r.dollar_volume for r in rows],
            "hasfundamentaldata": [r.has_fundamental_data for r in rows],
            "market": [r.market for r in rows],
            "pricefactor": [r.price_factor for r in rows],
            "pricescalefactor": [r.price_scale_factor for r in rows],
            "splitfactor": [r.split_factor for r in rows],
            "value": [r.value for r in rows],
            "volume": [r.volume for r in rows],
        }, index=index)
