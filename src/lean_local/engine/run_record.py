"""The record of a finished (or failed) run: samples, orders, fills, benchmark and charts as the
statistics and the result files read them (:class:`lean_local.statistics.BacktestRecord`)."""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable
from datetime import datetime
from operator import countOf, is_not
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.benchmarks import SecurityBenchmark, benchmark_values
from lean_local.engine.common import DataNormalizationMode, SecurityType, not_supported
from lean_local.engine.daily_readers import load_equity, security_identifiers
from lean_local.engine.fill_records import FILL_COLUMNS, FillRecords
from lean_local.engine.interest_rates import InterestRateProvider, file_rates, rate_series
from lean_local.engine.orders import OrderDirection
from lean_local.statistics import BacktestRecord, sample_times

if TYPE_CHECKING:
    from lean_local.engine.loop import BacktestLoop
    from lean_local.engine.run_context import RunContext


def missing_benchmark_note(algo: QCAlgorithm, record: BacktestRecord) -> str | None:
    """A line saying the benchmark had no data, so the statistics measured against it are 0; ``None``
    when the benchmark had a price on some sample."""
    if len(record.benchmark) == 0 or record.benchmark.to_numpy().any():
        return None
    benchmark = algo.benchmark
    name = f"Benchmark {benchmark.symbol.value}: no data in {record.data_folder}" \
        if isinstance(benchmark, SecurityBenchmark) else "Benchmark: 0 at every sample"
    return f"{name}, so Alpha, Beta, Information Ratio, Tracking Error and Treynor Ratio are measured against 0"


def _benchmark_series(algo: QCAlgorithm, run: RunContext, index: pd.DatetimeIndex,
                      internal_from_ns: int | None = None) -> pd.Series:
    """The benchmark's value at each time step of ``index``; ``internal_from_ns`` is the end of the
    first bar of the benchmark's internal hour feed (None without one)."""
    if len(index) == 0:  # nothing sampled (the run failed before its first step): no benchmark to read
        return pd.Series(np.zeros(0), index=index, dtype=float)
    benchmark = algo.benchmark
    if benchmark is None:  # initialize failed before LEAN's PostInitialize would have set it
        benchmark = algo.brokerage_model.get_benchmark(algo.securities)
    if not isinstance(benchmark, SecurityBenchmark):
        return benchmark_values(benchmark, index)
    symbol = benchmark.symbol
    security = algo.securities.get(symbol)
    # LEAN's benchmark security is its own, priced by the internal hour feed (adjusted): an adjusted
    # subscription of the symbol shows the same closes; a minute one without data does not
    if security is not None and security.type == SecurityType.EQUITY \
            and security.data_normalization_mode == DataNormalizationMode.ADJUSTED \
            and security.column < len(run.feed.subs) and len(run.feed.subs[security.column]):
        data = run.feed.data(security.column)
    else:
        # through the parsed-data cache's record of its finished columns, as a subscription's
        hours = run.exchange_hours(symbol)
        data = load_equity(run.data_folder, symbol, DataNormalizationMode.ADJUSTED, hours.session_times, hours.key)
    if len(data) == 0 or len(index) == 0:
        return pd.Series(np.zeros(len(index)), index=index, dtype=float)
    position = np.searchsorted(data.end_time, index.asi8, side="right") - 1
    rate = _benchmark_conversion_rate(algo)
    values = np.where(position >= 0, data.fields["close"][np.maximum(position, 0)], 0.0) * rate
    series = pd.Series(values, index=index, dtype=float)
    if internal_from_ns is not None and internal_from_ns < index.asi8[0]:
        # the internal hour feed starts the trading day before the first step (UniverseSelection.
        # AddPendingInternalDataFeeds): the samples before the first step see that day's close
        hours = run.exchange_hours(symbol)
        full = load_equity(run.data_folder, symbol, DataNormalizationMode.ADJUSTED, hours.session_times, hours.key)
        k = int(np.searchsorted(full.end_time, index.asi8[0], side="left")) - 1
        if k >= 0 and full.end_time[k] >= internal_from_ns:
            before = pd.Series([float(full.fields["close"][k]) * rate], index=pd.DatetimeIndex([int(full.end_time[k])]))
            series = pd.concat([before, series])
    return series


