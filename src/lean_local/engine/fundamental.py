"""LEAN's ``Fundamental`` (``CoarseFundamental``): one security's row of a coarse universe file, and
its fine field groups.

A fundamental universe hands its selector thousands of rows a day (10.6 million over twenty years of
3,000 names), and a selector reads the symbol, price and dollar volume of most of them but seldom the
rest. So a row is made with those three fields and its place in its collection's :class:`RowColumns`,
from which its other fields (volume, price and split factors, end time, identifier) are read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

import pandas as pd

from lean_local.engine import fundamental_data
from lean_local.engine.common import Market, Symbol, not_supported

_ONE_DAY = timedelta(days=1)


class RowColumns:
    """The fields of a collection of rows (a coarse file, or one of :func:`fundamentals_at`'s picks)
    that its :class:`Fundamental` rows read from it, in row order: each of :data:`NUMBER_FIELDS` (a
    numpy column becomes a list of Python numbers, as a row holds them, when first read), the security
    identifiers and the collection's end time."""

    __slots__ = ("_numbers", "identifiers", "end_time", "volume", "price_factor", "split_factor")

    def __init__(self, numbers: dict[str, Any], identifiers: list[str], end_time: datetime) -> None:
        self._numbers = numbers
        self.identifiers = identifiers
        self.end_time = end_time

    def __getattr__(self, name: str) -> list[Any]:
        # a number column's first read (then a set slot)
        if name not in NUMBER_FIELDS:
            raise AttributeError(name)
        column = self._numbers[name]
        column = column if isinstance(column, list) else column.tolist()
        setattr(self, name, column)
        return column

    def row(self, at: int) -> RowColumns:
        """Row ``at`` alone: the columns of a row one of whose fields is set."""
        return RowColumns({name: [getattr(self, name)[at]] for name in NUMBER_FIELDS}, [self.identifiers[at]],
                          self.end_time)


#: the number fields a row reads from its :class:`RowColumns`
NUMBER_FIELDS = ("volume", "price_factor", "split_factor")


def _column_field(name: str, doc: str) -> property:
    """Field ``name`` of a row, read from its columns; setting it gives the row columns of its own."""
    read = attrgetter(name)

    def get(row: Fundamental) -> Any:
        return read(row._columns)[row._row]

    def set_(row: Fundamental, value: Any) -> None:
        row._own_columns()
        read(row._columns)[0] = value

    return property(get, set_, doc=doc)


class Fundamental:
    """One security's fundamentals on a date: a row of the coarse universe file (LEAN ``Fundamental``).

    ``price``/``value`` is the raw close in dollars; ``adjusted_price`` applies the file's price and
    split factors. ``has_fundamental_data`` and the fine fields (``company_profile.market_cap``,
    ``valuation_ratios.pe_ratio``, ...) come from the fundamental data provider
    (:mod:`lean_local.engine.fundamental_data`): with LEAN's default one, False and missing values.
    Every field can be set.
    """

    __slots__ = ("symbol", "value", "dollar_volume", "_columns", "_row")

    def __init__(self, symbol: Symbol, close: float, dollar_volume: float, columns: RowColumns, row: int) -> None:
        self.symbol = symbol
        self.value = close
        self.dollar_volume = dollar_volume
        self._columns = columns
        self._row = row

    volume = _column_field("volume", "LEAN ``Fundamental.Volume``: shares traded.")
    price_factor = _column_field("price_factor", "LEAN ``Fundamental.PriceFactor``: the dividend adjustment.")
    split_factor = _column_field("split_factor", "LEAN ``Fundamental.SplitFactor``: the split adjustment.")

    @property
    def end_time(self) -> datetime:
        return self._columns.end_time

    @end_time.setter
    def end_time(self, value: datetime) -> None:
        self._own_columns()
        self._columns.end_time = value

    @property
    def _identifier(self) -> str:
        return self._columns.identifiers[self._row]

    def _own_columns(self) -> None:
        """Columns of this row alone, to set a field of it (the collection's are every row's)."""
        self._columns, self._row = self._columns.row(self._row), 0

    # a C getter: a selector reads it for each of thousands of rows a day
    price = property(attrgetter("value"), doc="LEAN ``Fundamental.Price``: the raw close in dollars.")

    # the properties below read the columns once each (a selector may ask them of every row)
    @property
    def price_scale_factor(self) -> float:
        columns, row = self._columns, self._row
        return columns.price_factor[row] * columns.split_factor[row]

    @property
    def adjusted_price(self) -> float:
        columns, row = self._columns, self._row
        return self.value * columns.price_factor[row] * columns.split_factor[row]

    @property
    def market(self) -> str:
        return Market.USA

    @property
    def time(self) -> datetime:
        return self._columns.end_time - _ONE_DAY

    @property
    def has_fundamental_data(self) -> bool:
        return bool(self._property(fundamental_data.HAS_FUNDAMENTAL_DATA, bool))

    @property
    def market_cap(self) -> int:
        """LEAN ``Fundamental.MarketCap``: ``company_profile.market_cap``."""
        return int(self._property("CompanyProfile_MarketCap", int) or 0)

    def _property(self, name: str, kind: type) -> Any:
        columns = self._columns
        return fundamental_data.get((columns.end_time - _ONE_DAY).date(), columns.identifiers[self._row], name, kind)

    def __getattr__(self, name: str) -> Any:
        fields = _FINE_FIELDS.get(name)
        if fields is None or name.startswith("_"):
            raise not_supported("Fundamental", name)
        return FineFields(name, fields, self)

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.value:g} ${self.dollar_volume:,.0f}"


