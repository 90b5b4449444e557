"""ECB reference rates as LEAN forex files."""

import zipfile

import numpy as np
import pandas as pd
import pytest

from lean_local.data import ecb
from lean_local.data import formats as F
from lean_local.data.formats import DataFormatError

HEADER = "Date,USD,JPY,GBP,CAD,"


def _source(tmp_path, rows: list[str], header: str = HEADER):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture()
def small_source(tmp_path):
    # Newest first, trailing comma and N/A, as the ECB publishes it.
    return _source(
        tmp_path,
        [
            "2020-01-03,1.1147,121.2,0.85,1.4488,",
            "2020-01-02,1.1193,121.75,0.84828,1.4549,",
            "2019-12-31,1.1234,121.94,N/A,1.4598,",
        ],
    )


def test_rates_are_sorted_with_eur_column(small_source):
    rates = ecb.read_ecb_rates(small_source)
    assert list(rates.index) == [
        pd.Timestamp("2019-12-31"),
        pd.Timestamp("2020-01-02"),
        pd.Timestamp("2020-01-03"),
    ]
    assert rates.loc["2020-01-02", "JPY"] == 121.75
    assert np.isnan(rates.loc["2019-12-31", "GBP"])
    assert (rates["EUR"] == 1.0).all()


def test_crosses(small_source):
    rates = ecb.read_ecb_rates(small_source)
    day = pd.Timestamp("2020-01-02")
    assert ecb.cross_rate(rates, "EURUSD")[day] == pytest.approx(1.1193)
    assert ecb.cross_rate(rates, "GBPUSD")[day] == pytest.approx(1.1193 / 0.84828)
    assert ecb.cross_rate(rates, "USDCAD")[day] == pytest.approx(1.4549 / 1.1193)
    assert ecb.cross_rate(rates, "USDJPY")[day] == pytest.approx(121.75 / 1.1193)
    assert ecb.cross_rate(rates, "EURGBP")[day] == pytest.approx(0.84828)
    # The N/A GBP fixing drops that day from GBP crosses only.
    assert len(ecb.cross_rate(rates, "GBPUSD")) == 2
    assert len(ecb.cross_rate(rates, "USDJPY")) == 3


def test_written_bars_are_fixing_with_spread(small_source, tmp_path):
    folder = tmp_path / "data"
    counts = ecb.write_ecb_pairs(folder, ["USDJPY", "EURUSD"], spread_pips=2.0, source=small_source)
    assert counts == {"USDJPY": 3, "EURUSD": 3}
    jpy = F.read_forex_daily(F.forex_daily_path(folder, "USDJPY"))
    mid = 121.75 / 1.1193  # 108.7733...
    row = jpy.loc["2020-01-02"]
    assert row["bid_close"] == pytest.approx(round(mid - 0.01, 3))
    assert row["ask_close"] == pytest.approx(round(mid + 0.01, 3))
    assert row["bid_open"] == row["bid_high"] == row["bid_low"] == row["bid_close"]
    assert row["bid_size"] == 0 and row["ask_size"] == 0
    with zipfile.ZipFile(F.forex_daily_path(folder, "EURUSD")) as archive:
        first = archive.read("eurusd.csv").decode().split("\n")[0]
    assert first == "20191231 00:00,1.1233,1.1233,1.1233,1.1233,0,1.1235,1.1235,1.1235,1.1235,0"


def test_default_spread_is_one_pip_for_majors(small_source, tmp_path):
    ecb.write_ecb_pairs(tmp_path, ["EURUSD", "EURGBP"], source=small_source)
    eurusd = F.read_forex_daily(F.forex_daily_path(tmp_path, "EURUSD")).loc["2020-01-03"]
    assert eurusd["ask_close"] - eurusd["bid_close"] == pytest.approx(0.0001)
    eurgbp = F.read_forex_daily(F.forex_daily_path(tmp_path, "EURGBP")).loc["2020-01-03"]
    assert eurgbp["ask_close"] - eurgbp["bid_close"] == pytest.approx(0.0003)


