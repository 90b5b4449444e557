"""Custom data: ``PythonData`` types, ``SubscriptionDataSource`` and the reader (``engine/custom_data.py``)."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta

import pandas as pd
import pytest

from lean_local.data.formats import DataFormatError
from lean_local.engine.base_data import PythonData
from lean_local.engine.common import NotSupportedError, Resolution, SecurityType, Symbol
from lean_local.engine.custom_data import read_custom_data
from lean_local.engine.data_sources import (
    SubscriptionDataConfig,
    SubscriptionDataSource,
    SubscriptionTransportMedium,
)
from lean_local.engine.runner import run_algorithm
from tests import fixtures


class Weather(PythonData):
    """``YYYYMMDD,temperature,rain`` rows of one file; day D's row is known at D+1 00:00."""

    calls: list = []

    def get_source(self, config, date, is_live_mode):
        Weather.calls.append(date)
        return SubscriptionDataSource(f"weather/{config.symbol.value.lower()}.csv")

    def reader(self, config, line, date, is_live_mode):
        if not line[:1].isdigit():
            return None
        fields = line.split(",")
        point = Weather()
        point.symbol = config.symbol
        point.time = datetime.strptime(fields[0], "%Y%m%d")
        point.end_time = point.time + timedelta(days=1)
        point.value = float(fields[1])
        point["Rain"] = float(fields[2])
        point["EndOfDayNote"] = "ok"
        return point


def _weather(root, rows):
    path = root / "weather" / "nyc.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("date,temperature,rain\n" + "\n".join(rows) + "\n")
    return path


def _config():
    return SubscriptionDataConfig(Weather, Symbol("NYC", SecurityType.BASE))


def _days(first, last):
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def test_a_data_source_is_local_unless_it_is_an_http_address():
    assert SubscriptionDataSource("a/b.csv").transport_medium == SubscriptionTransportMedium.LOCAL_FILE
    assert SubscriptionDataSource("https://x/y.csv").transport_medium == SubscriptionTransportMedium.REMOTE_FILE
    assert SubscriptionDataSource("a.csv") == SubscriptionDataSource("a.csv", SubscriptionTransportMedium.LOCAL_FILE)
    assert SubscriptionDataSource("a.csv") != SubscriptionDataSource("a.csv", SubscriptionTransportMedium.REST)


def test_dynamic_properties_are_case_insensitive_and_snake_case():
    point = Weather()
    point["Rain"] = 2.5
    point["EndOfDay"] = 7
    assert point["rain"] == point.rain == point.Rain == point.get_property("RAIN") == 2.5
    assert point.end_of_day == 7 and point.has_property("endofday")
    point["Value"] = 3.0  # the reserved members are set through the indexer too
    assert point.value == point.price == 3.0
    with pytest.raises(KeyError, match="'snow' does not exist"):
        point.get_property("snow")
    with pytest.raises(AttributeError):
        _ = point.snow


def test_end_time_defaults_to_time_and_sets_time_when_first():
    point = Weather()
    point.time = datetime(2020, 1, 2)
    assert point.end_time == datetime(2020, 1, 2)
    other = Weather()
    other.end_time = datetime(2020, 1, 3)
    assert other.time == datetime(2020, 1, 3)


def test_one_source_for_every_date_is_read_once(tmp_path):
    _weather(tmp_path, ["20200101,1,0", "20200102,2,0.5", "20200103,3,0", "20200104,4,1"])
    Weather.calls = []
    series = read_custom_data(Weather(), _config(), _days(datetime(2020, 1, 2), datetime(2020, 1, 4)),
                              datetime(2020, 1, 2), datetime(2020, 1, 4, 23, 59), tmp_path)
    assert len(Weather.calls) == 3  # asked for each date, read once
    # the 2020-01-01 row ends at 01-02 00:00, not before the start: kept
    assert [p.value for p in series.points] == [1, 2, 3, 4]
    assert series.close.tolist() == [1, 2, 3, 4]
    assert series.end_time[0] == pd.Timestamp("2020-01-02").value
    assert series.points[1].rain == 0.5


