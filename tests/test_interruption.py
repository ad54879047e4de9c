"""Interrupted runs lose nothing: a training job killed outright (SIGKILL), and the whole run
stopped with Ctrl-C (SIGINT to its process group) in the middle of the MLP grid; each rerun with
``--rerun-incomplete`` gives results byte-identical to an uninterrupted run, and no result file
ever holds a partial write (every JSON parses whenever it is looked at; no temporary is left).
Ctrl-C says so in one line per interrupted job (no traceback), and every log file that
Snakemake's error report names exists. A second run started in the same working directory
while the first runs is refused by Snakemake's lock and changes nothing.

The signal is sent on an event the run itself signals, never after a guess at how long a job
takes: one training cell is held at its start by the test-only hook of
:func:`hw6lib.pipeline.runlog.hold_for_tests` (it writes a marker and waits), so that when the
signal arrives that job is certainly running and its result certainly unwritten, on any machine.
"""

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
from helpers import SNAKEMAKE_ENV, small_config, snakemake_cmd, snakemake_runner

from hw6lib.pipeline.runlog import HOLD_DIR_ENV, HOLD_MATCH_ENV, INTERRUPTED, NEVER_LOGGED

pytestmark = pytest.mark.workflow

#: Files that legitimately differ between runs: timings and the provenance record.
VOLATILE = ("benchmarks/", "provenance.json")
#: Longest a test waits for one stage of a run (a deadline, not a timing assertion).
DEADLINE = 300.0


#: The training cell held at its start (its log file name contains this).
HELD = "train_w16_"


def slow_config() -> dict[str, Any]:
    """The small config with three training cells, one of which the tests hold."""
    cfg = small_config()
    cfg["mlp"] = {**cfg["mlp"], "widths": [4, 8, 16], "device": "cpu"}
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
    snakemake_runner(wd)(slow_config())
    return wd


@pytest.fixture(scope="module")
def independent_jobs(reference: Path) -> int:
    """How many jobs need nothing from the held cell (from the reference run's
    ``--detailed-summary``: its outputs, their inputs, and each job's log file)."""
    summary = subprocess.run(
        snakemake_cmd(reference, reference / "config.yaml", "--detailed-summary"),
        capture_output=True,
        text=True,
        env=SNAKEMAKE_ENV,
        timeout=DEADLINE,
        check=True,
    ).stdout
    inputs: dict[str, set[str]] = {}
    job_log: dict[str, str] = {}
    for row in summary.splitlines()[1:]:
        fields = row.split("\t")
        inputs[fields[0]] = {f for f in fields[4].split(",") if f}
        job_log[fields[0]] = fields[3]  # one log file per job names the job
    cell = re.compile(rf"results/mlp/cells/{HELD.removeprefix('train_')}.*\.json")
    blocked = {f for f in inputs if cell.fullmatch(f)}
    assert len(blocked) == 1, sorted(inputs)
    grew = True
    while grew:  # everything downstream of the held cell
        more = {f for f, needs in inputs.items() if needs & blocked} - blocked
        blocked |= more
        grew = bool(more)
    return len({job_log[f] for f in inputs.keys() - blocked})


def _finished_jobs(wd: Path) -> int:
    """Jobs the run in ``wd`` has finished, by its own log: Snakemake writes "Finished jobid"
    once a job's outputs, log and benchmark file are all written."""
    logs = sorted((wd / ".snakemake" / "log").glob("*.snakemake.log"))
    if not logs:
        return 0
    return logs[-1].read_text().count("\nFinished jobid")


def _settled(proc: subprocess.Popen[str], wd: Path, hold: Path, independent_jobs: int) -> bool:
    """Whether every job independent of the held cell is finished and only the held job runs:
    Snakemake then has nothing left to start or to write, and waits on the held job alone."""
    return _finished_jobs(wd) == independent_jobs and _only_held_running(proc, hold)


def _start(wd: Path, hold: Path) -> subprocess.Popen[str]:
    """Start the run in ``wd``, the cell :data:`HELD` held with markers in ``hold``."""
    cfg = wd / "config.yaml"
    wd.mkdir(parents=True, exist_ok=True)
    hold.mkdir(parents=True, exist_ok=True)
    cfg.write_text(yaml.safe_dump(slow_config()))
    cmd = snakemake_cmd(wd, cfg)
    env = {**SNAKEMAKE_ENV, HOLD_DIR_ENV: str(hold), HOLD_MATCH_ENV: HELD}
    # its own session and process group, as a terminal gives a command (Ctrl-C reaches all), and
    # SIGINT's default action restored: a test run started in the background of a
    # non-interactive shell (as CI scripts may be) inherits SIGINT ignored, and so would
    # Snakemake and its jobs
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _held(hold: Path) -> dict[str, psutil.Process]:
    """Cells that the hook holds now, with the process of each (its id is in the marker)."""
    out = {}
    for marker in hold.glob("*.held"):
        try:
            out[marker.stem.removeprefix("train_")] = psutil.Process(int(marker.read_text()))
        except (OSError, ValueError, psutil.NoSuchProcess):
            continue
    return out


def _only_held_running(proc: subprocess.Popen[str], hold: Path) -> bool:
    """Whether the held jobs (and the shells that started them) are all that ``proc`` runs."""
    held = _held(hold)
    keep = set()
    for job in held.values():
        try:
            keep.add(job.pid)
            keep.update(p.pid for p in job.parents())
        except psutil.NoSuchProcess:
            return False
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    return bool(held) and all(c.pid in keep for c in children)