CoarseFundamental = Fundamental


def identifier(row: Fundamental) -> str:
    """The security identifier string of a row's file line (LEAN's ``Fundamental`` reads it as its
    symbol's ``ID``; here a symbol is the run's, met first under another line perhaps)."""
    return row._identifier


class FineFields:
    """A group of fine fundamental fields (LEAN ``CompanyProfile``, ``ValuationRatios``, ...) of one
    :class:`Fundamental`, each read from the fundamental data provider by its LEAN property name. The
    fields of each group that LEAN's regression algorithms read are known; any other raises
    :class:`NotSupportedError` naming it."""

    __slots__ = ("_group", "_fields", "_owner")

    def __init__(self, group: str, fields: dict[str, Any], owner: Fundamental) -> None:
        self._group = group
        self._fields = fields
        self._owner = owner

    @property
    def _time_provider(self) -> _FixedTime:
        """The time the fields are read at (LEAN's ``FundamentalTimeDependentProperty._timeProvider``):
        the row's, so two rows' groups are two objects of two times."""
        return _FixedTime(self._owner.end_time)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._fields:
            raise not_supported(f"Fundamental.{self._group}", name)
        field = self._fields[name]
        if isinstance(field, dict):
            return FineFields(f"{self._group}.{name}", field, self._owner)
        return self._owner._property(*field)


class _FixedTime:
    """LEAN's ``FixedTimeProvider``: ``get_utc_now()`` is one New York time in UTC."""

    def __init__(self, moment: datetime | None) -> None:
        self._moment = moment

    def get_utc_now(self) -> datetime | None:
        if self._moment is None:
            return None
        return pd.Timestamp(self._moment).tz_localize("America/New_York").tz_convert("UTC").tz_localize(None) \
            .to_pydatetime()


# the fields LEAN's regression algorithms read: LEAN's FundamentalProperty name and value type
_FINE_FIELDS: dict[str, dict[str, Any]] = {
    "company_profile": {"headquarter_city": ("CompanyProfile_HeadquarterCity", str),
                        "market_cap": ("CompanyProfile_MarketCap", int),
                        "shares_outstanding": ("CompanyProfile_SharesOutstanding", int)},
    "company_reference": {"industry_template_code": ("CompanyReference_IndustryTemplateCode", str)},
    "valuation_ratios": {"pe_ratio": ("ValuationRatios_PERatio", float)},
    "earning_ratios": {"equity_per_share_growth": {"one_year": ("EarningRatios_EquityPerShareGrowth_OneYear", float)}},
    "earning_reports": {},
}
FINE_GROUPS = tuple(_FINE_FIELDS)