def test_points_going_back_in_time_are_dropped_and_the_end_stops_reading(tmp_path):
    _weather(tmp_path, ["20200102,2,0", "20200101,1,0", "20200103,3,0", "20200110,9,0"])
    series = read_custom_data(Weather(), _config(), _days(datetime(2020, 1, 1), datetime(2020, 1, 5)),
                              datetime(2020, 1, 1), datetime(2020, 1, 5), tmp_path)
    assert [p.value for p in series.points] == [2, 3]


def test_a_missing_source_gives_no_data(tmp_path):
    series = read_custom_data(Weather(), _config(), _days(datetime(2020, 1, 1), datetime(2020, 1, 3)),
                              datetime(2020, 1, 1), datetime(2020, 1, 3), tmp_path)
    assert series.points == [] and len(series.time) == 0


def test_a_bad_row_names_the_file_and_line(tmp_path):
    path = _weather(tmp_path, ["20200101,1,0", "20200102,warm,0"])
    with pytest.raises(DataFormatError) as error:
        read_custom_data(Weather(), _config(), [datetime(2020, 1, 1)], datetime(2020, 1, 1),
                         datetime(2020, 1, 5), tmp_path)
    assert error.value.path == str(path) and error.value.line == 3
    assert "Weather.reader failed: ValueError" in str(error.value)


def test_a_remote_source_is_refused_with_its_address(tmp_path):
    class Remote(Weather):
        def get_source(self, config, date, is_live_mode):
            return SubscriptionDataSource("https://example.com/data.csv")

    with pytest.raises(NotSupportedError, match="REMOTE_FILE source 'https://example.com/data.csv'"):
        read_custom_data(Remote(), _config(), [datetime(2020, 1, 1)], datetime(2020, 1, 1), datetime(2020, 1, 2),
                         tmp_path)


def test_a_zip_entry_source_reads_that_entry(tmp_path):
    class Zipped(Weather):
        def get_source(self, config, date, is_live_mode):
            return SubscriptionDataSource(f"{tmp_path}/w.zip#b.csv")

    with zipfile.ZipFile(tmp_path / "w.zip", "w") as archive:
        archive.writestr("a.csv", "20200101,1,0\n")
        archive.writestr("b.csv", "20200101,5,0\n")
    series = read_custom_data(Zipped(), _config(), [datetime(2020, 1, 1)], datetime(2020, 1, 1),
                              datetime(2020, 1, 2), tmp_path)
    assert [p.value for p in series.points] == [5]


def test_add_data_delivers_each_point_at_its_end_time(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    _weather(root, ["20200102,2,0", "20200103,3,1", "20200106,6,0"])

    class Algo(fixtures_base()):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 7)
            self.nyc = self.add_data(Weather, "NYC", Resolution.DAILY).symbol
            self.seen = []

        def on_data(self, data):
            points = data.get(Weather)
            for symbol, point in points.items():
                self.seen.append((self.time, str(symbol), point.value, point.rain, point.is_fill_forward,
                                  self.securities[symbol].price))

    algo, _, _ = run_algorithm(Algo, root)
    assert algo.seen == [
        (datetime(2020, 1, 3), "NYC", 2.0, 0.0, False, 2.0),
        (datetime(2020, 1, 4), "NYC", 3.0, 1.0, False, 3.0),  # custom data is always open: Saturday
        (datetime(2020, 1, 7), "NYC", 6.0, 0.0, False, 6.0),
    ]
    assert algo.securities["NYC"].type == SecurityType.BASE


def test_add_data_refuses_a_class_that_is_not_custom_data():
    class NotData:
        pass

    with pytest.raises(TypeError, match="not a valid custom data type"):
        fixtures_base()().add_data(NotData, "X")


def test_add_data_refuses_a_data_time_zone_other_than_new_york():
    with pytest.raises(NotSupportedError, match="time_zone=UTC"):
        fixtures_base()().add_data(Weather, "NYC", Resolution.DAILY, "UTC")


def fixtures_base():
    from lean_local.engine.algorithm import QCAlgorithm

    return QCAlgorithm