def test_unknown_currency_names_file_and_writes_nothing(small_source, tmp_path):
    folder = tmp_path / "data"
    with pytest.raises(DataFormatError) as info:
        ecb.write_ecb_pairs(folder, ["EURUSD", "USDXYZ"], source=small_source)
    assert info.value.path == str(small_source)
    assert info.value.line == 1
    assert "XYZ" in info.value.message
    assert not folder.exists()


def test_bad_pair_and_malformed_rows(tmp_path):
    good = _source(tmp_path, ["2020-01-02,1.1193,121.75,0.84828,1.4549,"])
    with pytest.raises(DataFormatError, match="not a currency pair"):
        ecb.write_ecb_pairs(tmp_path / "d", ["EUR/USD"], source=good)
    bad = _source(tmp_path, ["2020-01-03,1.1147,121.2,0.85,1.4488,", "2020-01-02,1.1193,abc,0.84828,1.4549,"])
    with pytest.raises(DataFormatError) as info:
        ecb.read_ecb_rates(bad)
    assert info.value.line == 3
    short = _source(tmp_path, ["2020-01-02,1.1193,121.75,"])
    with pytest.raises(DataFormatError) as info:
        ecb.read_ecb_rates(short)
    assert info.value.line == 2
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(DataFormatError) as info:
        ecb.read_ecb_rates(broken)
    assert info.value.line == 0


def test_packaged_history_has_our_pairs(tmp_path):
    rates = ecb.read_ecb_rates()
    assert rates.index[0] == pd.Timestamp("1999-01-04")
    # 1999-01-04: USD 1.1789, JPY 133.73 per EUR.
    assert ecb.cross_rate(rates, "USDJPY")[pd.Timestamp("1999-01-04")] == pytest.approx(133.73 / 1.1789)
    counts = ecb.write_ecb_pairs(tmp_path, start="2019-01-01", end="2019-12-31")
    # 2019 had 255 TARGET business days.
    assert counts == {"EURUSD": 255, "GBPUSD": 255, "USDCAD": 255, "USDJPY": 255}
    days = F.read_forex_daily(F.forex_daily_path(tmp_path, "EURUSD")).index
    assert not (days.weekday >= 5).any()  # no weekend bars, unlike Oanda's Sunday bars
    assert pd.Timestamp("2019-12-25") not in days and pd.Timestamp("2019-05-01") not in days


def test_ensure_metadata_writes_only_missing(tmp_path):
    written = ecb.ensure_forex_metadata(tmp_path, ["EURUSD", "USDJPY"])
    assert [p.name for p in written] == ["market-hours-database.json", "symbol-properties-database.csv"]
    assert "oanda,USDJPY,forex,USD/JPY,JPY,1,0.001,1" in F.symbol_properties_path(tmp_path).read_text()
    assert ecb.ensure_forex_metadata(tmp_path) == []


def test_ensure_metadata_brings_an_older_generated_forex_calendar_up_to_date(tmp_path):
    """A database we generated before the Oanda calendar was added gets LEAN's Oanda entry; its other
    entries stay as they were; LEAN's own (or any other) database is never touched."""
    import json

    from lean_local.data import market_hours as M

    entries = M.generated_market_hours(2000, 2040)
    entries["Forex-oanda-[*]"] = M.MarketHoursEntry(
        exchange_time_zone="America/New_York", data_time_zone="UTC", segments=M.forex_entry().segments)
    path = F.market_hours_path(tmp_path)
    M.write_market_hours_database(path, entries)
    equity_before = json.loads(path.read_text())["entries"]["Equity-usa-[*]"]
    assert ecb.ensure_forex_metadata(tmp_path, ["EURUSD"])[0] == path
    after = json.loads(path.read_text())["entries"]
    assert after["Equity-usa-[*]"] == equity_before
    assert "1/1/2021" in after["Forex-oanda-[*]"]["holidays"]
    assert ecb.ensure_forex_metadata(tmp_path, ["EURUSD"]) == []
    # not ours (an extra entry): left alone
    raw = json.loads(path.read_text())
    raw["entries"]["Forex-fxcm-[*]"] = raw["entries"].pop("Forex-oanda-[*]")
    path.write_text(json.dumps(raw))
    assert ecb.ensure_forex_metadata(tmp_path, ["EURUSD"]) == []
