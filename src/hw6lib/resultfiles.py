"""Reading and writing result files: atomically, deterministically (JSON and ``.npy``).

Every writer goes to a temporary file in the destination folder and renames it into place, so a
killed job never leaves a half-written result and an earlier good file stays intact until the
new one is complete.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    r"""Open a temporary sibling of ``path`` for writing; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final destination; its folder is created if needed.
    mode : {"w", "wb"}
        Text (UTF-8, ``\n`` line ends) or binary.

    Yields
    ------
    file object
        Write to it; on an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if "b" in mode:
            f = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding="utf-8", newline="\n")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove temporaries of ``path`` left by a writer that was killed (SIGKILL, power loss).

    :func:`atomic_open` removes its temporary on any exception, but a process killed outright
    cannot; the next writer of the same file (the job's rerun: Snakemake lets one job at a time
    write an output) removes them, so that a rerun leaves no debris.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    removed = []
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed.append(stale)
    return removed


def _clean(obj: Any) -> Any:
    """Turn non-finite floats into ``None`` so that the output is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as strict, sorted, indented JSON, atomically.

    Non-finite floats become ``null``; keys are sorted so that equal results give equal bytes.
    """
    text = json.dumps(_clean(obj), indent=2, sort_keys=True, allow_nan=False)
    with atomic_open(path, "w") as f:
        f.write(text + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_array(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save one array as ``.npy`` atomically (``.npy`` has no timestamps, unlike ``.npz``)."""
    with atomic_open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: str | os.PathLike[str], mmap: bool = False) -> np.ndarray:
    """Load an array saved by :func:`save_array` (never unpickles)."""
    return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
