"""Exchange calendars: LEAN's database, our NYSE rule calendar, the generated database."""

import datetime as dt
import json

import pandas as pd
import pytest

from lean_local.data import market_hours as M
from lean_local.data.formats import DataFormatError
from lean_local.data.market_hours.database import read_entry_texts
from lean_local.engine.exchange_hours import hours_from_entry


@pytest.fixture(scope="module")
def lean_db(lean_data_folder):
    return M.MarketHoursDatabase.from_file(lean_data_folder / "market-hours" / "market-hours-database.json")


def test_us_holidays_by_rule_for_known_years():
    holidays = M.us_equity_holidays(2021, 2023)
    expected = [
        # 2021: Christmas on Saturday -> Friday Dec 24; New Year 2022 on Saturday is not moved back.
        "2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05",
        "2021-09-06", "2021-11-25", "2021-12-24",
        # 2022: Juneteenth starts (Sunday -> Monday June 20); Christmas Sunday -> Monday.
        "2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04",
        "2022-09-05", "2022-11-24", "2022-12-26",
        # 2023: New Year on Sunday -> Monday Jan 2.
        "2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
        "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25",
    ]  # fmt: skip
    assert list(holidays) == [pd.Timestamp(d) for d in expected]


def test_special_closures_are_holidays():
    holidays = set(M.us_equity_holidays(2001, 2025))
    for day in [
        "2001-09-11",
        "2001-09-14",
        "2004-06-11",
        "2007-01-02",
        "2012-10-29",
        "2012-10-30",
        "2018-12-05",
    ]:
        assert pd.Timestamp(day) in holidays
    assert pd.Timestamp("2025-01-09") in holidays


def test_generated_holidays_equal_lean_database(lean_db):
    lean = lean_db.get_entry("Equity", "usa", "SPY").holidays
    # LEAN lists two Saturday New Year's Days (2011, 2022); markets are shut on weekends anyway.
    lean_weekdays = lean[lean.weekday < 5]
    first, last = lean.min().year, lean.max().year
    ours = M.us_equity_holidays(first, last)
    assert list(ours) == list(lean_weekdays)
    assert len(ours) > 250


def test_generated_early_closes_equal_lean_database(lean_db):
    lean = lean_db.get_entry("Equity", "usa", "[*]").early_closes
    lean_weekdays = {d: t for d, t in lean.items() if d.weekday() < 5}
    ours = M.us_equity_early_closes(1999, max(d.year for d in lean))
    assert ours == lean_weekdays


def test_lean_entry_lookup_and_fallback(lean_db):
    equity = lean_db.get_entry("equity", "USA", "AAPL")  # falls back to Equity-usa-[*]
    assert equity.exchange_time_zone == "America/New_York"
    assert equity.regular_open(0) == dt.timedelta(hours=9, minutes=30)
    assert equity.regular_close(4) == dt.timedelta(hours=16)
    assert equity.regular_open(5) is None
    vix = lean_db.get_entry("Index", "usa", "VIX")
    assert vix.exchange_time_zone == "America/Chicago"
    assert vix.regular_close(2) == dt.timedelta(hours=15, minutes=15)
    forex = lean_db.get_entry("Forex", "oanda", "EURUSD")
    assert forex.data_time_zone == "UTC"
    assert forex.regular_close(0) == dt.timedelta(days=1)
    with pytest.raises(KeyError):
        lean_db.get_entry("Equity", "nowhere", "SPY")


def test_trading_days_skip_weekends_and_holidays():
    entry = M.us_equity_entry()
    days = entry.trading_days("2024-12-20", "2025-01-10")
    assert pd.Timestamp("2024-12-25") not in days
    assert pd.Timestamp("2025-01-01") not in days
    assert pd.Timestamp("2025-01-09") not in days  # Carter's national day of mourning
    assert pd.Timestamp("2024-12-21") not in days
    assert len(days) == 13
    assert days.name == "date"


