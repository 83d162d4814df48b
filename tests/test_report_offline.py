"""The published quality report renders fully offline and fetches nothing from the network.

GE validates two tiny DataFrames (one fails a not-null expectation); the report site is written
with ``write_report_site``, checked statically, then loaded in headless Chromium with every host
name unresolvable. Chromium's net log must show no request started by the pages. A control run of
GE's unpatched page shows that the same net-log check does see CDN requests.

Needs /usr/bin/chromium: ``scripts/install-chromium.sh``.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from baton.storage import LocalStorage
from quality.gate import GreatExpectationsEvaluator
from quality.report import PAGE_FILE, write_report_site
from quality.report_offline import INDEX_FILE
from quality.suite import suite_from_dict

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
PREFIX = "executions/e1/Validate/quality"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000", "--window-size=1400,1600",
]
BROWSER_INITIATED = "not an origin"  # Chromium's own update/time checks; a file:// page's requests say "null"
ALERT_SECONDARY = (0xE2, 0xE3, 0xE5)  # bootstrap 4's .alert-secondary background: only there if the CSS loaded
SUITE = {
    "name": "events_report",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"},
         "meta": {"baton": {"name": "name_present", "reason": "every event has a name"}}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "id", "min_value": 0, "max_value": 100}},
        {"type": "expect_column_kl_divergence_to_be_less_than",  # GE draws this one with vega
         "kwargs": {"column": "name", "partition_object": {"values": ["a", "b"], "weights": [0.5, 0.5]},
                    "threshold": 0.6},
         "meta": {"baton": {"on_fail": "warn"}}},
    ],
}

VERDICTS = {  # Baton's verdicts as the gate makes them (the null name is quarantined within tolerance)
    "events": {"suite": "events_report", "passed": True, "correctable": False, "rows": 4, "failedRows": 1,
               "correctableRows": 0, "tolerance": 0.5, "reason": "1 of 4 rows (25.0%) failed uncorrectable "
               "expectations and are quarantined, within the tolerance of 50.0%.",
               "failedExpectations": [{"name": "name_present", "type": "expect_column_values_to_not_be_null",
                                       "onFail": "quarantine", "unexpectedCount": 1, "success": False}]},
    "events_clean": {"suite": "events_report", "passed": True, "correctable": False, "rows": 4, "failedRows": 0,
                     "correctableRows": 0, "tolerance": 0.5, "reason": "All 4 rows passed suite 'events_report'.",
                     "failedExpectations": []},
}


@pytest.fixture(scope="module")
def validations(spark):
    """GE results of the suite on a DataFrame with a null name (fails) and on a clean one (passes)."""
    evaluator = GreatExpectationsEvaluator()
    suite = suite_from_dict(SUITE)
    failing = spark.createDataFrame([(1, "a"), (2, None), (3, "b"), (4, "b")], "id int, name string")
    passing = spark.createDataFrame([(1, "a"), (2, "b"), (3, "b"), (4, "a")], "id int, name string")
    return {"events": evaluator.validate(failing, suite, {}), "events_clean": evaluator.validate(passing, suite, {})}


@pytest.fixture(scope="module")
def site(tmp_path_factory, validations) -> Path:
    """The report site written through ``LocalStorage.write_bytes``; returns its root directory."""
    bucket = tmp_path_factory.mktemp("bucket")
    keys = write_report_site(LocalStorage(bucket).write_bytes, PREFIX, validations, verdicts=VERDICTS)
    assert keys[-1] == f"{PREFIX}/{INDEX_FILE}"
    return bucket / PREFIX


def run_chromium(page: Path, work: Path, *action: str) -> tuple[str, list[str]]:
    """Load ``page`` offline with ``action`` (--dump-dom / --screenshot=...); its stdout and page-started URLs.

    Fails (never skips) without Chromium: the offline guarantee is only checked here.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh (Debian package 'chromium')")
    work.mkdir(parents=True, exist_ok=True)
    net_log = work / "net-log.json"
    command = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}",
               f"--log-net-log={net_log}", *action, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout, page_requests(net_log)


def page_requests(net_log: Path) -> list[str]:
    """URLs of the network requests in a Chromium net log that a page started (file:// never shows up here)."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = [e.get("params", {}) for e in log["events"] if e["type"] == start_job]
    return [p["url"] for p in starts if "url" in p and p.get("initiator") != BROWSER_INITIATED]


def table_rows(dom: str) -> list[str]:
    """``data-href`` of the rows bootstrap-table rendered into GE's validation index table."""
    rows = [tag for tag in re.findall(r"<tr\b[^>]*>", dom) if "data-index=" in tag]
    return [href for tag in rows for href in re.findall(r'data-href="([^"]+)"', tag)]


def count_pixels(png: Path, rgb: tuple[int, int, int]) -> int:
    """How many pixels of an 8-bit RGB/RGBA, non-interlaced PNG (as Chromium writes) have colour ``rgb``."""
    data = png.read_bytes()
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format in {png}"
    channels = 3 if colour == 2 else 4
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    target, previous, count = bytes(rgb), bytearray(stride), 0
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        row = unfilter(line[0], bytearray(line[1:]), previous, channels)
        count += sum(row[x:x + 3] == target for x in range(0, stride, channels))
        previous = row
    return count


