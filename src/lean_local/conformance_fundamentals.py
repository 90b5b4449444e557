"""The fundamental data LEAN's regression runs read (``lean-local conformance``'s default provider).

LEAN's test runner (``Tests/AlgorithmRunner.cs``) sets ``fundamental-data-provider`` to its
``TestFundamentalDataProvider`` (``Tests/Common/Data/Fundamental/``), so the statistics LEAN prints for
its regression algorithms were made with these figures: every security has fundamental data, a few
properties of a few securities have values, the others read as zero or empty. The figures are that
provider's; the coarse files' own fields are read from the data folder as always.
"""

from __future__ import annotations

from lean_local.engine.fundamental_data import (
    CoarseFundamentalDataProvider,
    FixedFundamentalDataProvider,
    FundamentalDataProvider,
)

_AAPL, _IBM, _AIG, _NB, _SPY = (f"{t} R735QTJ8XC9X" for t in ("AAPL", "IBM", "AIG", "NB", "SPY"))
_GOOG, _GOOCV = "GOOG T1AZ164W5VTX", "GOOCV VP83T1ZUHROL"

LEAN_TEST_FUNDAMENTALS = FixedFundamentalDataProvider(
    values={
        "ValuationRatios_PERatio": {_AAPL: 13.012856, _IBM: 12.394244, _AIG: 8.185855},
        "CompanyReference_IndustryTemplateCode": {_AAPL: "N", _IBM: "N", _GOOG: "N", _GOOCV: "N", _NB: "B",
                                                  _AIG: "I"},
        "EarningRatios_EquityPerShareGrowth_OneYear": {_AAPL: 0.091652, _IBM: 0.280664, _GOOCV: 0.196226,
                                                       _NB: 0.022944},
        "CompanyProfile_MarketCap": {_AIG: 72866646492, _AAPL: 469400291359, _IBM: 192825068158,
                                     _GOOCV: 375779584963, _NB: 181116782342},
        "CompanyProfile_SharesOutstanding": {_SPY: 1331000000, _AAPL: 22337000000000},
        "CompanyProfile_HeadquarterCity": {_AAPL: "Cupertino"},
    },
    defaults={"ValuationRatios_PERatio": 0.0, "CompanyReference_IndustryTemplateCode": "",
              "EarningRatios_EquityPerShareGrowth_OneYear": 0.0, "CompanyProfile_MarketCap": 0,
              "CompanyProfile_SharesOutstanding": 0, "CompanyProfile_HeadquarterCity": ""},
)

#: ``--fundamental-data-provider`` choices, by LEAN's class names
PROVIDERS: dict[str, FundamentalDataProvider] = {
    "TestFundamentalDataProvider": LEAN_TEST_FUNDAMENTALS,
    "CoarseFundamentalDataProvider": CoarseFundamentalDataProvider(),
}
DEFAULT_PROVIDER = "TestFundamentalDataProvider"
