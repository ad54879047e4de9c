"""Logging for the workflow scripts: one log file per job, one-line errors for bad input."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from hw6lib.errors import InputError, OutputError


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its waited-for children, in MB (10**6 bytes).

    The kernel's high-water mark (``getrusage``), exact where Snakemake's benchmark files sample
    memory every half second at first and every 30 s after 15 s, and so can miss a short peak.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # kilobytes (KiB) on Linux, bytes on macOS
    unit = 1 if sys.platform == "darwin" else 1024
    return max(own, children) * unit / 1e6


#: Said in a training job's log when the scheduler gave it a GPU but it trains on the CPU.
GPU_FALLBACK = "GPU(s) but training runs on the CPU"


#: Said in a training job's log when a fast engine failed its self-check and the job fell back
#: (:func:`hw6lib.mlp.selfcheck.choose_engine`).
ENGINE_FALLBACK = "engine self-check failed"


def gpu_fallbacks(logs: Iterable[str | os.PathLike[str]], marker: str = GPU_FALLBACK) -> list[str]:
    """List the job logs (of those that exist) that say a GPU job trained on the CPU.

    Used at the end of a run (the Snakefile's ``onsuccess``/``onerror``) so that Snakemake's own
    output says so: under a cluster executor a job's stderr goes only to its SLURM log.

    Parameters
    ----------
    logs : iterable of path-like
        Log files of the training jobs.
    marker : str
        What the log says: :data:`GPU_FALLBACK`, or :data:`ENGINE_FALLBACK` (a fast engine
        failed its self-check and a slower one trained).

    Returns
    -------
    list of str
        The paths, as given, in order.
    """
    out = []
    for path in logs:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if marker in text:
            out.append(os.fspath(path))
    return out


#: Environment variables of the test-only hold (see :func:`hold_for_tests`).
HOLD_DIR_ENV, HOLD_MATCH_ENV = "HW6_TEST_HOLD_DIR", "HW6_TEST_HOLD_MATCH"


def hold_for_tests(log_path: str | os.PathLike[str], logger: logging.Logger) -> None:
    """Test hook: hold a job at its start until the test releases or interrupts it.

    Inactive unless both ``HW6_TEST_HOLD_DIR`` and ``HW6_TEST_HOLD_MATCH`` are set and the job's
    log file name contains the latter. Then the job writes its process id to
    ``<dir>/<log stem>.held`` and waits while that file exists. The interruption tests use it
    to stop a run while a job is certainly running (an event the run signals, not a race with
    the clock); no run sets these variables.
    """
    folder, match = os.environ.get(HOLD_DIR_ENV), os.environ.get(HOLD_MATCH_ENV)
    if not folder or not match or match not in Path(log_path).name:
        return
    marker = Path(folder) / f"{Path(log_path).stem}.held"
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(str(os.getpid()), encoding="utf-8")
    tmp.replace(marker)  # the marker appears with its content
    logger.info("held by the test hook %s until %s is removed", HOLD_DIR_ENV, marker)
    while marker.exists():
        time.sleep(0.05)


class _LogFileHandler(logging.FileHandler):
    """A job's log file that drops what it cannot write (the disk is full) quietly.

    The same records go to stderr; logging's own report would be a traceback per record, and
    closing the file would raise the write's error again.
    """

    def handleError(self, record: logging.LogRecord) -> None:
        return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            super().close()


#: Said (one line, in the job's log and on stderr) by a job stopped by Ctrl-C.
INTERRUPTED = (
    "interrupted (SIGINT, e.g. Ctrl-C): this job wrote none of its outputs; rerun to make them"
)


#: Written into a log file that Snakemake names for a failed job that never opened it.
NEVER_LOGGED = (
    "hw6: this job stopped before it opened its log (interrupted or killed while starting); "
    "it wrote none of its outputs; rerun to make them"
)


def complete_failed_logs(
    snakemake_log: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
) -> list[str]:
    """Create the log files that a run's error reports name but their jobs never wrote.

    A job stopped while starting (Ctrl-C during its imports, a kill) has not opened its log
    yet, while Snakemake's ``Error in rule ...`` report still names it. Called at the end of a
    failed run (the Snakefile's ``onerror``), in the working directory, so that every log file
    named exists and says what happened (:data:`NEVER_LOGGED`).

    Parameters
    ----------
    snakemake_log : path-like, iterable of path-like, or None
        Snakemake's log of the run (``onerror``'s ``log``: a list of files in Snakemake 9);
        ``None`` or a missing file: nothing.

    Returns
    -------
    list of str
        The log files created, as named in the report.
    """
    if snakemake_log is None:
        files = []
    elif isinstance(snakemake_log, str | os.PathLike):
        files = [snakemake_log]
    else:
        files = list(snakemake_log)
    text = ""
    for file in files:
        with contextlib.suppress(OSError):
            text += Path(file).read_text(encoding="utf-8", errors="replace")
    created = []
    for block in re.findall(r"^Error in rule \w+:\n((?:[ \t]+.*\n?)*)", text, flags=re.M):
        named = re.search(
            r"^\s+log: (.*?)(?: \(check log file\(s\) for error details\))?$", block, re.M
        )
        for name in named.group(1).split(", ") if named else []:
            path = Path(name.strip())
            if name.strip() and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(NEVER_LOGGED + "\n", encoding="utf-8")
                created.append(name.strip())
    return created


@contextlib.contextmanager
def job_logging(path: str | os.PathLike[str], name: str = "hw6") -> Iterator[logging.Logger]:
    """Log to ``path`` (and stderr) for the duration of a job.

    An :class:`InputError` (bad input, a damaged result file) or :class:`OutputError` (a result
    that cannot be written, e.g. on a full disk) raised inside the block is written as one line
    to the log and to stderr, and the process exits with status 1 (no traceback: the message is
    the diagnosis). A ``KeyboardInterrupt`` (Ctrl-C in the terminal sends SIGINT to every job) is
    the one line :data:`INTERRUPTED`, and the process exits with status 130 (128 + SIGINT).
    Any other exception is logged with its traceback and re-raised. The workflow's scripts enter
    this block before they import anything heavy (torch, scikit-learn, matplotlib: seconds), so
    that a Ctrl-C while a job starts is reported in the same one line.

    Parameters
    ----------
    path : path-like
        Log file (Snakemake's ``log[0]``); its folder is created.
    name : str
        Logger name.

    Yields
    ------
    logging.Logger
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [_LogFileHandler(path, mode="w", encoding="utf-8")]
    handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(fmt)
        logger.addHandler(h)
    try:
        hold_for_tests(path, logger)
        yield logger
        logger.info("peak memory: %.1f MB (maximum resident set size)", peak_rss_mb())
    except (InputError, OutputError) as err:
        logger.error("%s", err)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        logger.error("%s", INTERRUPTED)
        raise SystemExit(130) from None
    except Exception:
        logger.exception("job failed")
        raise
    finally:
        for h in handlers:
            logger.removeHandler(h)
            h.close()