def unfilter(kind: int, row: bytearray, previous: bytearray, bpp: int) -> bytearray:
    """Undo one PNG scanline filter (None, Sub, Up, Average, Paeth) in place."""
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
    return row


# --- static checks ---------------------------------------------------------------------------

REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
TAG = re.compile(r"<(\w+)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
ATTRIBUTE = re.compile(r"([\w:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)|@import\s+['\"]([^'\"]+)")
SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def html_references(html: str) -> list[tuple[str, str, str]]:
    """``(tag, attribute, value)`` of every attribute of every tag, scripts' contents left out."""
    html = SCRIPT_BLOCK.sub(lambda m: m.group(0).split(">", 1)[0] + ">", html)
    return [(tag.lower(), name.lower(), a if a else b)
            for tag, attrs in TAG.findall(html) for name, a, b in ATTRIBUTE.findall(attrs)]


def css_urls(css: str) -> list[str]:
    return [u or i for u, i in CSS_URL.findall(css) if not (u or i).startswith("data:")]


def test_site_files_and_sizes(site):
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    pages = [f for f in files if f.endswith(".html")]
    assert pages == ["events/data_docs.html", "events_clean/data_docs.html", "index.html"]
    assert "static/images/logo-long.png" in files
    assert all(f.startswith("static/") for f in files if f not in pages)
    assert not [f for f in files if f.endswith((".gif", ".ttf", ".otf", ".map"))]
    assert sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) < 2_500_000


def test_pages_reference_only_local_files(site):
    for page in sorted(site.rglob("*.html")):
        html = page.read_text()
        refs = html_references(html)
        fetched = [v for tag, name, v in refs if name in ("src", "srcset") or (name == "href" and tag != "a")]
        fetched += [v for css in STYLE_BLOCK.findall(html) for v in css_urls(css)]
        fetched += [v for _, name, style in refs if name == "style" for v in css_urls(style)]
        assert fetched, page
        assert not [v for v in fetched if REMOTE.match(v)], f"{page} still loads remote files"
        assert not [name for _, name, _ in refs if name in ("integrity", "crossorigin")], page
        for needle in ("great-expectations-web-assets", "dataContextId", "amazonaws.com"):
            assert needle not in html, f"{page} contains {needle!r}"
        local = [v for _, name, v in refs if name in ("src", "href") and not REMOTE.match(v) and v[:1] != "#"]
        missing = [v for v in local if not (page.parent / v.split("#")[0]).resolve().is_file()]
        assert not missing, f"{page} links to files not in the site: {missing}"


def test_vendored_css_loads_only_local_files(site):
    for css in sorted(site.rglob("*.css")):
        urls = css_urls(css.read_text(encoding="utf-8"))
        assert not [u for u in urls if REMOTE.match(u)], f"{css} loads remote files"


# --- in Chromium, network blocked ----------------------------------------------------------------

def test_index_lists_the_validations_offline(site, tmp_path):
    dom, requests = run_chromium(site / INDEX_FILE, tmp_path / "dom", "--dump-dom")
    assert requests == []
    assert sorted(table_rows(dom)) == [f"events/{PAGE_FILE}", f"events_clean/{PAGE_FILE}"]
    assert "fa-times text-danger" in dom and "fa-check-circle text-success" in dom
    assert "Baton verdict" in dom and "passed within tolerance" in dom  # bootstrap-table drew the column
    shot = tmp_path / "index.png"
    _, requests = run_chromium(site / INDEX_FILE, tmp_path / "shot", f"--screenshot={shot}")
    assert requests == []
    assert count_pixels(shot, ALERT_SECONDARY) > 10_000, f"index looks unstyled: {shot}"


def test_validation_page_shows_the_failure_offline(site, tmp_path):
    page = site / "events" / PAGE_FILE
    dom, requests = run_chromium(page, tmp_path / "dom", "--dump-dom")
    assert requests == []
    assert "values must never be null" in dom
    assert "1 unexpected values found" in dom and "fa-times text-danger" in dom
    assert "Baton verdict:" in dom and "passed within tolerance" in dom
    assert 'class="bootstrap-table' in dom  # the expectation tables went through bootstrap-table
    assert dom.count('class="marks"') >= 2  # vega drew both KL-divergence charts
    shot = tmp_path / "validation.png"
    _, requests = run_chromium(page, tmp_path / "shot", f"--screenshot={shot}")
    assert requests == []
    assert count_pixels(shot, ALERT_SECONDARY) > 10_000, f"validation page looks unstyled: {shot}"


def test_net_log_check_sees_what_an_unpatched_ge_page_fetches(validations, tmp_path):
    """Control: GE's own page, as GE renders it, makes the net-log check report its CDN and S3 requests."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    from quality.report import load_validation_result

    document = ValidationResultsPageRenderer().render(load_validation_result(validations["events"]))
    page = tmp_path / "ge_page.html"
    page.write_text(DefaultJinjaPageView().render(document))
    _, requests = run_chromium(page, tmp_path / "run", "--dump-dom")
    hosts = {re.sub(r"^https?://([^/]+)/.*", r"\1", url) for url in requests}
    assert {"code.jquery.com", "unpkg.com", "great-expectations-web-assets.s3.us-east-2.amazonaws.com"} <= hosts
