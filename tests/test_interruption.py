"""Interrupted runs lose nothing: a training job killed outright (SIGKILL), and the whole run
stopped with Ctrl-C (SIGINT to its process group) in the middle of the MLP grid; each rerun with
``--rerun-incomplete`` gives results byte-identical to an uninterrupted run, and no result file
ever holds a partial write (every JSON parses whenever it is looked at; no temporary is left)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from conftest import SNAKEMAKE_ENV, _runner, small_config, snakemake_cmd

pytestmark = pytest.mark.workflow

#: Files that legitimately differ between runs: timings and the provenance record.
VOLATILE = ("benchmarks/", "provenance.json")
#: Longest a test waits for one stage of a run (a deadline, not a timing assertion).
DEADLINE = 300.0


def slow_config() -> dict[str, Any]:
    """The small config, with MLP jobs long enough (a few seconds each) to be caught mid-run."""
    cfg = small_config()
    cfg["mlp"] = {**cfg["mlp"], "widths": [4, 8, 16], "batch_sizes": [16]}
    cfg["mlp"].update(epochs=[1, 40], max_epochs=40, device="cpu")
    return cfg


def result_files(wd: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted((wd / "results").rglob("*")):
        rel = p.relative_to(wd / "results").as_posix()
        if p.is_file() and not rel.startswith(VOLATILE):
            out[rel] = p.read_bytes()
    return out


def strip_provenance(html: str) -> str:
    """The report without its provenance section and its timings (the parts that vary)."""
    html = re.sub(r'<section id="provenance">.*?</section>', "", html, flags=re.S)
    html = re.sub(r'<span class="volatile">[^<]*</span>', "", html)
    return re.sub(r"took [0-9.]+ s\b", "took", html)


def assert_no_partial_writes(wd: Path, live: bool = False) -> None:
    """Every JSON result parses, and (once no job runs) no temporary is left beside a result.

    While jobs run, their writers' temporaries (``.<name>.<random>.tmp``) exist by design: a
    result appears under its own name only by an atomic rename of a complete file.
    """
    for top in ("results", "reports"):
        for p in (wd / top).rglob("*"):
            assert live or not p.name.endswith(".tmp"), f"temporary left: {p}"
    for p in (wd / "results").rglob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of :func:`slow_config`."""
    wd = tmp_path_factory.mktemp("uninterrupted")
    _runner(wd)(slow_config())
    return wd


def _start(wd: Path) -> subprocess.Popen[str]:
    cfg = wd / "config.yaml"
    wd.mkdir(parents=True, exist_ok=True)
    cfg.write_text(yaml.safe_dump(slow_config()))
    cmd = snakemake_cmd(wd, cfg)
    env = SNAKEMAKE_ENV
    # its own session and process group, as a terminal gives a command (Ctrl-C reaches all)
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def _training_processes(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """The Python processes of running ``mlp_train`` jobs (Snakemake's script runner)."""
    found = []
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for child in children:
        try:
            cmdline = child.cmdline()
            if child.name().startswith("python") and any(
                a.endswith("mlp_train.py") for a in cmdline
            ):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _training_cells(wd: Path) -> list[str]:
    """Cells whose training has begun (an epoch logged) but whose result is not yet written."""
    out = []
    for log in (wd / "logs" / "mlp").glob("train_*.log"):
        cell = log.stem.removeprefix("train_")
        done = (wd / "results" / "mlp" / "cells" / f"{cell}.json").exists()
        if not done and "epoch 1:" in log.read_text(encoding="utf-8", errors="replace"):
            out.append(cell)
    return out


def _wait_for(
    proc: subprocess.Popen[str], wd: Path, ready: Callable[[], bool]
) -> list[psutil.Process]:
    """Poll until ``ready()`` holds while training jobs run; check results on every poll."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        assert proc.poll() is None, f"snakemake ended early:\n{proc.communicate()[0][-3000:]}"
        assert_no_partial_writes(wd, live=True)
        jobs = _training_processes(proc)
        if jobs and _training_cells(wd) and ready():
            return jobs
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("no training job was caught mid-run")


def _finish(proc: subprocess.Popen[str]) -> str:
    try:
        out, _ = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return out


def _rerun_and_compare(wd: Path, reference: Path) -> None:
    assert_no_partial_writes(wd)
    _runner(wd)(slow_config(), "--rerun-incomplete")
    assert_no_partial_writes(wd)
    got, want = result_files(wd), result_files(reference)
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
    html = (wd / "reports" / "hw6.html").read_text()
    assert strip_provenance(html) == strip_provenance(
        (reference / "reports" / "hw6.html").read_text()
    )


def test_training_job_killed(reference: Path, tmp_path: Path) -> None:
    proc = _start(tmp_path)
    jobs = _wait_for(proc, tmp_path, lambda: True)
    cells = _training_cells(tmp_path)
    for job in jobs:
        job.send_signal(signal.SIGKILL)
    out = _finish(proc)
    assert proc.returncode != 0
    assert "Error in rule mlp_train" in out, out[-3000:]
    for cell in cells:  # the killed job's result does not exist, not even in part
        assert not (tmp_path / "results" / "mlp" / "cells" / f"{cell}.json").exists()
    _rerun_and_compare(tmp_path, reference)


def test_whole_run_interrupted_mid_grid(reference: Path, tmp_path: Path) -> None:
    cells = tmp_path / "results" / "mlp" / "cells"
    proc = _start(tmp_path)
    # mid-grid: at least one cell written, another one training
    _wait_for(proc, tmp_path, lambda: any(cells.glob("*.json")))
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
    out = _finish(proc)
    assert proc.returncode != 0, out[-3000:]
    assert len(list(cells.glob("*.json"))) < len(slow_config()["mlp"]["widths"])
    assert not (tmp_path / "reports" / "hw6.html").exists()
    _rerun_and_compare(tmp_path, reference)
