"""Issue 17's defects, one test each, named after the item: what a careless or hostile input does."""

from __future__ import annotations

import io
import threading
import zipfile
import zlib
from datetime import datetime

import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.data.formats import DataFormatError
from lean_local.object_store import ObjectStore, ObjectStoreKeyError
from lean_local.run_folders import claim_run_folder

DAILY_ROW = "20140101 00:00,1000000,1010000,990000,1005000,100\n"


@pytest.mark.parametrize("operation", ["read", "read_bytes", "contains_key", "delete", "get_file_path", "save"])
def test_object_store_keys_cannot_escape_the_store(tmp_path, operation):
    """Item 2: every operation refuses a key that resolves outside ``storage/``."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    store = ObjectStore(tmp_path / "storage")
    (tmp_path / "storage").mkdir()
    args = ("/../victim.txt", "x") if operation == "save" else ("/../victim.txt",)
    with pytest.raises(ObjectStoreKeyError, match="path is not supported"):
        getattr(store, operation)(*args)
    assert victim.read_text() == "keep me"


def test_object_store_refuses_a_symlink_out(tmp_path):
    (tmp_path / "storage").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    (tmp_path / "storage" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(ObjectStoreKeyError):
        ObjectStore(tmp_path / "storage").read("link/secret.txt")


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
    """Item 3: concurrent runs never share a ``<timestamp>`` folder."""
    now = datetime(2026, 12, 1, 12, 0, 0)
    claimed: list = []
    threads = [threading.Thread(target=lambda: claimed.append(claim_run_folder(tmp_path / "backtests", now)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = sorted(p.name for p in claimed)
    assert len(set(names)) == 8
    assert names[0] == "2026-12-01_12-00-00"
    assert {f"2026-12-01_12-00-00-{k}" for k in range(2, 9)} == set(names[1:])


def _zip_with(path, entry: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("spy.csv", entry)


def test_zip_entry_size_is_bounded(tmp_path, monkeypatch):
    """Item 4: an entry bigger than the limit is refused while streaming, not read whole."""
    monkeypatch.setenv("LEAN_LOCAL_MAX_ENTRY_BYTES", str(1 << 20))
    path = tmp_path / "spy.zip"
    _zip_with(path, DAILY_ROW.encode() + b"0" * (4 << 20))  # 4 MB of zeros: a 4 kB zip
    assert path.stat().st_size < 50_000
    with pytest.raises(DataFormatError, match="larger than 1,048,576 bytes") as error:
        formats.read_equity_daily(path)
    assert error.value.path == str(path)


def test_plain_file_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_LOCAL_MAX_ENTRY_BYTES", "100")
    path = tmp_path / "vix.csv"
    path.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n" + "01/02/2014,1,2,0.5,1.5\n" * 10)
    with pytest.raises(DataFormatError, match="larger than 100 bytes"):
        formats.read_cboe_csv(path)


def test_corrupted_deflate_stream_is_a_data_format_error(tmp_path):
    """Item 6: damaged compressed bytes name the file instead of a raw ``zlib.error``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("spy.csv", DAILY_ROW * 2000)
    raw = bytearray(buffer.getvalue())
    start = raw.index(b"spy.csv") + len("spy.csv")  # the local header's name ends, data follows
    for k in range(start + 20, start + 60):
        raw[k] ^= 0xFF
    path = tmp_path / "spy.zip"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError) as error:
        formats.read_equity_daily(path)
    assert error.value.path == str(path) and error.value.line == 0
    assert isinstance(error.value.__cause__, zlib.error | zipfile.BadZipFile | EOFError)


def test_plot_series_names_with_dollar_signs_render(tmp_path):
    """Item 10: a series named like mathtext (``$...$``, an unbalanced ``$``) is drawn as text."""
    from lean_local.report import write_report
    from lean_local.results import write_results
    from lean_local.statistics import compute_statistics, compute_total_performance
    from tests.lean_local.test_report import make_record

    record = make_record()
    days = record.equity.index[::10]
    record.charts = {"P&L $": {"$\\qpi_{3d}$": [(d, 1.0) for d in days], "cost $5 $": [(d, 2.0) for d in days]}}
    folder = tmp_path / "backtests" / "run"
    result = write_results(record, compute_statistics(record), compute_total_performance(record), folder)
    page = write_report(result).read_text(encoding="utf-8")
    assert "$\\qpi_{3d}$" in page and "cost $5 $" in page


