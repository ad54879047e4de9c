"""Two clean runs of the same configuration give byte-identical results, and reports that
differ only in the provenance section (date and timings)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import compare_runs, result_files, snakemake_runner

pytestmark = pytest.mark.workflow


def test_two_clean_runs_are_identical(pipeline_run, tmp_path):
    """Two more runs, at once in two directories (two users of one machine): no temporary file
    of one collides with the other's, and both equal the first."""
    runs = [tmp_path / "second", tmp_path / "third"]
    with ThreadPoolExecutor(len(runs)) as pool:
        list(pool.map(lambda wd: snakemake_runner(wd)(None), runs))
    files = result_files(pipeline_run)
    assert any(k.endswith(".json") for k in files) and any(k.endswith(".svg") for k in files)
    for wd in runs:
        assert compare_runs(pipeline_run, wd) == []


def test_compare_runs_names_what_differs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for run, value in ((a, b"1"), (b, b"2")):
        (run / "results" / "benchmarks").mkdir(parents=True)
        (run / "results" / "same.json").write_bytes(b"{}")
        (run / "results" / "value.json").write_bytes(value)
        (run / "results" / "benchmarks" / "fit.tsv").write_bytes(value)
        (run / "results" / "provenance.json").write_bytes(value)
        (run / "reports").mkdir()
        volatile = (
            f'<section id="provenance">{value}</section><span class="volatile">{value}</span>'
        )
        report = f"<p>x</p>{volatile}"
        (run / "reports" / "hw6.html").write_text(report)
    (a / "results" / "only_a.svg").write_bytes(b"<svg/>")
    assert compare_runs(a, b) == ["results/only_a.svg", "results/value.json"]
    (b / "reports" / "hw6.html").write_text("<p>y</p>")
    assert compare_runs(a, b) == ["results/only_a.svg", "results/value.json", "reports/hw6.html"]
    assert compare_runs(a, b, report=False) == ["results/only_a.svg", "results/value.json"]


def test_compare_runs_command_line(tmp_path, repo):
    a, b = tmp_path / "a", tmp_path / "b"
    for run in (a, b):
        (run / "results").mkdir(parents=True)
        (run / "results" / "x.json").write_text("{}")
    tool = [sys.executable, str(repo / "tools" / "compare_runs.py")]
    same = subprocess.run([*tool, str(a), str(b)], capture_output=True, text=True, check=False)
    assert same.returncode == 0 and same.stdout == ""
    (b / "results" / "x.json").write_text("[]")
    differ = subprocess.run([*tool, str(a), str(b)], capture_output=True, text=True, check=False)
    assert differ.returncode == 1 and differ.stdout == "results/x.json: differs\n"
    bad = subprocess.run(
        [*tool, str(a), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "no results/" in bad.stderr
