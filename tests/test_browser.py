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
