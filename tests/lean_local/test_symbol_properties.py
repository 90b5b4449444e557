"""Symbol properties: LEAN's database values, fallbacks, our generated database."""

import pytest

from lean_local.data.formats import DataFormatError
from lean_local.data.symbol_properties import (
    SymbolProperties,
    SymbolPropertiesDatabase,
    default_properties,
    generated_symbol_properties,
    write_symbol_properties_database,
)


@pytest.fixture(scope="module")
def lean_db(lean_data_folder):
    return SymbolPropertiesDatabase.from_file(
        lean_data_folder / "symbol-properties" / "symbol-properties-database.csv"
    )


def test_lean_forex_rows(lean_db):
    eurusd = lean_db.get("oanda", "EURUSD", "forex")
    assert (eurusd.quote_currency, eurusd.minimum_price_variation, eurusd.lot_size) == ("USD", 0.00001, 1.0)
    usdjpy = lean_db.get("Oanda", "usdjpy", "Forex")
    assert (usdjpy.quote_currency, usdjpy.minimum_price_variation, usdjpy.lot_size) == ("JPY", 0.001, 1.0)
    assert lean_db.get("oanda", "USDCAD", "forex").quote_currency == "CAD"


def test_lean_equity_falls_back_to_star_row(lean_db):
    spy = lean_db.get("usa", "SPY", "equity")
    assert (spy.quote_currency, spy.contract_multiplier, spy.minimum_price_variation, spy.lot_size) == (
        "USD",
        1.0,
        0.01,
        1.0,
    )
    option = lean_db.get("usa", "SPY", "option")
    assert option.contract_multiplier == 100


def test_generated_rows_match_lean_for_our_symbols(lean_db):
    ours = SymbolPropertiesDatabase(generated_symbol_properties())
    for market, symbol, kind in [
        ("oanda", "EURUSD", "forex"),
        ("oanda", "GBPUSD", "forex"),
        ("oanda", "USDCAD", "forex"),
        ("oanda", "USDJPY", "forex"),
        ("usa", "SPY", "equity"),
        ("usa", "VIX", "index"),
    ]:
        a, b = ours.get(market, symbol, kind), lean_db.get(market, symbol, kind)
        assert (a.quote_currency, a.minimum_price_variation, a.lot_size, a.contract_multiplier) == (
            b.quote_currency,
            b.minimum_price_variation,
            b.lot_size,
            b.contract_multiplier,
        ), symbol


def test_defaults_when_missing():
    db = SymbolPropertiesDatabase({})
    assert db.get("oanda", "AUDNZD", "forex") == SymbolProperties("AUD/NZD", "NZD", 1.0, 0.00001, 1.0)
    assert db.get("oanda", "EURJPY", "forex").minimum_price_variation == 0.001
    assert db.get("usa", "XYZ", "equity") == default_properties("equity", "XYZ")
    assert db.get("usa", "XYZ", "equity").minimum_price_variation == 0.01


def test_write_and_read_back(tmp_path):
    path = tmp_path / "symbol-properties" / "symbol-properties-database.csv"
    write_symbol_properties_database(path)
    text = path.read_text().splitlines()
    assert text[0].startswith("market,symbol,type,description,quote_currency")
    assert "oanda,USDJPY,forex,USD/JPY,JPY,1,0.001,1" in text
    assert "usa,[*],equity,,USD,1,0.01,1" in text
    db = SymbolPropertiesDatabase.from_data_folder(tmp_path)
    assert db.rows == generated_symbol_properties()


def test_malformed_row_names_line(tmp_path):
    path = tmp_path / "sp.csv"
    path.write_text(
        "market,symbol,type,description,quote_currency,contract_multiplier,minimum_price_variation,lot_size\n#\nusa,[*],equity,,USD,1,abc,1\n"
    )
    with pytest.raises(DataFormatError) as info:
        SymbolPropertiesDatabase.from_file(path)
    assert info.value.line == 3
    assert "minimum_price_variation" in info.value.message
