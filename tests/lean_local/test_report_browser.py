"""The report in headless Chromium at a laptop's width: every section is there, every chart renders,
no text overflows its box (no element wider than its box, no chart text outside its drawing, no
horizontal scrolling of the trade table), and no script error occurs.

The page's own script writes a status into ``#render-status`` after checking every chart (an
``<svg>`` with drawn marks and, when visible, a non-zero size), the layout, and after catching any
error, and lists the sections it found; the DOM is read back with ``--dump-dom``. Debian's ``chromium`` is installed by
``tools/install-chromium.sh``; without it the tests skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lean_local import report
from lean_local.results import write_results
from lean_local.statistics import compute_statistics, compute_total_performance
from tests.lean_local.test_report import SECTIONS, make_record

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; run tools/install-chromium.sh "
                                                          "(as root, Debian) to run the browser test")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--window-size=1280,1600",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
STATUS = re.compile(r'<div id="render-status"[^>]*>')


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120, check=False)
    return done.stdout


def _status(dom: str) -> tuple[str, int]:
    tag = STATUS.search(dom)
    assert tag is not None, "the page's script never wrote #render-status"
    status = re.search(r'data-status="([^"]*)"', tag.group(0))
    charts = re.search(r'data-charts="(\d+)"', tag.group(0))
    assert status is not None and charts is not None, tag.group(0)
    return status.group(1), int(charts.group(1))


def _sections(dom: str) -> list[str]:
    tag = STATUS.search(dom)
    assert tag is not None
    found = re.search(r'data-sections="([^"]*)"', tag.group(0))
    assert found is not None, tag.group(0)
    return found.group(1).split()


@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    record = make_record()
    folder = tmp_path_factory.mktemp("browser")
    path = write_results(record, compute_statistics(record), compute_total_performance(record), folder)
    return report.write_report(path)


def test_every_section_and_chart_renders_without_overflow_or_script_errors(report_path, tmp_path):
    dom = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", report_path.as_uri())
    figures = report_path.read_text(encoding="utf-8").count('<figure class="chart"')
    assert figures == 11
    assert _status(dom) == ("ok", figures)
    assert _sections(dom) == SECTIONS
    # the trade table was built from its JSON: one row per closed trade
    assert len(re.findall(r"<tr><td>\d+</td>", dom)) == 2


@pytest.mark.parametrize("defect, reported", [
    ('<div class="note" style="white-space:nowrap">' + "W" * 400 + "</div>", "overflow: note"),
    ('<figure class="chart" data-chart="cut"><svg viewBox="0 0 100 20" width="100" height="20">'
     '<text x="-30" y="12">cut label</text></svg></figure>', "chart text cut: cut 'cut label'"),
])
def test_a_layout_defect_is_reported(report_path, tmp_path, defect, reported):
    # The layout check itself must be able to fail: text wider than its box, chart text outside its drawing.
    broken = tmp_path / "broken.html"
    broken.write_text(report_path.read_text(encoding="utf-8").replace("</main>", defect + "</main>"),
                      encoding="utf-8")
    status, _ = _status(_chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", broken.as_uri()))
    assert status.startswith("error:") and reported in status


def test_a_script_error_is_reported(report_path, tmp_path):
    # The check itself must be able to fail: a page with a throwing script reports the error.
    broken = tmp_path / "broken.html"
    broken.write_text(report_path.read_text(encoding="utf-8").replace(
        "</main>", "<script>undefinedReportFunction();</script></main>"), encoding="utf-8")
    status, _ = _status(_chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", broken.as_uri()))
    assert status.startswith("error:") and "undefinedReportFunction" in status


def test_screenshot(report_path, tmp_path):
    shot = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", report_path.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