def _wait_for(
    proc: subprocess.Popen[str], wd: Path, hold: Path, ready: Callable[[], bool]
) -> dict[str, psutil.Process]:
    """Poll until the held cell's job waits at its start and ``ready()`` holds; check the
    results on every poll. Returns the held jobs' processes by cell."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        assert proc.poll() is None, f"snakemake ended early:\n{proc.communicate()[0][-3000:]}"
        assert_no_partial_writes(wd, live=True)
        held = _held(hold)
        if held and ready():
            return held
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the held training job never started")


def _finish(proc: subprocess.Popen[str]) -> str:
    try:
        out, _ = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        left = _process_tree(proc)
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(
            f"snakemake did not end within {DEADLINE:.0f} s; processes left: {left}\n{out[-4000:]}"
        ) from None
    return out


def _process_tree(proc: subprocess.Popen[str]) -> list[str]:
    """Command lines of ``proc``'s descendants (for the message of a run that does not end)."""
    out = []
    try:
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                out.append(f"{child.pid} {child.status()} {' '.join(child.cmdline())[-150:]}")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    except psutil.NoSuchProcess:
        pass
    return out


def _rerun_and_compare(wd: Path, reference: Path) -> None:
    assert_no_partial_writes(wd)
    snakemake_runner(wd)(slow_config(), "--rerun-incomplete")
    assert_no_partial_writes(wd)
    got, want = result_files(wd), result_files(reference)
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
    html = (wd / "reports" / "hw6.html").read_text()
    assert strip_provenance(html) == strip_provenance(
        (reference / "reports" / "hw6.html").read_text()
    )


def test_training_job_killed(reference: Path, tmp_path: Path) -> None:
    proc = _start(tmp_path / "run", tmp_path / "hold")
    held = _wait_for(proc, tmp_path / "run", tmp_path / "hold", lambda: True)
    for job in held.values():
        job.send_signal(signal.SIGKILL)
    out = _finish(proc)
    assert proc.returncode != 0
    assert "Error in rule mlp_train" in out, out[-3000:]
    for cell in held:  # the killed job's result does not exist, not even in part
        assert not (tmp_path / "run" / "results" / "mlp" / "cells" / f"{cell}.json").exists()
    _rerun_and_compare(tmp_path / "run", reference)


def test_whole_run_interrupted_mid_grid(
    reference: Path, independent_jobs: int, tmp_path: Path
) -> None:
    wd = tmp_path / "run"
    cells = wd / "results" / "mlp" / "cells"
    proc = _start(wd, tmp_path / "hold")
    # mid-grid: the other cells and every job that does not need the held one done, the held one
    # certainly not; and nothing but the held job running, so that the signal meets Snakemake
    # waiting, not starting or finishing a job
    held = _wait_for(
        proc,
        wd,
        tmp_path / "hold",
        lambda: _settled(proc, wd, tmp_path / "hold", independent_jobs),
    )
    # as if the held job had been stopped before it opened its log (Ctrl-C during its imports):
    # the file is gone, though Snakemake's error report will name it
    unopened = wd / "logs" / "mlp" / f"train_{next(iter(held))}.log"
    unopened.unlink()
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
    out = _finish(proc)
    assert proc.returncode != 0, out[-3000:]
    assert unopened.read_text() == NEVER_LOGGED + "\n"  # the Snakefile's onerror made it
    # one line per interrupted job, no traceback; every log file the error report names exists
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out[-4000:]
    assert not re.search(r"^\w+Error in file .*Snakefile", out, re.M), out[-4000:]  # onerror
    failed = re.findall(r"^Error in rule (\w+):$", out, flags=re.M)
    said = [line for line in out.splitlines() if line.endswith(INTERRUPTED)]
    assert failed == ["mlp_train"] * len(held) and len(said) == len(held), out[-4000:]
    named = re.findall(r"^\s+log: (.*) \(check log file\(s\) for error details\)$", out, re.M)
    assert len(named) == len(failed), out[-4000:]
    for log in ", ".join(named).split(", "):
        assert (wd / log).is_file(), log
    written = {p.stem for p in cells.glob("*.json")}
    assert written and not written & held.keys()
    assert not (wd / "reports" / "hw6.html").exists()
    _rerun_and_compare(wd, reference)


def _snapshot(wd: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the run's results, logs and report, with its modification time."""
    out = {}
    for top in ("results", "logs", "reports"):
        for p in sorted((wd / top).rglob("*")):
            if p.is_file():
                out[p.relative_to(wd).as_posix()] = (p.stat().st_mtime_ns, p.read_bytes())
    return out


def test_second_run_in_the_same_directory_changes_nothing(
    reference: Path, independent_jobs: int, tmp_path: Path
) -> None:
    """Snakemake's lock refuses a second run while the first holds the directory; the second
    says so and touches no file; the first then finishes as if alone."""
    wd, hold = tmp_path / "run", tmp_path / "hold"
    proc = _start(wd, hold)
    try:
        _wait_for(
            proc,
            wd,
            hold,
            lambda: _settled(proc, wd, hold, independent_jobs),
        )
        before = _snapshot(wd)
        config = wd / "config.yaml"
        second = subprocess.run(
            snakemake_cmd(wd, config),
            capture_output=True,
            text=True,
            env=SNAKEMAKE_ENV,
            timeout=DEADLINE,
        )
        said = second.stdout + second.stderr
        assert second.returncode != 0, said[-3000:]
        assert "Directory cannot be locked" in said, said[-3000:]
        assert _snapshot(wd) == before
        for marker in hold.glob("*.held"):  # let the first run's held job go on
            marker.unlink()
        out = _finish(proc)
        assert proc.returncode == 0, out[-4000:]
        assert_no_partial_writes(wd)
        got, want = result_files(wd), result_files(reference)
        assert got.keys() == want.keys()
        assert [k for k in want if got[k] != want[k]] == []
    finally:  # a failed check leaves no run behind (its held job would wait for ever)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