def _benchmark_conversion_rate(algo: QCAlgorithm) -> float:
    """The rate of a US equity benchmark's USD prices in the account currency (LEAN
    ``SecurityBenchmark.Evaluate``: price times the quote currency's rate): 1 in a USD account, else
    the USD cash's rate, which stays 0 when no data prices it (LEAN's internal conversion
    subscription without a file)."""
    book = algo.portfolio.cash_book
    if book.account_currency == "USD":
        return 1.0
    cash = book.ensure("USD")
    if cash.currency_conversion is not None:
        raise not_supported("SecurityBenchmark", f"a USD benchmark in a {book.account_currency} account with "
                                                 "conversion data (the rate changes over the run)")
    return cash.conversion_rate


@functools.cache
def _pascal(name: str) -> str:
    """``MARKET_ON_OPEN`` -> ``MarketOnOpen`` (LEAN's enum names in result files)."""
    return "".join(part.capitalize() for part in name.split("_"))


ORDER_COLUMNS = ["id", "symbol", "type", "status", "direction", "quantity", "price", "time", "last_fill_time",
                 "value", "fee", "tag"]


def _order_frame(orders: list[Any]) -> pd.DataFrame:
    """The orders as a frame of :data:`ORDER_COLUMNS` (:func:`_order_frame_of` their fields)."""
    # each field of every order in its own pass (a tuple per order would leave as many objects for the collector
    # as there are orders); comprehensions read the slots at half the cost of map(operator.attrgetter)
    return _order_frame_of({
        "id": [o.id for o in orders], "symbol": [o.symbol for o in orders], "type": [o.type for o in orders],
        "status": [o.status for o in orders], "quantity": [o.quantity for o in orders],
        "price": [o.price for o in orders], "time": [o.time for o in orders],
        "last_fill_time": [o.last_fill_time for o in orders], "value": [o.value for o in orders],
        "fee": [o.fee for o in orders], "tag": [o.tag for o in orders]})


def _order_frame_of(fields: dict[str, list]) -> pd.DataFrame:
    """The orders whose ``fields`` (``TransactionManager.order_columns``: one list per field) are given as a
    frame of :data:`ORDER_COLUMNS`, enum members by LEAN's names, built column by column (one dict per
    order cost more than the run's orders themselves)."""
    if not fields["id"]:
        return pd.DataFrame([], columns=ORDER_COLUMNS)  # object columns, as the result files expect
    # the numeric columns as the arrays pandas would infer from the lists (ids int64, the rest float64),
    # built directly: the inference goes through an object array per column
    quantities = _numeric_column(fields["quantity"], np.float64)
    columns = {
        "id": _numeric_column(fields["id"], np.int64),
        "symbol": _each_once(fields["symbol"], str),
        "type": _each_once(fields["type"], _lean_name),
        "status": _each_once(fields["status"], _lean_name),
        "direction": _direction_names(quantities), "quantity": quantities,
        "price": _numeric_column(fields["price"], np.float64),
        "time": _datetime_column(fields["time"]),
        "last_fill_time": _datetime_column(fields["last_fill_time"]),
        "value": _numeric_column(fields["value"], np.float64),
        "fee": _numeric_column(fields["fee"], np.float64),
        "tag": _typed_column(fields["tag"]),
    }
    # copy=False: the columns are the frame's own arrays, not stacked into one block per dtype (a copy)
    return pd.DataFrame(columns, columns=ORDER_COLUMNS, copy=False)



def _fill_frame(fills: FillRecords) -> pd.DataFrame:
    """The fill records as a frame of :data:`FILL_COLUMNS`: the frame pandas infers from one dict per
    fill, made from the records' lists (:func:`_typed_column`), its times converted at once
    (:func:`_datetime_column`; their inference cost a third of the frame)."""
    if not len(fills):
        return pd.DataFrame([], columns=FILL_COLUMNS)  # object columns, as the result files expect
    columns: dict[str, Any] = {name: _typed_column(values) for name, values in fills.columns.items()}
    columns["time"] = _datetime_column(fills.columns["time"])
    return pd.DataFrame(columns, columns=FILL_COLUMNS, copy=False)  # its own arrays, as the order frame's


#: numpy's dtype of a list of one Python type, the one pandas infers from it
_INFERRED_DTYPES = {float: np.float64, int: np.int64, bool: np.bool_}


