"""LEAN's printed precision: how a statistic string is parsed and compared."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lean_local.conformance import PrintedNumber, compare_statistics, parse_printed, statistic_matches


@pytest.mark.parametrize("text, expected", [
    ("0.321", PrintedNumber(Decimal("0.321"), 3, "", "")),
    ("-1.989", PrintedNumber(Decimal("-1.989"), 3, "", "")),
    ("$14.78", PrintedNumber(Decimal("14.78"), 2, "$", "")),
    ("-0.49%", PrintedNumber(Decimal("-0.49"), 2, "", "%")),
    ("67%", PrintedNumber(Decimal("67"), 0, "", "%")),
    ("$120000000.00", PrintedNumber(Decimal("120000000.00"), 2, "$", "")),
    ("-19", PrintedNumber(Decimal("-19"), 0, "", "")),
    ("1296.838%", PrintedNumber(Decimal("1296.838"), 3, "", "%")),
])
def test_parse_printed_reads_number_decimals_and_form(text, expected):
    assert parse_printed(text) == expected


@pytest.mark.parametrize("text", ["IBM R735QTJ8XC9X", "", "NaN", "1.2.3", "$", "%", "."])
def test_parse_printed_rejects_text(text):
    assert parse_printed(text) is None


def test_unit_is_one_in_the_last_printed_digit():
    assert parse_printed("0.321").unit == Decimal("0.001")
    assert parse_printed("67%").unit == Decimal("1")
    assert parse_printed("$14.78").unit == Decimal("0.01")


@pytest.mark.parametrize("name, lean, ours, matches", [
    ("Alpha", "0.321", "0.322", True),              # one unit in the last digit
    ("Alpha", "0.321", "0.320", True),
    ("Alpha", "0.321", "0.323", False),             # two units
    ("Alpha", "-0.001", "0.000", True),
    ("Alpha", "-0.001", "0.001", False),
    ("Sharpe Ratio", "4.836", "4.8365", True),      # measured in LEAN's last digit, whatever ours prints
    ("Sharpe Ratio", "4.836", "4.84", False),       # 0.004 away
    ("Win Rate", "67%", "66%", True),
    ("Win Rate", "67%", "65%", False),
    ("Net Profit", "1.442%", "1.443%", True),
    ("Net Profit", "1.442%", "1.443", False),       # a different form never matches
    ("Estimated Strategy Capacity", "$120000000.00", "$120000000.01", True),
    ("Estimated Strategy Capacity", "$120000000.00", "$130000000.00", False),
    ("Estimated Strategy Capacity", "$120000000.00", "120000000.00", False),
    ("Lowest Capacity Asset", "IBM R735QTJ8XC9X", "IBM R735QTJ8XC9X", True),
    ("Lowest Capacity Asset", "IBM R735QTJ8XC9X", "SPY R735QTJ8XC9X", False),
    ("Drawdown Recovery", "0", "1", True),
    ("Drawdown Recovery", "0", "2", False),
    ("Total Orders", "9", "10", False),             # exact statistics: the same string
    ("Total Orders", "9", "9", True),
    ("End Equity", "101441.92", "101441.93", False),
    ("Start Equity", "100000", "100000.0", False),
    ("Total Fees", "$14.78", "$14.79", False),
    ("Total Fees", "$14.78", "$14.78", True),
    ("Alpha", "0.321", None, False),                # a statistic we do not print
])
def test_statistic_matches_at_leans_precision(name, lean, ours, matches):
    assert statistic_matches(name, lean, ours) is matches


def test_compare_statistics_lists_each_mismatch_and_skips_the_order_hash():
    lean = {"Total Orders": "9", "Alpha": "4.164", "Beta": "-1.322", "OrderListHash": "713c956deb193bed"}
    ours = {"Total Orders": "9", "Alpha": "4.166", "Beta": "-1.321"}
    assert compare_statistics(lean, ours) == [("Alpha", "4.164", "4.166")]
