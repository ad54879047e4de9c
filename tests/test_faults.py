"""Faults a user meets on a shared machine: a full disk while a job writes, and a damaged result
file (truncated by a crash of the machine, edited by hand) that a later job reads.

Each fault ends the job with one line naming the file and the cause (and, for a damaged file,
the fix), never a traceback; no half-written result remains and other results are untouched.
The unit tests stand in for the fault (an ``OSError(ENOSPC)`` from the writer, bytes cut off a
file); the workflow tests meet the real thing: ``results/`` on a small tmpfs (where the test may
mount one: as root) and a damaged intermediate read by the real jobs.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import snakemake_runner

from hw6lib.errors import InputError, OutputError
from hw6lib.pipeline import resultfiles
from hw6lib.pipeline.resultfiles import load_array, read_json, save_array, write_json
from hw6lib.pipeline.runlog import INTERRUPTED, NEVER_LOGGED, complete_failed_logs, job_logging

# ----------------------------------------------------------------------------------------------
# A full disk (a stand-in: the operating system's ENOSPC raised inside the atomic writer)
# ----------------------------------------------------------------------------------------------


def _no_space(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every file the writer syncs fails as on a full disk (where delayed allocation reports it)."""
    monkeypatch.setattr(resultfiles.os, "fsync", _no_space)
    return monkeypatch


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_json(p, {"new": 1}),
        lambda p: save_array(p, np.arange(10.0)),
    ],
    ids=["json", "npy"],
)
def test_full_disk_names_the_file_and_leaves_the_old_one(full_disk, tmp_path, write) -> None:
    path = tmp_path / "res" / "r.out"
    path.parent.mkdir()
    path.write_bytes(b"earlier result")
    with pytest.raises(OutputError) as info:
        write(path)
    msg = str(info.value)
    assert msg.startswith(f"cannot write {path}: No space left on device;"), msg
    assert "\n" not in msg and "rerun" in msg
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"earlier result"
    assert _leftovers(path.parent) == []


def test_full_disk_when_the_file_cannot_even_be_created(monkeypatch, tmp_path) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(resultfiles.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"^cannot write .*r\.json: No space left on device;"):
        write_json(tmp_path / "r.json", {})


def test_job_on_a_full_disk_fails_in_one_line_and_a_rerun_completes(
    monkeypatch, tmp_path, capsys
) -> None:
    """The job's wrapper turns the writer's error into one line and status 1; once there is
    space again the same job writes its result."""
    earlier = tmp_path / "results" / "earlier.json"
    write_json(earlier, {"kept": True})  # before the disk filled
    monkeypatch.setattr(resultfiles.os, "fsync", _no_space)
    out = tmp_path / "results" / "cell.json"
    log = tmp_path / "logs" / "cell.log"
    with pytest.raises(SystemExit) as info, job_logging(log, name="hw6-full-disk-test"):
        write_json(out, {"x": 1})
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"cannot write {out}: No space left on device" in err[0]
    assert "Traceback" not in log.read_text()
    assert not out.exists() and _leftovers(out.parent) == []
    assert read_json(earlier) == {"kept": True}

    monkeypatch.undo()  # space freed
    with job_logging(log, name="hw6-full-disk-test"):
        write_json(out, {"x": 1})
    assert read_json(out) == {"x": 1}


