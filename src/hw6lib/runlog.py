"""Logging for the workflow scripts: one log file per job, one-line errors for bad input."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path


class InputError(ValueError):
    """Bad input (data file or configuration); the message says what and where in one line."""


@contextlib.contextmanager
def job_logging(path: str | os.PathLike[str], name: str = "hw6") -> Iterator[logging.Logger]:
    """Log to ``path`` (and stderr) for the duration of a job.

    An :class:`InputError` raised inside the block is written as one line to the log and to
    stderr, and the process exits with status 1 (no traceback: the message is the diagnosis).
    Any other exception is logged with its traceback and re-raised.

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
    handlers: list[logging.Handler] = [logging.FileHandler(path, mode="w", encoding="utf-8")]
    handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(fmt)
        logger.addHandler(h)
    try:
        yield logger
    except InputError as err:
        logger.error("%s", err)
        raise SystemExit(1) from None
    except Exception:
        logger.exception("job failed")
        raise
    finally:
        for h in handlers:
            logger.removeHandler(h)
            h.close()
