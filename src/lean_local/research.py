"""``QuantBook`` for research notebooks: LEAN's research API on the workspace's data folder.

``QuantBook()`` finds the workspace (``lean.json`` in the current folder or above) and reads its
``data-folder`` (else ``LEAN_DATA_FOLDER``); its ``object_store`` is ``<workspace>/storage``, the
same store backtests use. The research clock is "now": ``history`` sees every bar in the folder.
``universe_history`` gives a coarse universe's selected rows from the folder's coarse files, in LEAN's shape.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

import pandas as pd

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, Resolution, Symbol, not_supported
from lean_local.engine.universe import Universe
from lean_local.object_store import ObjectStore
from lean_local.workspace import data_folder as workspace_data_folder
from lean_local.workspace import find_workspace, object_store_root

# The flattened universe frame's columns: every member of LEAN's ``Fundamental``, lower case, sorted.
UNIVERSE_COLUMNS = (
    "adjustedprice", "assetclassification", "companyprofile", "companyreference", "dollarvolume", "earningratios",
    "earningreports", "financialstatements", "hasfundamentaldata", "market", "marketcap", "operationratios",
    "pricefactor", "pricescalefactor", "securityreference", "splitfactor", "valuationratios", "value", "volume",
)
# The universe's symbol in the unflattened series (LEAN's adds a GUID: FUNDAMENTALUNIVERSE-USA-<guid> 2T).
UNIVERSE_SYMBOL = "FUNDAMENTALUNIVERSE-USA"


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
                         func: Any = None, date_rule: Any = None, flatten: bool = False) -> Any:
        """LEAN's ``QuantBook.UniverseHistory(universe, start, end, flatten)``.

        As LEAN (``Research/QuantBook.cs``, ``RunUniverseSelection``), each day's rows go through the
        universe's own selection function and only the rows of the symbols it selected are kept (a
        selector returning ``Universe.UNCHANGED`` keeps the last selection; before any selection every
        row is kept). A selector that keeps what the study needs (a top-N) keeps the result small.

        Parameters
        ----------
        universe : the object ``add_universe`` returned
        start, end : datetime or date
            Days whose rows are handed over in ``[start, end]`` (``end`` defaults to now). A trading
            day ``T``'s rows are handed over at ``T+1 00:00``.
        flatten : bool
            False (LEAN's default): a ``pd.Series`` indexed by ``(universe symbol, time)`` whose
            values are lists of ``Fundamental`` objects. True: a ``pd.DataFrame`` indexed by ``(time,
            symbol)`` with one column per ``Fundamental`` member, named as LEAN names them
            (:data:`UNIVERSE_COLUMNS`); the Morningstar members (``valuationratios`` ...) are None and
            ``marketcap`` 0, as LEAN's local fundamental provider has no fundamental data.
        """
        if func is not None or date_rule is not None:
            raise not_supported("QuantBook.universe_history", "with func or date_rule")
        if not hasattr(universe, "rows_for"):
            raise TypeError(f"universe_history needs the universe add_universe returned, got {type(universe).__name__}")
        times = universe.selection_times(pd.Timestamp(start).to_pydatetime(),
                                         pd.Timestamp(end if end is not None else self.time).to_pydatetime())
        days: list[tuple[datetime, list[Any]]] = []
        selected: set | None = None
        for t in pd.DatetimeIndex(times):
            rows = universe.rows_for(t.to_pydatetime())
            chosen = universe.selector(rows)
            if chosen is not Universe.UNCHANGED:
                selected = {s if isinstance(s, Symbol) else Symbol(str(s)) for s in chosen}
            days.append((t.to_pydatetime(), rows if selected is None else [r for r in rows if r.symbol in selected]))
        if not flatten:
            index = pd.MultiIndex.from_arrays([[UNIVERSE_SYMBOL] * len(days), pd.DatetimeIndex([t for t, _ in days])],
                                              names=["symbol", "time"])
            return pd.Series([rows for _, rows in days], index=index, dtype=object)
        rows = [row for _, day_rows in days for row in day_rows]
        index = pd.MultiIndex.from_arrays([pd.DatetimeIndex([r.end_time for r in rows]), [r.symbol for r in rows]],
                                          names=["time", "symbol"])
        values = {
            "adjustedprice": [r.adjusted_price for r in rows],
            "dollarvolume": [r.dollar_volume for r in rows],
            "hasfundamentaldata": [r.has_fundamental_data for r in rows],
            "market": [r.market for r in rows],
            "marketcap": [0] * len(rows),
            "pricefactor": [r.price_factor for r in rows],
            "pricescalefactor": [r.price_scale_factor for r in rows],
            "splitfactor": [r.split_factor for r in rows],
            "value": [r.value for r in rows],
            "volume": [r.volume for r in rows],
        }
        return pd.DataFrame({name: values.get(name, [None] * len(rows)) for name in UNIVERSE_COLUMNS}, index=index)