def test_is_open_next_open_previous_close_with_early_close():
    entry = M.us_equity_entry()
    assert entry.is_open("2024-11-29 12:59")
    assert not entry.is_open("2024-11-29 13:00")  # day after Thanksgiving closes at 13:00
    assert not entry.is_open("2024-11-28 10:00")  # Thanksgiving
    assert entry.is_open("2024-11-29 17:00", extended=True)
    assert entry.next_open("2024-11-29 13:00") == pd.Timestamp("2024-12-02 09:30")
    assert entry.previous_close("2024-12-02 09:00") == pd.Timestamp("2024-11-29 13:00")
    opens, closes = entry.session_bounds(["2024-11-29", "2024-12-02", "2024-12-07"])
    assert list(opens[:2]) == [pd.Timestamp("2024-11-29 09:30"), pd.Timestamp("2024-12-02 09:30")]
    assert list(closes[:2]) == [pd.Timestamp("2024-11-29 13:00"), pd.Timestamp("2024-12-02 16:00")]
    assert pd.isna(opens[2]) and pd.isna(closes[2])


def test_forex_days_are_sessions_with_lean_daily_break():
    entry = M.forex_entry()
    sessions = entry.sessions("2024-01-07", "2024-01-13")
    assert sessions["open"].iloc[0] == pd.Timestamp("2024-01-07 17:03")
    assert sessions["close"].iloc[-1] == pd.Timestamp("2024-01-12 16:58")
    assert entry.next_open("2024-01-08 16:59") == pd.Timestamp("2024-01-08 17:03")
    assert entry.is_open("2024-01-10 03:00")
    assert not entry.is_open("2024-01-10 17:00")
    assert not entry.is_open("2024-01-13 03:00")
    assert list(entry.trading_days("2024-01-07", "2024-01-13").weekday) == [6, 0, 1, 2, 3, 4]


def test_generated_forex_hours_equal_lean_database(lean_data_folder):
    """Issue 14.8: the generated Oanda entry is LEAN's, calendar included."""
    lean = M.MarketHoursDatabase.from_data_folder(lean_data_folder).get_entry("Forex", "oanda", "EURUSD")
    ours = M.forex_entry()
    for weekday in range(7):
        assert ours.segments[weekday] == lean.segments[weekday]
    assert list(ours.holidays) == list(lean.holidays)
    assert ours.early_closes == lean.early_closes and ours.late_opens == lean.late_opens
    assert ours.to_json() == M.MarketHoursEntry.from_json(ours.to_json()).to_json()


def test_oanda_calendar_closes_new_year_and_shortens_new_years_eve():
    entry = M.forex_entry()
    # 2021-01-01 (a Friday) is an Oanda holiday: the week's last session is Thursday's
    days = entry.trading_days("2020-12-27", "2021-01-03")
    assert pd.Timestamp("2021-01-01") not in days and pd.Timestamp("2020-12-31") in days
    assert entry.is_holiday("2020-12-25") and not entry.is_holiday("2019-12-25")
    _, closes = entry.session_bounds(["2015-12-31", "2020-12-31", "2016-01-04"])
    assert list(closes) == [pd.Timestamp("2015-12-31 14:00"), pd.Timestamp("2020-12-31 17:00"),
                            pd.Timestamp("2016-01-05 00:00")]  # a regular Monday runs to midnight
    assert not entry.is_open("2015-12-31 15:00") and entry.is_open("2015-12-31 13:00")
    assert not entry.is_open("2019-01-01 12:00")  # late open at 17:00


def test_written_database_reads_back(tmp_path):
    path = tmp_path / "market-hours" / "market-hours-database.json"
    M.write_market_hours_database(path)
    raw = json.loads(path.read_text())
    assert set(raw["entries"]) == {"Equity-usa-[*]", "Index-usa-[*]", "Forex-oanda-[*]"}
    equity_raw = raw["entries"]["Equity-usa-[*]"]
    assert equity_raw["monday"][1] == {"start": "09:30:00", "end": "16:00:00", "state": "market"}
    assert "7/3/2024" in equity_raw["earlyCloses"]
    assert raw["entries"]["Forex-oanda-[*]"]["sunday"] == [
        {"start": "17:03:00", "end": "1.00:00:00", "state": "market"}
    ]
    db = M.MarketHoursDatabase.from_data_folder(tmp_path)
    equity = db.get_entry("Equity", "usa", "SPY")
    assert list(equity.holidays) == list(M.us_equity_holidays())
    index = db.get_entry("Index", "usa", "VIX")
    assert index.early_closes[pd.Timestamp("2024-07-03")] == dt.timedelta(hours=12)
    assert index.regular_close(0) == dt.timedelta(hours=15, minutes=15)