def _typed_column(values: list) -> np.ndarray | list:
    """``values`` as the array pandas infers from them when they are all floats, ints, bools or strings,
    made directly (pandas' inference goes through an object array filled from the list, about four times
    slower than :func:`_object_column`); other lists are returned as they are."""
    # one kind when every value's type is the first's (counted in C: a set of the types cost a third more)
    kind = type(values[0]) if values and countOf(map(type, values), type(values[0])) == len(values) else None
    if kind is str:
        return _object_column(values)
    dtype = None if kind is None else _INFERRED_DTYPES.get(kind)
    return values if dtype is None else _numeric_column(values, dtype)


#: The ``array.array`` type code of each dtype :func:`_numeric_column` converts through it (bools as bytes).
_TYPE_CODES = {np.float64: "d", np.int64: "q", np.bool_: "b"}


def _numeric_column(values: list, dtype: type) -> np.ndarray:
    """``np.array(values, dtype=dtype)`` (float64, int64 or bool) converted by ``array.array`` (a C loop
    over the list; numpy packs each number through its generic path, several times slower): the same
    numbers; a value ``array.array`` refuses (None, an int beyond int64) goes through ``np.array``."""
    try:
        converted = np.frombuffer(array(_TYPE_CODES[dtype], values), dtype=np.int8 if dtype is np.bool_ else dtype)
        return converted != 0 if dtype is np.bool_ else converted
    except (TypeError, OverflowError, ValueError):
        return np.array(values, dtype=dtype)


def _object_column(values: list[str]) -> np.ndarray:
    """A list of strings as the object array pandas makes of it (it keeps strings as objects)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _each_once(values: list[Any], convert: Callable[[Any], str]) -> np.ndarray:
    """``convert`` of each of ``values`` as an object array, each distinct value converted once: the orders'
    symbols (a few hundred securities over thousands of orders: a new string each cost twice the look-up)
    and enum members (a cache across columns would mix two enums' members: ``IntEnum`` members of equal
    value compare equal)."""
    converted = {value: convert(value) for value in set(values)}
    return np.fromiter(map(converted.__getitem__, values), dtype=object, count=len(values))


def _lean_name(member: Any) -> str:
    """LEAN's name of an enum member (``MARKET_ON_OPEN`` -> ``MarketOnOpen``)."""
    return _pascal(member.name)


def _direction_names(quantities: np.ndarray) -> np.ndarray:
    """LEAN's names of the orders' ``direction`` (``Order.direction``: buy above 0, sell below, else hold,
    NaN too) from their quantities, as objects: each picked from the three names by a code made at once."""
    names = np.array([_pascal(d.name) for d in (OrderDirection.HOLD, OrderDirection.BUY, OrderDirection.SELL)],
                     dtype=object)
    return names[(quantities > 0) + 2 * (quantities < 0)]


#: Before the first value of a column: no value is this object, so the first one starts a run.
_NOTHING = object()


def _datetime_column(values: list[datetime | None]) -> np.ndarray | list:
    """``values`` as the datetime64[ns] column pandas infers from them (None is NaT), converted at once
    (a frame's inference from a list costs about a microsecond a value): a step's orders and fills share
    one time object, so each run of the same object is type-checked and converted once, then repeated
    (an identity test a value, no hashing); a list of other types, or of None only (pandas keeps that as
    objects), is returned as it is for pandas to infer."""
    n = len(values)
    starts = np.flatnonzero(np.fromiter(map(is_not, values, [_NOTHING, *values[:-1]]), dtype=bool, count=n))
    firsts = [values[k] for k in starts.tolist()]
    kinds = set(map(type, firsts))
    if not (datetime in kinds and kinds <= {datetime, type(None)}):
        return values
    converted = pd.DatetimeIndex(firsts).to_numpy()
    return converted if len(firsts) == n else np.repeat(converted, np.diff(starts, append=n))


