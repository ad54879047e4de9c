"""The report in a real browser (headless Chromium): no console errors, MathML and figures in
the rendered DOM, and a screenshot saved under the test's temporary folder."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.workflow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian package 'chromium')"
)


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium as the probe of this machine does (no network side traffic)."""
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return re.findall(r":CONSOLE[^\]]*\] (.*)", stderr)


@needs_chromium
def test_console_capture_detects_errors(tmp_path):
    """The check below would see a console error if the report had one."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom-42')</script>")
    proc = chromium(bad.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("boom-42" in m for m in console_messages(proc.stderr))


@needs_chromium
def test_report_renders_in_chromium(pipeline_run, tmp_path):
    report = pipeline_run / "reports" / "hw6.html"
    dom = chromium(report.as_uri(), tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    assert dom.stdout.count("<math") > 10
    assert dom.stdout.count("<svg") >= 2
    shot = tmp_path / "report.png"
    proc = chromium(
        report.as_uri(),
        tmp_path / "profile2",
        f"--screenshot={shot}",
        "--window-size=1280,4000",
        "--hide-scrollbars",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    assert shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


#: Appended to a copy of the report: lists, per figure, the pairs of SVG text elements whose
#: rendered boxes overlap (by more than a pixel each way), into a <pre> that --dump-dom returns.
OVERLAP_PROBE = """<script>
(function () {
  var out = [];
  document.querySelectorAll("figure svg").forEach(function (svg, f) {
    var boxes = Array.prototype.slice.call(svg.querySelectorAll("text"))
      .filter(function (t) { return t.textContent.trim(); })
      .map(function (t) { return { t: t.textContent.trim(), r: t.getBoundingClientRect() }; })
      .filter(function (b) { return b.r.width > 0 && b.r.height > 0; });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i].r, b = boxes[j].r;
        var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) { out.push([f, boxes[i].t, boxes[j].t, Math.round(w), Math.round(h)]); }
      }
    }
    out.push([f, "#texts", boxes.length]);
  });
  var pre = document.createElement("pre");
  pre.id = "hw6-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""

#: Sorts the grid table by its "test F1" column, twice (descending), and reports the column.
SORT_PROBE = """<script>
(function () {
  var table = document.querySelector("table.sortable");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var th = heads.filter(function (h) { return h.textContent === "test F1"; })[0];
  th.click();
  var up = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.cells.length === heads.length ? r.cells[heads.indexOf(th)].textContent : "div";
  });
  th.click();
  var down = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.cells.length === heads.length ? r.cells[heads.indexOf(th)].textContent : "div";
  });
  var pre = document.createElement("pre");
  pre.id = "hw6-probe";
  pre.textContent = JSON.stringify({ up: up, down: down, sort: th.getAttribute("aria-sort") });
  document.body.appendChild(pre);
})();
</script>"""


def probe(report: Path, script: str, tmp_path: Path) -> object:
    """Open a copy of the report with ``script`` appended; return what it wrote (JSON)."""
    import json

    page = tmp_path / "probe.html"
    page.write_text(
        report.read_text(encoding="utf-8").replace("</body>", script + "\n</body>"),
        encoding="utf-8",
    )
    proc = chromium(page.as_uri(), tmp_path / "probe-profile", "--window-size=1280,4000",
                    "--dump-dom")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    m = re.search(r'<pre id="hw6-probe">(.*?)</pre>', proc.stdout, re.S)
    assert m, proc.stdout[-2000:]
    import html

    return json.loads(html.unescape(m.group(1)))


@needs_chromium
def test_overlap_probe_sees_overlapping_text(tmp_path):
    """The check below would see two labels drawn over each other."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100">'
        '<text x="10" y="50" font-size="14">batch 100, momentum 0.9, 12 epochs</text>'
        '<text x="120" y="52" font-size="14">batch 250, momentum 0.9</text>'
        '<text x="10" y="90" font-size="14">apart</text></svg>'
    )
    page = tmp_path / "fig.html"
    page.write_text(f"<!DOCTYPE html><html><body><figure>{svg}</figure></body></html>")
    found = probe(page, OVERLAP_PROBE, tmp_path)
    pairs = [p for p in found if p[1] != "#texts"]
    assert [p[1:3] for p in pairs] == [
        ["batch 100, momentum 0.9, 12 epochs", "batch 250, momentum 0.9"]
    ]


@needs_chromium
def test_no_text_overlaps_in_the_figures(pipeline_run, tmp_path):
    """In every figure of the report as Chromium lays it out at 1280 px, no two texts (titles,
    tick labels, axis labels, legend entries, annotations) overlap."""
    found = probe(pipeline_run / "reports" / "hw6.html", OVERLAP_PROBE, tmp_path)
    counts = [p for p in found if p[1] == "#texts"]
    assert len(counts) >= 5 and all(p[2] > 0 for p in counts)
    assert [p for p in found if p[1] != "#texts"] == []


@needs_chromium
def test_grid_table_sorts_by_a_column(pipeline_run, tmp_path):
    """The grid table sorts by any column on a click (ascending, then descending), diverged rows
    last; the page itself, without the script, lists it in the grid's order."""
    got = probe(pipeline_run / "reports" / "hw6.html", SORT_PROBE, tmp_path)
    for key, reverse in (("up", False), ("down", True)):
        values = [float(v) for v in got[key] if v != "div"]
        assert values == sorted(values, reverse=reverse)
        assert all(v == "div" for v in got[key][len(values) :])
    assert got["sort"] == "descending"
