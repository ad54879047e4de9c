"""Under ``CI=true`` a SLURM, browser, Triton or self-check test that would skip fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent

SAMPLE = """
import pytest

@pytest.mark.browser
def test_needs_browser():
    pytest.skip("no chromium here")

@pytest.mark.slurm
def test_needs_slurm():
    pytest.skip("no slurm here")

@pytest.mark.triton
@pytest.mark.skipif(True, reason="no triton here")
def test_needs_triton():
    pass

@pytest.mark.selfcheck
def test_needs_selfcheck():
    pytest.skip("the self-check's interpreter cases need triton")

def test_plain_skip():
    pytest.skip("not needed here")
"""


@pytest.mark.parametrize("ci", ["true", ""])
def test_skips_of_required_tests_fail_under_ci(tmp_path: Path, ci: str):
    shutil.copy2(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    browser: b\n    slurm: s\n    triton: t\n    selfcheck: c\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CI": ci, "PYTHONPATH": str(HERE)},  # conftest imports helpers
        timeout=120,
    )
    last = proc.stdout.strip().splitlines()[-1]
    if ci:
        # (a skip decided at setup, as by skipif, fails there: an error)
        assert proc.returncode == 1 and "3 failed, 1 skipped, 1 error" in last, proc.stdout
        assert "must run in CI but would skip: Skipped: no chromium here" in proc.stdout
        assert "must run in CI but would skip: Skipped: no triton here" in proc.stdout
        assert "would skip: Skipped: the self-check's interpreter cases need triton" in proc.stdout
    else:
        assert proc.returncode == 0 and "5 skipped" in last, proc.stdout