def build_record(algo: QCAlgorithm, loop: BacktestLoop, state: str = "Completed",
                 error: str | None = None) -> BacktestRecord:
    """The :class:`BacktestRecord` of a finished (or failed) run."""
    run = loop.run_context
    index = pd.DatetimeIndex(np.asarray(loop.times, dtype="datetime64[ns]"))
    equity = _float_series(loop.equity, index)
    if isinstance(algo.risk_free_interest_rate_model, InterestRateProvider):
        rates = file_rates(run.data_folder)
    else:
        rates = rate_series(algo.risk_free_interest_rate_model, sample_times(algo.start_date, algo.time))
    orders = _order_frame_of(algo.transactions.order_columns())  # (the orders held as columns not built)
    fills = _fill_frame(algo.transactions.fills)
    n = len(algo.portfolio.by_column)
    prices = None
    if n and loop.sample_steps and min(loop.sample_steps) >= 0:
        prices = pd.DataFrame(_prices_panel(loop.sample_closes, n), index=index,
                              columns=[str(s.symbol) for s in algo.portfolio.by_column])
    return BacktestRecord(
        algorithm_name=algo.name,
        parameters=dict(run.parameters),
        start=algo.start_date,
        end=algo.time,
        start_equity=loop.start_equity,
        equity=equity,
        values_before_dividends=_float_series(list(loop.values_before_dividends.values()), pd.DatetimeIndex(
            _numeric_column(list(loop.values_before_dividends), np.int64).view("datetime64[ns]"))),
        benchmark=_benchmark_series(algo, run, index, int(loop.hour_ends[0]) if len(loop.hour_ends) else None),
        risk_free_rate=rates,
        orders=orders,
        fills=fills,
        profit_loss=dict(algo.portfolio.transaction_record),
        total_fees=algo.portfolio.total_fees,
        charts=algo.charts,
        holdings_value_long=_float_series(loop.long_values, index),
        holdings_value_short=_float_series(loop.short_values, index),
        logs=list(algo.logs),
        state=state,
        error=error,
        prices=prices,
        symbol_ids=_symbol_ids(run, algo.portfolio.by_column),
        end_date=algo.end_date,
        data_folder=str(run.data_folder),
        capacity=None if loop.capacity is None else (loop.capacity.rounded, str(loop.capacity.lowest)),
        account_currency=algo.portfolio.cash_book.account_currency,
    )


def _float_series(values: list[float], index: pd.DatetimeIndex) -> pd.Series:
    """``pd.Series(values, index=index, dtype=float)`` with the list converted by :func:`_numeric_column`
    (pandas' conversion of a list costs about three times as much)."""
    return pd.Series(_numeric_column(values, np.float64), index=index, dtype=float)


def _prices_panel(sample_closes: list[np.ndarray], columns: int) -> np.ndarray:
    """Each sample's closes as a row of ``columns`` entries: 0 for a column added after the sample (no
    price then); one stack when every sample has every column."""
    if set(map(len, sample_closes)) == {columns}:
        # one C-level copy of the equal rows (np.vstack made each row 2-D in Python first: 1,258 calls at 5 years)
        return np.array(sample_closes)
    panel = np.zeros((len(sample_closes), columns))
    for k, closes in enumerate(sample_closes):
        panel[k, : len(closes)] = closes
    return panel


def _symbol_ids(run: RunContext, securities: list[Any]) -> dict[str, str]:
    """Each security's LEAN ``SecurityIdentifier`` string by its symbol's string (custom data has none)."""
    symbols = [security.symbol for security in securities if security.type != SecurityType.BASE]
    return dict(zip(map(str, symbols), security_identifiers(run.data_folder, symbols), strict=True))


def bare_record(name: str, parameters: dict[str, str], start: datetime, end: datetime, logs: list[str],
                error: str, data_folder: str | None = None) -> BacktestRecord:
    """A failed run's record without samples, orders or charts (state ``RuntimeError``)."""
    index = pd.DatetimeIndex([])
    empty = pd.Series(dtype=float, index=index)
    return BacktestRecord(
        algorithm_name=name, parameters=parameters, start=start, end=end, start_equity=0.0, equity=empty,
        benchmark=empty, risk_free_rate=pd.Series(dtype=float), orders=pd.DataFrame(columns=ORDER_COLUMNS),
        fills=pd.DataFrame(columns=FILL_COLUMNS), profit_loss={}, total_fees=0.0, charts={},
        holdings_value_long=empty, holdings_value_short=empty, logs=logs, state="RuntimeError", error=error,
        data_folder=data_folder)
