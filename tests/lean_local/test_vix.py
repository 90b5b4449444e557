"""VIX import into index and CBOE files."""

import pandas as pd
import pytest

from lean_local.data import formats as F
from lean_local.data import vix
from lean_local.data.formats import DataFormatError

CBOE = """DATE,OPEN,HIGH,LOW,CLOSE
01/02/2020,13.460000,13.720000,12.420000,12.470000
01/03/2020,15.010000,16.200000,13.130000,14.020000
01/06/2020,15.450000,16.390000,13.540000,13.850000
"""


def test_cboe_file_goes_to_both_places(tmp_path):
    source = tmp_path / "VIX_History.csv"
    source.write_text(CBOE)
    count, paths = vix.import_cboe_file(tmp_path / "data", source)
    assert count == 3
    index = F.read_index_daily(F.index_daily_path(tmp_path / "data", "VIX"))
    assert list(index.loc["2020-01-03"]) == [15.01, 16.2, 13.13, 14.02, 0.0]
    cboe = F.read_cboe_csv(F.cboe_path(tmp_path / "data"))
    pd.testing.assert_frame_equal(cboe, index[["open", "high", "low", "close"]])
    # The CBOE copy keeps CBOE's own layout, so it is the downloaded file byte for byte.
    assert F.cboe_path(tmp_path / "data").read_text() == CBOE
    assert paths == [F.index_daily_path(tmp_path / "data", "VIX"), F.cboe_path(tmp_path / "data")]


@pytest.mark.parametrize(
    "row, line, fragment",
    [
        ("01/07/2020,13.9,x,13.1,13.79", 5, "high: not a number"),
        ("01/06/2020,13.9,14.0,13.1,13.79", 5, "duplicated"),
        ("01/07/2020,13.9,14.0,-13.1,13.79", 5, "low is negative"),
        ("01/07/2020,13.9,14.0,13.1", 5, "expected 5"),
    ],
)
def test_bad_cboe_rows_name_the_line(tmp_path, row, line, fragment):
    source = tmp_path / "VIX_History.csv"
    source.write_text(CBOE + row + "\n")
    with pytest.raises(DataFormatError) as info:
        vix.import_cboe_file(tmp_path / "data", source)
    assert info.value.line == line
    assert fragment in info.value.message
    assert not (tmp_path / "data").exists()


def test_inconsistent_or_zero_bars_are_rejected(tmp_path):
    source = tmp_path / "VIX_History.csv"
    source.write_text(CBOE + "01/07/2020,13.9,13.5,13.1,13.79\n")
    with pytest.raises(DataFormatError, match="2020-01-07: high is below"):
        vix.import_cboe_file(tmp_path / "data", source)
    source.write_text(CBOE + "01/07/2020,0,14,0,13.79\n")
    with pytest.raises(DataFormatError, match="positive"):
        vix.import_cboe_file(tmp_path / "data", source)
    source.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n")
    with pytest.raises(DataFormatError, match="no VIX rows"):
        vix.import_cboe_file(tmp_path / "data", source)
    assert not (tmp_path / "data").exists()


def test_arch_series(tmp_path):
    frame = vix.load_arch_vix()
    assert frame.index[0] == pd.Timestamp("2014-01-03")
    assert frame.loc["2014-01-03", "close"] == 13.76
    assert pd.Timestamp("2014-01-20") not in frame.index  # MLK day: a NaN row in arch's file
    assert (frame["open"] == frame["close"]).all() and (frame["high"] == frame["low"]).all()
    count, _ = vix.import_arch_vix(tmp_path)
    assert count == len(frame) == 1259
    index = F.read_index_daily(F.index_daily_path(tmp_path, "VIX"))
    assert index.loc["2018-12-31", "close"] == 25.42
