"""Security identifiers of equities (LEAN ``SecurityIdentifier.GenerateEquity``) and symbols that
compare by them (LEAN ``Symbol.Equals``), on hand-made map files."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.engine import identifiers
from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.daily_readers import map_file_resolver
from lean_local.engine.identifiers import SecurityIdentifier
from tests import fixtures


@pytest.fixture
def map_files(tmp_path):
    """NEW traded as OLD until 2015-06-30 (listed 2010-01-04); OLD is reused by another company from
    2016-01-04 (no map file of its own: ``old.csv`` is that company's)."""
    root = fixtures.data_folder(tmp_path / "data")
    folder = formats.map_files_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "new.csv").write_text("20100104,old,Q\n20150630,old,Q\n20501231,new,Q\n")
    (folder / "old.csv").write_text("20160104,old,N\n20501231,old,N\n")
    identifiers.use_map_files(lambda: map_file_resolver(root))
    yield root
    identifiers.use_map_files(None)


def test_generate_equity_takes_the_map_files_first_ticker_and_date(map_files):
    today = SecurityIdentifier.generate_equity("NEW", Market.USA)
    assert (today.symbol, today.date) == ("OLD", datetime(2010, 1, 4))
    # OLD as of 2014 is NEW's company; as of today it is the company listed in 2016
    then = SecurityIdentifier.generate_equity("OLD", Market.USA, mapping_resolve_date=datetime(2014, 3, 27))
    assert then == today
    assert SecurityIdentifier.generate_equity("OLD", Market.USA).date == datetime(2016, 1, 4)
    # no map file, or no mapping: the ticker and LEAN's default date
    assert str(SecurityIdentifier.generate_equity("ZZZ", Market.USA)) == "ZZZ 2T"
    assert SecurityIdentifier.generate_equity("NEW", Market.USA, False).date == SecurityIdentifier.DEFAULT_DATE
    assert SecurityIdentifier.generate_equity(datetime(2001, 2, 3), "abc", Market.USA) == \
        SecurityIdentifier("ABC", SecurityType.EQUITY, Market.USA, datetime(2001, 2, 3))


def test_symbols_read_with_identifiers_compare_by_them(map_files):
    """Two symbols carrying identifiers are equal when these are (whatever their tickers); otherwise
    a symbol equals its ticker."""
    old_2014 = Symbol(SecurityIdentifier.generate_equity("OLD", Market.USA, mapping_resolve_date=datetime(2014, 1, 2)), "OLD")
    old_today = Symbol(SecurityIdentifier.generate_equity("OLD", Market.USA), "OLD")
    new = Symbol.create("NEW", SecurityType.EQUITY, Market.USA)
    assert old_2014 != old_today and old_2014 == new  # a reused ticker; one company under two tickers
    assert old_2014 == "OLD" and old_today == "OLD" and old_2014 == Symbol("OLD")
    assert [s for s in [old_today, old_2014] if s in [new]] == [old_2014]
    assert {old_today: 1}.get("OLD") == 1  # dictionaries still find a symbol by its ticker
    assert pd.Series([1], index=[new])["NEW"] == 1


def test_option_identifiers_encode_strike_style_right_and_expiry():
    """LEAN's strings: the SPX 3200 call of 2021-01-15 (the Lowest Capacity Asset LEAN reports for
    BasicTemplateIndexDailyAlgorithm) and an AAPL 6.6 put of 2014-06-13 (LEAN's order-json tests).
    The SPX properties by hand: 44211 days * 10**14 + European 1 * 10**13 + strike 3200 = 32 * 10**8
    (digits 32 * 10**7, scale 8 * 10**5) + market usa 1 * 100 + index option 10."""
    from lean_local.engine.enums import OptionRight, OptionStyle

    spx = Symbol("SPX", SecurityType.INDEX, Market.USA)
    call = Symbol.create_option(spx, Market.USA, OptionStyle.EUROPEAN, OptionRight.CALL, 3200, datetime(2021, 1, 15))
    assert call.id.properties == 44211 * 10**14 + 10**13 + 32 * 10**7 + 8 * 10**5 + 100 + 10
    assert str(call.id) == "SPX XL80P3GHIA9A|SPX 31"
    assert call.value == "SPX   210115C03200000"
    assert call.security_type == SecurityType.INDEX_OPTION and call.underlying == spx
    aapl = SecurityIdentifier.parse("AAPL R735QTJ8XC9X")
    put = SecurityIdentifier.generate_option(datetime(2014, 6, 13), aapl, Market.USA, 6.6, OptionRight.PUT,
                                             OptionStyle.AMERICAN)
    assert str(put) == "AAPL 2ZQGWTST4Z8NA|AAPL R735QTJ8XC9X"
    parsed = SecurityIdentifier.parse("AAPL 2ZQGWTST4Z8NA|AAPL R735QTJ8XC9X")
    assert parsed == put and parsed.strike_price == 6.6 and parsed.option_right == OptionRight.PUT
    # a weekly root on the index: the root names the contract, the index stays its underlying
    weekly = Symbol.create_option(spx, "SPXW", Market.USA, OptionStyle.EUROPEAN, OptionRight.PUT, 3200.5,
                                  datetime(2021, 1, 15))
    assert weekly.value == "SPXW  210115P03200500"
    assert str(weekly.id).endswith("|SPX 31") and weekly.id.symbol == "SPXW"
    with pytest.raises(ValueError, match="No option type exists for underlying SecurityType: FOREX"):
        Symbol.create_option(Symbol("EURUSD", SecurityType.FOREX, Market.OANDA), Market.USA, OptionStyle.EUROPEAN,
                             OptionRight.CALL, 1, datetime(2021, 1, 15))