def test_entry_texts_give_the_files_entries(lean_data_folder, lean_db):
    """The engine keeps each entry's json text between runs: every entry, composed with its [*] and
    underlying entries, is the one the parsed file gives."""
    texts = read_entry_texts(lean_data_folder / "market-hours" / "market-hours-database.json")
    assert list(texts) == lean_db.keys
    db = M.MarketHoursDatabase.from_data_folder(lean_data_folder, read=lambda path: texts)
    for key in lean_db.keys:
        kind, market, symbol = key.split("-", 2)
        assert db.get_entry(kind, market, symbol).to_json() == lean_db.get_entry(kind, market, symbol).to_json()


def test_entry_texts_of_a_bad_file_name_its_line(tmp_path):
    path = tmp_path / "market-hours-database.json"
    path.write_text('{"entries": {\n  "Equity-usa-[*]": {,}\n}}')
    with pytest.raises(DataFormatError, match="market-hours-database.json:2"):
        read_entry_texts(path)


def test_from_data_folder_without_file_uses_generated(tmp_path):
    db = M.MarketHoursDatabase.from_data_folder(tmp_path)
    assert db.get_entry("Forex", "oanda", "USDJPY").data_time_zone == "UTC"


def test_easter_dates():
    # Good Friday: 2019-04-19, 2024-03-29, 2000-04-21.
    holidays = set(M.us_equity_holidays(2000, 2024))
    for day in ["2000-04-21", "2019-04-19", "2024-03-29"]:
        assert pd.Timestamp(day) in holidays


def test_lean_forex_late_open_and_early_close(lean_db):
    forex = lean_db.get_entry("Forex", "oanda", "EURUSD")
    # LEAN's Oanda entry: late open 17:00 on 2018-12-25, early close 17:00 on 2018-12-24.
    assert not forex.is_open("2018-12-25 16:00")
    assert forex.is_open("2018-12-25 17:30")
    assert forex.is_open("2018-12-24 16:00")
    assert not forex.is_open("2018-12-24 17:30")
    # The late open removes the 00:00-16:58 segment; the regular 17:03 segment then opens as usual.
    assert forex.next_open("2018-12-24 18:00") == pd.Timestamp("2018-12-25 17:03")
    assert forex.previous_close("2018-12-25 12:00") == pd.Timestamp("2018-12-24 16:58")


