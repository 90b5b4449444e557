"""The run's fill records, one list per field (``transactions.fills``).

A fill appends one value to each field's list; a step's fills taken together
(:mod:`lean_local.engine.step_orders`) extend them. The capacity estimate reads the new fills' time,
symbol and value, and the run record makes its fill frame from the lists, with no dict per fill.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, overload

#: The fields of a fill record, in the order of the run record's fill frame.
FILL_COLUMNS = ["time", "order_id", "symbol", "quantity", "fill_price", "fill_value", "fee", "conversion_rate",
                "dollar_volume", "is_long_before", "realized_pnl"]


class FillRecords(Sequence[dict[str, Any]]):
    """Every fill of the run in order, as one list per field of :data:`FILL_COLUMNS`.

    Read as a sequence, each fill is a dict of its fields (``fills[0]["fill_price"]``); :attr:`columns`
    holds the lists themselves.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in FILL_COLUMNS}
        self._lists = tuple(self.columns.values())

    def append(self, time: datetime, order_id: int, symbol: str, quantity: float, fill_price: float,
               fill_value: float, fee: float, conversion_rate: float, dollar_volume: float, is_long_before: bool,
               realized_pnl: float) -> None:
        """Record one fill."""
        times, order_ids, symbols, quantities, prices, values, fees, rates, volumes, sides, profits = self._lists
        times.append(time)
        order_ids.append(order_id)
        symbols.append(symbol)
        quantities.append(quantity)
        prices.append(fill_price)
        values.append(fill_value)
        fees.append(fee)
        rates.append(conversion_rate)
        volumes.append(dollar_volume)
        sides.append(is_long_before)
        profits.append(realized_pnl)

    def extend(self, time: datetime, conversion_rate: float, fields: dict[str, list]) -> None:
        """Record fills made at one ``time`` at one ``conversion_rate``: ``fields`` holds each other
        field's values, one per fill, in the fills' order."""
        columns = self.columns
        n = len(fields["order_id"])
        columns["time"].extend([time] * n)
        columns["conversion_rate"].extend([conversion_rate] * n)
        for name, values in fields.items():
            columns[name].extend(values)

    def __len__(self) -> int:
        return len(self._lists[0])

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        return {name: values[index] for name, values in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for k in range(len(self)):
            yield self[k]
