"""The interest-rate file as the statistics read it (``lean_local.engine.interest_rates.file_rates``)."""

from __future__ import annotations

import pandas as pd

from lean_local.data import formats
from lean_local.engine import interest_rates
from lean_local.engine.interest_rates import file_rates


def _write(folder, text):
    path = formats.interest_rate_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_files_rates_as_fractions_the_same_series_as_the_parsed_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    path = _write(tmp_path / "data", "DATE,PCREDIT8\n2013-01-01,0.75\n2014-01-02,1.25\n")
    rates = file_rates(tmp_path / "data")
    pd.testing.assert_series_equal(rates, formats.read_interest_rate(path) / 100.0, check_freq=True)
    assert rates.tolist() == [0.0075, 0.0125]
    assert rates.index.tolist() == [pd.Timestamp("2013-01-01"), pd.Timestamp("2014-01-02")]
    assert (rates.name, rates.index.name) == ("interest_rate", "date")


def test_a_second_read_comes_from_the_cache_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_CACHE", str(tmp_path / "cache"))
    _write(tmp_path / "data", "DATE,PCREDIT8\n2013-01-01,0.75\n")
    assert file_rates(tmp_path / "data").tolist() == [0.0075]
    calls = []
    parse = formats.read_interest_rate
    monkeypatch.setattr(interest_rates.formats, "read_interest_rate", lambda p: calls.append(p) or parse(p))
    assert file_rates(tmp_path / "data").tolist() == [0.0075]
    assert calls == []
    _write(tmp_path / "data", "DATE,PCREDIT8\n2013-01-01,0.75\n2015-06-01,2.5\n")  # another size
    assert file_rates(tmp_path / "data").tolist() == [0.0075, 0.025]
    assert len(calls) == 1


def test_without_a_file_no_rates(tmp_path):
    rates = file_rates(tmp_path)
    assert len(rates) == 0 and rates.dtype == float