class _FullStream:
    """A log file's stream on a full disk."""

    def write(self, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        return


def test_job_whose_log_cannot_be_written_still_says_one_line(monkeypatch, tmp_path, capsys):
    """On a full disk the log file cannot take the line either: it still reaches stderr, once,
    without logging's own report of the failed write (a traceback per record)."""
    monkeypatch.setattr(resultfiles.os, "fsync", _no_space)
    out = tmp_path / "results" / "cell.json"
    name = "hw6-full-log-test"
    with pytest.raises(SystemExit), job_logging(tmp_path / "cell.log", name=name):
        handler = logging.getLogger(name).handlers[0]
        handler.stream.close()
        handler.stream = _FullStream()
        write_json(out, {"x": 1})
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write" in err[0], err


# ----------------------------------------------------------------------------------------------
# A damaged intermediate
# ----------------------------------------------------------------------------------------------


def _damage_json(path: Path, how: str) -> None:
    text = path.read_bytes()
    damaged = {
        "truncated": text[: len(text) // 2],
        "empty": b"",
        "zero-filled": b"\0" * len(text),  # what a crash can leave on some file systems
        "hand-edited": text.replace(b"}", b",}", 1),
        "not UTF-8": b'{"a": "\xff"}',
    }[how]
    path.write_bytes(damaged)


@pytest.mark.parametrize("how", ["truncated", "empty", "zero-filled", "hand-edited", "not UTF-8"])
def test_damaged_json_names_the_file_and_the_fix(tmp_path, how) -> None:
    path = tmp_path / "results" / "fit.json"
    write_json(path, {"a": [1.5, 2.5], "b": {"c": "d"}})
    _damage_json(path, how)
    with pytest.raises(InputError) as info:
        read_json(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: damaged result file ("), msg
    assert msg.endswith("delete it and rerun, and the job that makes it writes it again"), msg
    assert "\n" not in msg


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, -1])
@pytest.mark.parametrize("mmap", [False, True])
def test_damaged_npy_names_the_file_and_the_fix(tmp_path, keep, mmap) -> None:
    path = tmp_path / "results" / "X.npy"
    save_array(path, np.arange(1000.0).reshape(100, 10))
    whole = path.read_bytes()
    if keep == -1:  # the header edited by hand: an object array (never unpickled)
        damaged = whole.replace(b"'<f8'", b"'|O' ", 1)
    else:
        damaged = whole[: int(keep * len(whole)) if isinstance(keep, float) else keep]
    path.write_bytes(damaged)
    with pytest.raises(InputError) as info:
        load_array(path, mmap=mmap)
    msg = str(info.value)
    assert msg.startswith(f"{path}: damaged result file (not a complete .npy array, "), msg
    assert msg.endswith("delete it and rerun, and the job that makes it writes it again")
    assert "\n" not in msg


def test_intact_files_still_read(tmp_path) -> None:
    """The checks above cannot pass by refusing everything."""
    write_json(tmp_path / "a.json", {"a": 1})
    save_array(tmp_path / "a.npy", np.arange(3.0))
    assert read_json(tmp_path / "a.json") == {"a": 1}
    assert load_array(tmp_path / "a.npy", mmap=True).tolist() == [0.0, 1.0, 2.0]


def test_job_reading_a_damaged_file_fails_in_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "results" / "X.npy"
    save_array(path, np.arange(1000.0))
    path.write_bytes(path.read_bytes()[:300])
    log = tmp_path / "logs" / "fit.log"
    with pytest.raises(SystemExit) as info, job_logging(log, name="hw6-damaged-test"):
        load_array(path)
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}: damaged result file" in err[0], err
    assert "Traceback" not in log.read_text()


# ----------------------------------------------------------------------------------------------
# Ctrl-C while a job starts (the workflow test is in test_interruption.py)
# ----------------------------------------------------------------------------------------------

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.py")), ids=lambda p: p.name)
def test_scripts_open_their_log_before_importing_the_science(script: Path) -> None:
    """A job's first act is :func:`job_logging`: an interrupt (or a broken install) while it
    imports torch or scikit-learn (seconds) lands in it, one line in the log, no traceback."""
    import ast

    body = ast.parse(script.read_text(encoding="utf-8")).body
    first = next(i for i, node in enumerate(body) if isinstance(node, ast.With))
    before = [ast.unparse(node) for node in body[:first] if not isinstance(node, ast.Expr)]
    assert before == [
        "from typing import TYPE_CHECKING",
        "from hw6lib.pipeline.runlog import job_logging",
        "if TYPE_CHECKING:\n    from snakemake.script import snakemake",
    ]
    assert ast.unparse(body[first].items[0].context_expr).startswith("job_logging(")


def test_a_job_interrupted_in_its_block_says_so_in_one_line(tmp_path, capsys) -> None:
    log = tmp_path / "logs" / "job.log"
    with pytest.raises(SystemExit) as info, job_logging(log, name="hw6-interrupt-test"):
        raise KeyboardInterrupt
    assert info.value.code == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(INTERRUPTED), err
    assert log.read_text().strip().endswith(INTERRUPTED)


def test_logs_named_by_a_failed_run_exist_afterwards(tmp_path, monkeypatch) -> None:
    """Snakemake names the log of every failed job; one that never opened it gets a line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "written.log").write_text("the job's own log\n")
    report = tmp_path / "snakemake.log"
    report.write_text(
        "Terminating processes on user request, this might take some time.\n"
        "Error in rule mlp_train:\n    message: None\n    jobid: 15\n"
        "    output: results/mlp/cells/w8_b256.json\n"
        "    log: logs/mlp/train_w8_b256.log (check log file(s) for error details)\n"
        "Error in rule tree_fit:\n    jobid: 3\n"
        "    log: logs/written.log, logs/two/second.log (check log file(s) for error details)\n"
        "Error in rule no_log:\n    jobid: 4\n    output: x\n"
        "Complete log(s): /x/.snakemake/log/a.snakemake.log\n"
    )
    created = complete_failed_logs([str(report)])  # as Snakemake 9's onerror gives it
    assert created == ["logs/mlp/train_w8_b256.log", "logs/two/second.log"]
    assert (tmp_path / "logs" / "mlp" / "train_w8_b256.log").read_text() == NEVER_LOGGED + "\n"
    assert (tmp_path / "logs" / "written.log").read_text() == "the job's own log\n"
    assert complete_failed_logs(report) == []  # nothing left to create
    assert complete_failed_logs(None) == [] and complete_failed_logs(tmp_path / "no") == []
    assert complete_failed_logs([]) == []


# ----------------------------------------------------------------------------------------------
# The same faults met by the real workflow
# ----------------------------------------------------------------------------------------------

DATA = "results/problem1/data.npy"
FIT = "results/problem1/fit_depth1.json"
CSV = "results/card/synthetic/card_transdata.csv"


def _one_line_failure(proc: subprocess.CompletedProcess[str], line: str) -> None:
    """The run failed, said ``line`` (the job's one line, on stderr and in its log) and printed
    no traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Traceback" not in out, out[-4000:]
    assert not re.search(r"^\w+Error in file .*Snakefile", out, re.M), out[-4000:]  # onerror
    said = [x for x in out.splitlines() if line in x]
    assert len(said) == 1, out[-4000:]


@pytest.mark.workflow
def test_damaged_intermediate_in_a_real_run(tmp_path: Path) -> None:
    """A truncated ``.npy`` under results/ stops the job that reads it with one line naming the
    file and the fix; following the fix (delete it, rerun) completes the run."""
    run = snakemake_runner(tmp_path)
    run(None, DATA)
    data = tmp_path / DATA
    data.write_bytes(data.read_bytes()[:1000])  # a crash of the machine mid-copy, say
    failed = run(None, FIT, check=False)
    _one_line_failure(failed, f"{DATA}: damaged result file (not a complete .npy array")
    assert "delete it and rerun" in failed.stderr
    assert not (tmp_path / FIT).exists()
    data.unlink()
    run(None, FIT)
    assert read_json(tmp_path / FIT)


@pytest.mark.workflow
def test_full_disk_in_a_real_run(tmp_path: Path) -> None:
    """results/ on a small tmpfs, filled up: the job that writes fails in one line naming the
    file and the cause, leaves no part of it, and every earlier result is intact; once space is
    freed the same command completes."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (the stand-in tests above run anywhere)")
    wd = tmp_path / "run"
    results = wd / "results"
    results.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(results)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        run = snakemake_runner(wd)
        run(None, DATA)
        earlier = {p: p.read_bytes() for p in results.rglob("*") if p.is_file()}
        assert wd / DATA in earlier
        # fill the disk, leaving less than the stand-in's CSV (about 1.5 MB) needs
        ballast = results / "ballast"
        free = shutil.disk_usage(results).free
        ballast.write_bytes(b"\0" * (free - 64 * 1024))
        failed = run(None, CSV, check=False)
        _one_line_failure(failed, f"cannot write {CSV}: No space left on device;")
        assert not (wd / CSV).exists()
        assert [p for p in results.rglob("*.tmp")] == []
        for path, content in earlier.items():
            assert path.read_bytes() == content, path
        ballast.unlink()  # space freed
        run(None, CSV)
        assert (wd / CSV).stat().st_size > 1_000_000
    finally:
        subprocess.run(["umount", "-l", str(results)], check=False)


def test_no_fixed_temporary_names() -> None:
    """Runs in two directories at once cannot collide on a temporary file: the workflow and the
    library name none in a shared folder (``/tmp``, the system's temporary folder); every
    temporary is made by ``tempfile`` beside its result
    (:func:`hw6lib.pipeline.resultfiles.atomic_open`) or carries the process id (the preflight
    cache, under the run's own ``.snakemake/``)."""
    root = Path(__file__).resolve().parents[1]
    sources = [*(root / "src" / "hw6lib").rglob("*.py"), *(root / "workflow").rglob("*.py")]
    sources += [*(root / "workflow").rglob("*.smk"), root / "Snakefile"]
    assert len(sources) > 40
    shared = re.compile(r"""["']/(?:var/)?tmp\b|gettempdir\(|TMPDIR""")
    found = [
        f"{p.relative_to(root)}:{n}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if shared.search(line)
    ]
    assert found == []
