"""Fundamental data providers and the provider the runtime reads (``lean_local.engine.fundamental_data``)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from lean_local.conformance_fundamentals import LEAN_TEST_FUNDAMENTALS, PROVIDERS
from lean_local.engine import fundamental_data
from lean_local.engine.fundamental_data import CoarseFundamentalDataProvider, FixedFundamentalDataProvider

DAY = date(2014, 3, 25)


def test_the_default_provider_has_no_fundamental_data_and_leans_missing_values():
    # BaseFundamentalDataProvider.GetDefault: NaN for a double, 0 for a long, null for a string
    provider = CoarseFundamentalDataProvider()
    assert provider.get(DAY, "AAPL R735QTJ8XC9X", "HasFundamentalData", bool) is False
    assert math.isnan(provider.get(DAY, "AAPL R735QTJ8XC9X", "ValuationRatios_PERatio", float))
    assert provider.get(DAY, "AAPL R735QTJ8XC9X", "CompanyProfile_MarketCap", int) == 0
    assert provider.get(DAY, "AAPL R735QTJ8XC9X", "CompanyProfile_HeadquarterCity", str) is None


def test_a_fixed_provider_answers_its_table_then_its_defaults_then_none():
    provider = FixedFundamentalDataProvider({"ValuationRatios_PERatio": {"A X": 12.5}},
                                            {"ValuationRatios_PERatio": 0.0})
    assert provider.get(DAY, "A X", "ValuationRatios_PERatio", float) == 12.5
    assert provider.get(DAY, "B X", "ValuationRatios_PERatio", float) == 0.0
    assert provider.get(DAY, "A X", "CompanyProfile_HeadquarterCity", str) is None
    assert provider.get(DAY, "B X", "HasFundamentalData", bool) is True


def test_the_runtime_reads_the_provider_in_use_and_the_previous_one_after_even_on_error():
    sid = "AAPL R735QTJ8XC9X"
    assert fundamental_data.get(DAY, sid, "HasFundamentalData", bool) is False
    with pytest.raises(RuntimeError), fundamental_data.using(LEAN_TEST_FUNDAMENTALS):
        assert fundamental_data.get(DAY, sid, "CompanyProfile_MarketCap", int) == 469_400_291_359
        raise RuntimeError
    assert fundamental_data.get(DAY, sid, "CompanyProfile_MarketCap", int) == 0


def test_leans_test_figures_are_keyed_by_security_identifier():
    get = LEAN_TEST_FUNDAMENTALS.get
    assert get(DAY, "IBM R735QTJ8XC9X", "ValuationRatios_PERatio", float) == 12.394244
    assert get(DAY, "GOOCV VP83T1ZUHROL", "EarningRatios_EquityPerShareGrowth_OneYear", float) == 0.196226
    assert get(DAY, "NB R735QTJ8XC9X", "CompanyReference_IndustryTemplateCode", str) == "B"
    assert get(DAY, "SPY R735QTJ8XC9X", "CompanyProfile_SharesOutstanding", int) == 1_331_000_000
    assert get(DAY, "SPY R735QTJ8XC9X", "CompanyProfile_HeadquarterCity", str) == ""
    assert set(PROVIDERS) == {"TestFundamentalDataProvider", "CoarseFundamentalDataProvider"}