def test_a_symbols_entry_takes_its_markets_holidays_and_early_closes():
    """LEAN's converter: Index-usa-SPX (no holidays of its own) adds Index-usa-[*]'s; its own early
    closes win over the [*] ones; an IndexOption entry without holidays takes its underlying's
    (SPXW -> the Index SPX entry)."""
    day = {"start": "09:30:00", "end": "16:15:00", "state": "market"}
    week = {name: [day] for name in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    zone = {"dataTimeZone": "America/New_York", "exchangeTimeZone": "America/New_York"}
    db = M.MarketHoursDatabase({
        "Index-usa-[*]": {**zone, **week, "holidays": ["1/18/2021"],
                          "earlyCloses": {"11/26/2021": "13:00:00", "12/24/2021": "13:00:00"}},
        "Index-usa-SPX": {**zone, **week, "holidays": ["1/19/2021"], "earlyCloses": {"12/24/2021": "12:00:00"}},
        "IndexOption-usa-SPXW": {**zone, **week},
    })
    spx = db.get_entry("Index", "usa", "SPX")
    assert list(spx.holidays) == [pd.Timestamp("2021-01-18"), pd.Timestamp("2021-01-19")]
    assert spx.early_closes == {pd.Timestamp("2021-11-26"): dt.timedelta(hours=13),
                                pd.Timestamp("2021-12-24"): dt.timedelta(hours=12)}
    assert list(db.get_entry("Index", "usa", "NDX").holidays) == [pd.Timestamp("2021-01-18")]  # the [*] entry
    spxw = db.get_entry("IndexOption", "usa", "SPXW")
    assert list(spxw.holidays) == list(spx.holidays)
    assert spxw.early_closes == spx.early_closes


def test_lean_spx_entry_closes_on_martin_luther_king_day(lean_db):
    assert pd.Timestamp("2021-01-18") in lean_db.get_entry("Index", "usa", "SPX").holidays


def _raw(holidays):
    return {"exchangeTimeZone": "America/New_York", "monday": [], "holidays": holidays}


def test_holidays_parse_sorted_and_unique_as_timestamps():
    entry = M.MarketHoursEntry.from_json(_raw(["12/25/2020", "1/1/2020", "7/3/2020", "1/1/2020"]))
    expected = pd.DatetimeIndex(["2020-01-01", "2020-07-03", "2020-12-25"])
    pd.testing.assert_index_equal(entry.holidays, expected)
    assert entry.holidays.dtype == "datetime64[ns]" and len(entry.bank_holidays) == 0


@pytest.mark.parametrize("text", ["2/30/2020", "13/1/2020", "1/1/20x0", "0/1/2020", "1/0/2020", "2/29/2021",
                                  "2/29/1900", "1/2/2020,1/3/2020", "", "1/1/1600"])
def test_a_holiday_that_is_not_a_date_raises(text):
    with pytest.raises(ValueError):
        M.MarketHoursEntry.from_json(_raw(["1/2/2020", text]))


def test_holidays_read_at_once_end_each_month_and_the_timestamps_range():
    entry = M.MarketHoursEntry.from_json(_raw(["2/29/2000", "12/31/1999", "4/30/2021", "9/22/1677", "4/11/2262"]))
    expected = pd.DatetimeIndex(["1677-09-22", "1999-12-31", "2000-02-29", "2021-04-30", "2262-04-11"])
    pd.testing.assert_index_equal(entry.holidays, expected)


def test_holidays_in_another_form_parse_as_their_numbers_say():
    entry = M.MarketHoursEntry.from_json(_raw([" 1/2/2020", "03/04/2021"]))
    pd.testing.assert_index_equal(entry.holidays, pd.DatetimeIndex(["2020-01-02", "2021-03-04"]))


def test_exchange_hours_take_the_holidays_as_dates():
    hours = hours_from_entry(M.MarketHoursEntry.from_json(_raw(["12/25/2020", "1/1/2020"])))
    assert hours.holidays == frozenset({dt.date(2020, 12, 25), dt.date(2020, 1, 1)})
    assert all(type(day) is dt.date for day in hours.holidays)


@pytest.mark.parametrize(("zone", "shift"), [("America/New_York", dt.timedelta(0)),
                                            ("America/Chicago", dt.timedelta(hours=1)),
                                            ("Europe/London", dt.timedelta(hours=-5))])
def test_exchange_hours_shift_to_new_york(zone, shift):
    """Sessions move to New York's wall time by the zones' difference (at a winter noon)."""
    raw = {"exchangeTimeZone": zone, "holidays": [], "monday": [{"start": "09:30:00", "end": "16:00:00", "state": "market"}]}
    hours = hours_from_entry(M.MarketHoursEntry.from_json(raw))
    assert hours.shift == shift and type(hours.shift) is dt.timedelta
    assert hours.segments[0] == [(dt.timedelta(hours=9, minutes=30) + shift, dt.timedelta(hours=16) + shift)]


def test_trading_days_and_sessions_follow_the_weekdays_before_and_after_1970():
    raw = {"exchangeTimeZone": "America/New_York", "holidays": ["1/2/1969", "7/4/2024"],
           "earlyCloses": {"7/3/2024": "13:00:00"},
           **{name: [{"start": "09:30:00", "end": "16:00:00", "state": "market"}]
              for name in ("monday", "tuesday", "wednesday", "thursday", "friday")}}
    hours = hours_from_entry(M.MarketHoursEntry.from_json(raw))
    days = hours.trading_days(dt.date(1968, 12, 28), dt.date(1969, 1, 7))
    # 1969-01-01 was a Wednesday; the 2nd a holiday; weekends skipped
    assert [d.date() for d in days] == [dt.date(1968, 12, 30), dt.date(1968, 12, 31), dt.date(1969, 1, 1),
                                        dt.date(1969, 1, 3), dt.date(1969, 1, 6), dt.date(1969, 1, 7)]
    assert len(hours.trading_days(dt.date(2024, 7, 1), dt.date(2024, 7, 7))) == 4  # Monday to Friday, the 4th a holiday
    opens, closes = hours.session_times(pd.DatetimeIndex(["2024-07-02", "2024-07-03"]))
    hour = 3_600 * 10**9
    assert (closes - pd.DatetimeIndex(["2024-07-02", "2024-07-03"]).asi8).tolist() == [16 * hour, 13 * hour]
    assert (opens - pd.DatetimeIndex(["2024-07-02", "2024-07-03"]).asi8).tolist() == [9.5 * hour, 9.5 * hour]
