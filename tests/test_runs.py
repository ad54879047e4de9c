"""Runs side by side: named runs through make, the table of runs (make compare), the numeric
comparison of two runs and the reproducibility envelope of two runs of one configuration."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, SMALL_CONFIG, small_config, tool

from hw6lib.pipeline.config import config_differences, flatten
from hw6lib.report.runs import (
    FUN_REL,
    WEIGHTS_REL,
    Run,
    answer_within,
    differing_keys,
    envelope_verdict,
    headline,
    numeric_diff,
)

TOOL = [sys.executable, str(REPO / "tools" / "compare_runs.py")]
#: make test-other-isa's variables: numpy without AVX-512, torch's portable kernels.
OTHER_ISA = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL", "ATEN_CPU_CAPABILITY": "default"}


def _summary(f1: float = 0.8, sd: float = 0.03, mse: float = 1e-3, w0: float = 5.5) -> dict:
    return {
        "problem1": {
            "nets": [{"depth": 2, "best_mse": mse, "best_weights": [w0, 3.4, 0.67], "n_minima": 2}]
        },
        "problem2": {
            "source": {"kind": "synthetic", "sha256": "ab" * 32},
            "tree": {"test_f1": 0.99},
            "mlp": {
                "width": 8,
                "lr": 1.0,
                "batch_size": 256,
                "epochs": 2,
                "momentum": 0.9,
                "test_f1": f1,
                "test_f1_sd": sd,
            },
            "verdict": {"outcome": "tree"},
        },
    }


def _run(name: str, summary: dict, config: dict | None = None) -> Run:
    prov = {
        "config": config if config is not None else small_config(),
        "git": {"commit": "c" * 40, "dirty": False},
        "jobs": [{"job": "x", "seconds": 2.5}, {"job": "y", "seconds": None}],
    }
    return Run(name=name, path=Path(name), config=prov["config"], summary=summary, provenance=prov)


def _write_run(folder: Path, summary: dict, config: dict | None = None) -> Path:
    run = _run(folder.name, summary, config)
    (folder / "results").mkdir(parents=True)
    (folder / "results" / "summary.json").write_text(json.dumps(summary))
    (folder / "results" / "provenance.json").write_text(json.dumps(run.provenance))
    return folder


def test_flatten_and_config_differences():
    default = {"a": {"b": 1, "c": [1, 2]}, "d": None}
    assert flatten(default) == {"a.b": 1, "a.c": [1, 2], "d": None}
    other = {"a": {"b": 1, "c": [1, 3]}, "d": "x"}
    assert config_differences(default, other) == [
        {"key": "a.c", "default": [1, 2], "value": [1, 3]},
        {"key": "d", "default": None, "value": "x"},
    ]
    assert config_differences(default, copy.deepcopy(default)) == []


def test_differing_keys_only_and_only_of_complete_runs():
    wide = small_config()
    wide["mlp"]["widths"] = [4, 8, 16]
    runs = [_run("a", _summary()), _run("b", _summary(), wide), _run("c", {}, {"x": 1})]
    assert differing_keys(runs) == ["mlp.widths"]
    assert differing_keys(runs[:1]) == []


def test_answers_within_the_envelope():
    # training errors: relative bound of the measured BFGS envelope
    assert answer_within("p1.depth2.best_mse", 1e-3, 1e-3 * (1 + FUN_REL / 2), 0.0)
    assert not answer_within("p1.depth2.best_mse", 1e-3, 1e-3 * (1 + 4 * FUN_REL), 0.0)
    # a training error of rounding size: absolute bound
    assert answer_within("p1.depth1.best_mse", 2e-24, 5e-20, 0.0)
    w = [5.5, 3.4, 0.67]
    assert answer_within("p1.depth2.best_weights", w, [5.5 * (1 + WEIGHTS_REL / 2), 3.4, 0.67], 0)
    assert not answer_within("p1.depth2.best_weights", w, [5.6, 3.4, 0.67], 0.0)
    # the network's F1: within its spread over seeds
    assert answer_within("mlp.test_f1", 0.80, 0.82, 0.03)
    assert not answer_within("mlp.test_f1", 0.80, 0.84, 0.03)
    # choices and real data must be equal; the computed stand-in need not
    assert not answer_within("mlp.best", "8, 1, 256, 2, 0.9", "16, 1, 256, 2, 0.9", 1.0)
    assert not answer_within("data", "real " + "a" * 64, "real " + "b" * 64, 1.0)
    assert answer_within("data", "synthetic " + "a" * 64, "synthetic " + "b" * 64, 1.0)


def test_envelope_verdict():
    a = _run("a", _summary())
    assert envelope_verdict(a, _run("b", _summary()), []) == ("identical", [])
    near = _run("b", _summary(f1=0.81, w0=5.5 * (1 + 1e-4)))
    assert envelope_verdict(a, near, ["results/x.json"]) == ("within the envelope", [])
    far = _run("b", _summary(f1=0.9, mse=2e-3))
    verdict, outside = envelope_verdict(a, far, ["results/x.json"])
    assert verdict == "outside the envelope"
    assert outside == ["p1.depth2.best_mse", "mlp.test_f1"]


def test_headline():
    h = headline(_run("a", _summary()))
    assert h["mlp.best"] == "8, 1, 256, 2, 0.9"
    assert h["job_seconds"] == 2.5 and h["commit"] == "c" * 12 and h["verdict"] == "tree"
    assert h["data"] == "synthetic " + "ab" * 32


def test_numeric_diff_old_new_change():
    old = {"a": {"x": 1.0, "y": [2, 3], "flag": True}, "gone": 5}
    new = {"a": {"x": 1.5, "y": [2, 4], "flag": False}, "added": 7}
    assert numeric_diff(old, new) == [
        {"path": "a.x", "old": 1.0, "new": 1.5, "change": 0.5},
        {"path": "a.y.1", "old": 3.0, "new": 4.0, "change": 1.0},
        {"path": "gone", "old": 5.0, "new": None, "change": None},
        {"path": "added", "old": None, "new": 7.0, "change": None},
    ]
    assert len(numeric_diff(old, new, all_values=True)) == 5


def test_table_and_numbers_command_line(tmp_path: Path):
    wide = small_config()
    wide["mlp"]["widths"] = [4, 8, 16]
    a = _write_run(tmp_path / "a", _summary())
    b = _write_run(tmp_path / "b", _summary(f1=0.7), wide)
    c = _write_run(tmp_path / "c", _summary())  # same configuration as a, same results
    page = tmp_path / "out" / "runs.html"
    proc = subprocess.run(
        [*TOOL, "--table", "--html", str(page), str(a), str(b), str(c), str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = {line.split("  ")[0]: line for line in proc.stdout.splitlines()}
    assert "config: mlp.widths" in lines and "config: mlp.seeds" not in lines
    assert "[4, 8]" in lines["config: mlp.widths"] and "[4, 8, 16]" in lines["config: mlp.widths"]
    assert "0.7000 (0.0300)" in lines["best MLP: test F1 (sd over seeds)"]
    assert lines["same configuration"].split()[-3:] == ["as", "a:", "identical"]
    assert "synthetic abababababab..." in lines["data, SHA-256"]
    text = page.read_text()
    assert "<td>synthetic " + "ab" * 32 + "</td>" in text and "as a: identical" in text
    numbers = subprocess.run(
        [*TOOL, "--numbers", str(a), str(b)], capture_output=True, text=True, check=True
    )
    assert numbers.stdout.splitlines()[2].split() == ["problem2.mlp.test_f1", "0.8", "0.7", "-0.1"]


def _tree_digest(*paths: Path) -> str:
    """SHA-256 of the names, bytes and modification times of every file under ``paths``."""
    h = hashlib.sha256()
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for p in (f for f in files if f.is_file()):
            h.update(f"{p}|{p.stat().st_mtime_ns}".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``make`` in the repository with this interpreter's environment (VENV=...)."""
    venv = Path(sys.prefix)
    proc = subprocess.run(
        # -o: never rebuild the environment under test
        ["make", "-C", str(REPO), "-o", f"{venv}/.hw6-installed", f"VENV={venv}", "CORES=2", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


@needs_make
@pytest.mark.workflow
@pytest.mark.parametrize(
    ("target", "expect"),
    [("run", "report"), ("problem1", "p1_fit"), ("problem2", "tree_fit"), ("report", "report")],
)
def test_every_make_target_takes_config(tmp_path: Path, target: str, expect: str):
    # a dry run of each target of a named run, in that run's folder
    proc = _make(target, f"CONFIG={SMALL_CONFIG}", f"RUNS={tmp_path}", "SNAKEMAKE_ARGS=-n")
    out = proc.stdout + proc.stderr
    assert f"--directory={tmp_path}/test" in out
    assert expect in out
    if target == "problem1":
        assert "tree_fit" not in out


@needs_make
@pytest.mark.workflow
def test_named_runs_leave_the_default_alone_and_compare(pipeline_run: Path, tmp_path: Path):
    default = [REPO / "results", REPO / "logs", REPO / "reports" / "hw6.html"]
    before = _tree_digest(*default)
    _make("run", f"CONFIG={SMALL_CONFIG}", f"RUNS={tmp_path}")
    _make("run", f"CONFIG={SMALL_CONFIG}", f"RUNS={tmp_path}", "RUN=isa", env=OTHER_ISA)
    assert _tree_digest(*default) == before  # nothing of the default run was written
    small = tmp_path / "test"
    assert (small / "reports" / "hw6.html").is_file()
    # a dry run of a named run speaks of that run: nothing to do
    dry = _make("run", f"CONFIG={SMALL_CONFIG}", f"RUNS={tmp_path}", "SNAKEMAKE_ARGS=-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    # the report says which configuration it is and how it differs from the default
    report = (small / "reports" / "hw6.html").read_text()
    assert 'id="run-banner"' in report and "<code>.test/config.yaml</code>" in report
    assert "<code>mlp.widths</code> ([8, 16, 32] &rarr; [4, 8])" in report
    prov: dict[str, Any] = json.loads((small / "results" / "provenance.json").read_text())
    assert prov["run"]["configfiles"] == [".test/config.yaml"]
    isa = json.loads((tmp_path / "isa" / "results" / "provenance.json").read_text())
    assert isa["cpu"]["environment"]["ATEN_CPU_CAPABILITY"] == "default"

    proc = subprocess.run(
        [*TOOL, "--table", str(pipeline_run), str(small), str(tmp_path / "isa")],
        capture_output=True,
        text=True,
        check=True,
    )
    same = next(line for line in proc.stdout.splitlines() if line.startswith("same config"))
    cells = same.split("  as ")
    assert cells[1].strip() == f"{pipeline_run.name}: identical", same
    assert cells[2].strip() == f"{pipeline_run.name}: within the envelope", same


def test_readme_sample_is_the_tables_output():
    # the sample in README's Experiments section was printed by --table --readme from real runs:
    # its rows are those the tool prints now (run `make compare` and --readme again if not)
    compare = tool("compare_runs")
    text = (REPO / "README.md").read_text(encoding="utf-8")
    sample = compare_block(text, compare)
    lines = sample.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert set(lines[1]) <= {"-", " "}, "the second line rules off the header"
    labels = [line.split("  ")[0] for line in lines[2:]]
    known = {"folder", "same configuration", *compare.LABELS.values()}
    for label in labels:
        assert label in known or label.startswith(("config: ", "P1 ")), label
    assert compare.LABELS["mlp.best"] in labels and "same configuration" in labels
    assert "identical" in lines[-1] and "within the envelope" in lines[-1]


def compare_block(text: str, compare: Any) -> str:
    """The README's sample table block, markers included."""
    return tool("readmeblock").current(text, compare.README_BEGIN, compare.README_END)
