"""``Slice.bars`` before it is built (``UnbuiltTradeBars``): ``contains_key`` and ``in`` answer as the built
dictionary does, for every kind of key, and any other use builds it in place."""

from __future__ import annotations

import pandas as pd
import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution, Symbol
from lean_local.engine.runner import run_algorithm
from lean_local.engine.slice import TradeBars, UnbuiltTradeBars
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"]


def _data(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14, 15]))
    # listed late, with a gap (filled forward)
    fixtures.write_equity(root, "BBB", fixtures.bars(["2020-01-03", "2020-01-07", "2020-01-08"], [5, 6, 7]))
    # a dividend on the 7th: a step at 00:00 with an event and no bar
    factors = pd.DataFrame({"price_factor": [0.98, 1.0], "split_factor": [1.0, 1.0]},
                           index=pd.to_datetime(["2020-01-06", "2050-12-31"]))
    fixtures.write_equity(root, "CCC", fixtures.bars(DAYS, [20, 21, 22, 23, 24, 25]), factors=factors)
    fixtures.write_forex(root, "EURUSD", DAYS, [1.1, 1.11, 1.12, 1.13, 1.14, 1.15])
    return root


class Checker(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 9)
        self.set_cash(100_000)
        self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in ("AAA", "BBB", "CCC")]
        self.fx = self.add_forex("EURUSD", Resolution.DAILY).symbol
        self.checked = []
        self.unbuilt = 0

    def keys(self):
        return [*self.symbols, self.fx, "AAA", "bbb", "CCC", "EURUSD", "NOPE", Symbol("ZZZ")]

    def on_data(self, data):
        bars = data.bars
        self.unbuilt += type(bars) is UnbuiltTradeBars
        answers = [(bars.contains_key(key), key in bars) for key in self.keys()]
        assert type(bars) is type(data.bars)  # still unbuilt (or built at once: a step with events)
        built = dict(bars.items())
        assert type(bars) is TradeBars and data.bars is bars  # built in place: the slice's one object
        for key, (contains, inside) in zip(self.keys(), answers, strict=True):
            found = next((value for symbol, value in built.items() if symbol == key), None)
            assert contains == inside == (key in bars) == (found is not None)
            self.checked.append((self.time, str(key), contains))


def test_unbuilt_trade_bars_answer_as_the_built_ones(tmp_path):
    algo, _, _ = run_algorithm(Checker, _data(tmp_path))
    assert algo.unbuilt >= 5
    seen = {(time.day, key) for time, key, contains in algo.checked if contains}
    assert (2, "AAA") in seen and (3, "BBB") in seen and (6, "BBB") in seen  # 6th: BBB filled forward
    assert (2, "BBB") not in seen  # before its first bar
    assert not any(key in ("EURUSD", "NOPE", "ZZZ") for _, key in seen)  # a quote bar is not a trade bar


class SharedTicker(Checker):
    """A ticker held by several securities (here: declared so): its key is asked of the built bars."""

    def initialize(self):
        super().initialize()
        self.securities.shared_tickers.add("BBB")
        self.built_by_key = []

    def on_data(self, data):
        bars = data.bars
        if type(bars) is UnbuiltTradeBars:
            bars.contains_key("AAA")
            unbuilt = type(bars) is UnbuiltTradeBars
            bars.contains_key(self.symbols[1])
            self.built_by_key.append((unbuilt, type(bars) is TradeBars))
        super().on_data(data)


def test_a_shared_ticker_is_asked_of_the_built_bars(tmp_path):
    algo, _, _ = run_algorithm(SharedTicker, _data(tmp_path))
    assert algo.built_by_key and set(algo.built_by_key) == {(True, True)}
    assert any(key == "BBB" and contains for _, key, contains in algo.checked)


def _missing(bars):
    try:
        return bars["NOPE"]
    except KeyError:
        return "missing"


class Uses(Checker):
    """Each use other than ``contains_key`` and ``in`` builds the bars, as a dictionary has them."""

    use = "len"

    def on_data(self, data):
        bars = data.bars
        if type(bars) is not UnbuiltTradeBars:
            return
        result = {"len": len, "getitem": _missing, "get": lambda b: b.get("NOPE", "none"),
                  "iter": lambda b: sorted(str(kv.key) for kv in b), "keys": lambda b: sorted(b.keys()),
                  "values": lambda b: len(b.values()), "repr": lambda b: repr(b)[:1], "count": lambda b: b.count,
                  "eq": lambda b: b == dict(b.items()), "copy": lambda b: len(b.copy())}[self.use](bars)
        assert type(bars) is TradeBars and not hasattr(bars, "_slice")
        self.checked.append(result)


@pytest.mark.parametrize("use", ["getitem", "get", "len", "iter", "keys", "values", "repr", "count", "eq", "copy"])
def test_any_other_use_builds_the_bars(tmp_path, use):
    algo, _, _ = run_algorithm(type("Use", (Uses,), {"use": use}), _data(tmp_path))
    assert algo.checked
    if use == "len":
        assert algo.checked[0] == 2  # the first close: AAA and CCC (BBB lists on the 3rd; EURUSD quotes)


class Together(QCAlgorithm):
    """Equities alone: a step's trade bars are made in one pass."""

    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 9)
        self.set_cash(100_000)
        self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in ("AAA", "BBB", "CCC")]
        self.seen = []

    def on_data(self, data):
        self.seen.append([(str(s), b.time, b.end_time, b.open, b.high, b.low, b.close, b.volume, b.is_fill_forward)
                          for s, b in data.bars.items()])


class OneFirst(Together):
    """The same steps with one bar read first: the slice then builds its bars one by one."""

    def on_data(self, data):
        data.get(self.symbols[2])
        super().on_data(data)


def test_trade_bars_built_together_equal_those_built_one_by_one(tmp_path):
    root = _data(tmp_path)
    together, _, _ = run_algorithm(Together, root)
    one_first, _, _ = run_algorithm(OneFirst, root)
    assert together.seen == one_first.seen
    by_day = {rows[0][2].day: rows for rows in together.seen if rows}
    # the 6th: BBB filled forward from the 3rd (no volume), its bar moved to the step
    assert [row[0] for row in by_day[6]] == ["AAA", "BBB", "CCC"]
    bbb = by_day[6][1]
    assert bbb[3] == bbb[6] == 5.0 and bbb[7] == 0.0 and bbb[8] is True
    assert (bbb[1].day, bbb[1].hour, bbb[1].minute, bbb[2].hour) == (6, 9, 30, 16)
    assert by_day[2][0][0] == "AAA" and by_day[2][0][6] == 10.0 and by_day[2][0][8] is False
    assert [row[0] for row in by_day[2]] == ["AAA", "CCC"]  # BBB before its first bar