def test_ecb_fx_refuses_a_pair_of_one_currency(tmp_path):
    """Item 10: ``--pairs EUREUR`` quotes a currency in itself; nothing is written."""
    from lean_local.data import ecb

    folder = tmp_path / "data"
    with pytest.raises(DataFormatError, match="quotes a currency in itself"):
        ecb.write_ecb_pairs(folder, ["EURUSD", "EUREUR"])
    assert not folder.exists()


@pytest.mark.parametrize(("rows", "line", "fragment"), [
    ("2024-01-02,0.00004,0.00004,0.00004,0.00004,10\n", 2, "below LEAN's resolution"),
    ("2024-01-02,1,2,1,2,1e20\n", 2, "too large for LEAN's 64-bit"),
    ("2051-01-03,1,2,1,2,10\n", 2, "LEAN's map files end at 20501231"),
])
def test_data_csv_refuses_values_lean_files_cannot_hold(tmp_path, rows, line, fragment):
    """Item 7: tiny prices, huge volumes and dates past 2050 are refused before any write."""
    from lean_local.data import csv_import

    source = tmp_path / "XYZ.csv"
    source.write_text("Date,Open,High,Low,Close,Volume\n" + rows)
    with pytest.raises(DataFormatError) as error:
        csv_import.import_csv_files(tmp_path / "data", [source])
    assert (error.value.path, error.value.line) == (str(source), line)
    assert fragment in error.value.message
    assert not (tmp_path / "data").exists()


def test_data_csv_refuses_day_month_ambiguity(tmp_path):
    """Item 7: a DD/MM/YYYY file whose days are all <= 12 is refused, not read as MM/DD."""
    from lean_local.data import csv_import

    source = tmp_path / "XYZ.csv"
    source.write_text("Date,Open,High,Low,Close,Volume\n" + "".join(
        f"{day:02d}/02/2024,1,2,1,2,10\n" for day in range(1, 10)) + "01/03/2024,1,2,1,2,10\n")
    with pytest.raises(DataFormatError, match="ambiguous"):
        csv_import.import_csv_files(tmp_path / "data", [source])


def test_data_csv_reimport_of_a_shorter_history_leaves_no_stale_rows(tmp_path):
    """Item 7: the days the new history no longer covers lose the ticker's coarse rows."""
    from lean_local.data import csv_import

    folder = tmp_path / "data"
    long_history = tmp_path / "long" / "XYZ.csv"
    long_history.parent.mkdir()
    long_history.write_text("Date,Open,High,Low,Close,Volume\n" + "".join(
        f"2024-01-{day:02d},1,2,1,2,10\n" for day in (2, 3, 4, 5)))
    other = tmp_path / "ABC.csv"
    other.write_text("Date,Open,High,Low,Close,Volume\n2024-01-04,5,6,5,6,10\n")
    csv_import.import_csv_files(folder, [long_history])
    csv_import.import_csv_files(folder, [other])
    short_history = tmp_path / "short" / "XYZ.csv"
    short_history.parent.mkdir()
    short_history.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,10\n2024-01-03,1,2,1,2,10\n")
    csv_import.import_csv_files(folder, [short_history])
    days = sorted(p.stem for p in formats.coarse_folder(folder).glob("*.csv"))
    assert days == ["20240102", "20240103", "20240104"]
    assert list(formats.read_coarse(formats.coarse_path(folder, "2024-01-04"))["symbol"]) == ["ABC"]


def _project(tmp_path):
    from tests.fixtures import write_workspace

    (tmp_path / "data").mkdir()
    return write_workspace(tmp_path, tmp_path / "data", "from AlgorithmImports import *\n",
                           parameters={"entry_z": "1.5", "exit_z": "0.5"})


def test_unknown_parameter_names_are_refused_with_the_nearest(tmp_path, capsys):
    """Risk: a misspelt ``--parameter`` changed nothing; now backtest and optimize refuse it."""
    from lean_local.backtest import run_backtest
    from lean_local.cli import main
    from lean_local.optimize import GridParameter, Objective, OptimizationError, optimize
    from lean_local.parameters import UnknownParameterError

    project = _project(tmp_path)
    with pytest.raises(UnknownParameterError, match="did you mean 'entry_z'"):
        run_backtest(project, parameters={"entryz": "2"}, progress=False, quiet=True)
    assert main(["backtest", str(project), "--parameter", "entry_zz", "2"]) == 2
    assert "declares no parameter 'entry_zz'; did you mean 'entry_z'?" in capsys.readouterr().err
    with pytest.raises(OptimizationError, match="did you mean 'exit_z'"):
        optimize(project, [GridParameter.parse("exitz", "0", "1", "0.5")], Objective("Sharpe Ratio", "max", ()))
    assert not (project / "backtests").exists() and not (project / "optimizations").exists()


def test_optimize_refuses_nan_and_oversized_grids(tmp_path):
    """Item 9 and risk: ``nan`` bounds and a 1e9-point grid are refused before anything runs."""
    from lean_local.optimize import GridParameter, Objective, OptimizationError, grid_points, optimize

    with pytest.raises(OptimizationError, match="finite numbers"):
        GridParameter.parse("entry_z", "0", "1", "nan")
    huge = [GridParameter.parse("entry_z", "0", "999", "0.001"), GridParameter.parse("exit_z", "0", "999", "1")]
    with pytest.raises(OptimizationError, match="999,001,000 points"):
        grid_points(huge)
    assert len(grid_points(huge[1:], max_points=1000)) == 1000
    with pytest.raises(OptimizationError, match="more than --max-points"):
        optimize(_project(tmp_path), huge, Objective("Sharpe Ratio", "max", ()))


@pytest.mark.parametrize("order", ["limit_order(self.aaa, 10, float('nan'))", "market_order(self.aaa, float('nan'))",
                                   "stop_market_order(self.aaa, -5, float('inf'))"])
def test_orders_with_nan_prices_or_quantities_fail_the_run(tmp_path, order):
    """Risk: a NaN limit price was accepted; LEAN's System.Decimal has no NaN, so the call fails."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.common import Resolution
    from lean_local.engine.runner import AlgorithmRuntimeError, run_algorithm
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10, 11, 12]))

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.aaa = self.add_equity("AAA", Resolution.DAILY).symbol

        def on_data(self, data):
            eval("self." + order)

    with pytest.raises(AlgorithmRuntimeError, match="must be finite numbers") as error:
        run_algorithm(Algo, root)
    assert error.value.record.state == "RuntimeError" and len(error.value.record.orders) == 0


def test_a_missing_data_folder_is_refused(tmp_path, capsys):
    """Risk: ``--data-folder /nonexistent`` ran to a table of zeros with exit 0."""
    from lean_local.cli import main

    project = _project(tmp_path)
    assert main(["backtest", str(project), "--data-folder", str(tmp_path / "nonexistent")]) == 2
    assert f"--data-folder {tmp_path / 'nonexistent'} does not exist" in capsys.readouterr().err
    assert not (project / "backtests").exists()


def test_an_end_date_before_the_start_date_fails_with_leans_message(tmp_path):
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.runner import AlgorithmRuntimeError, run_algorithm
    from tests import fixtures

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 6)
            self.set_end_date(2020, 1, 2)

    with pytest.raises(AlgorithmRuntimeError, match="Please select an algorithm end date greater than start date"):
        run_algorithm(Algo, fixtures.data_folder(tmp_path / "data"))


def test_negative_cash_stops_the_run_as_lean_does(tmp_path):
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.common import Resolution
    from lean_local.engine.runner import run_algorithm
    from tests import fixtures

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10, 11, 12]))

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.set_cash(-1000)
            self.add_equity("AAA", Resolution.DAILY)

    algo, record, _ = run_algorithm(Algo, root)
    assert any("Portfolio value is less than or equal to zero, stopping algorithm." in line for line in record.logs)
    assert algo.time < pd.Timestamp("2020-01-06 16:00")


def test_atomic_writes_honour_the_umask(tmp_path):
    """Risk: every atomically written file was 0600 whatever the umask (``mkstemp``'s mode)."""
    import os

    from lean_local.atomic import file_mode, write_atomic

    store = ObjectStore(tmp_path / "storage")
    store.save("a/b.txt", "x")
    write_atomic(tmp_path / "plain.txt", b"y")
    formats.write_cboe_csv(tmp_path / "vix.csv", pd.DataFrame(
        {"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0]}, index=pd.DatetimeIndex(["2020-01-02"])))
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    assert file_mode() == expected
    for path in (tmp_path / "storage" / "a" / "b.txt", tmp_path / "plain.txt", tmp_path / "vix.csv"):
        assert os.stat(path).st_mode & 0o777 == expected
    assert expected != 0o600  # the test process' umask is the usual 022 or 002
    assert store.keys == ["a/b.txt"]
