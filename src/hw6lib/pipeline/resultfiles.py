"""Reading and writing result files: atomically, deterministically (JSON and ``.npy``).

Every writer goes to a temporary file in the destination folder and renames it into place, so a
killed job never leaves a half-written result and an earlier good file stays intact until the
new one is complete. A write that fails (a full disk, a quota) raises :class:`OutputError`, one
line naming the file and the cause, and leaves no temporary behind. A result that cannot be read
back (truncated by a crash of the machine, edited by hand) raises :class:`InputError`, one line
naming the file and the fix, instead of a traceback from ``json`` or numpy.

The library's results are records: frozen dataclasses derived from :class:`Record`, each next
to the function that makes it, with named, typed fields. They become JSON here, at the file
boundary, and nowhere else: :func:`write_json` writes ``record.to_json()`` (the fields in their
declared order, nested records converted in turn), and a reader turns a file back into a record
once with ``Record.from_json(read_json(path))``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import math
import os
import tempfile
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Self, TypeAlias

import numpy as np

from hw6lib.errors import InputError, OutputError

#: A parsed JSON value (what :func:`read_json` returns for a file that is not read as a record).
JsonValue: TypeAlias = "dict[str, JsonValue] | list[JsonValue] | str | int | float | bool | None"


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

    Raises
    ------
    OutputError
        When writing fails in the operating system (``OSError``: no space left on the device,
        a disk quota, an I/O error), in one line naming ``path`` and the cause.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _cannot_write(path, err) from err
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
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise _cannot_write(path, err) from err
        raise


def _cannot_write(path: Path, err: OSError) -> OutputError:
    """Say in one line that the operating system refused to write ``path``, and why."""
    cause = os.strerror(err.errno) if err.errno else " ".join(str(err).split())
    out = OutputError(
        f"cannot write {os.fspath(path)}: {cause}; no part of it was written (a file already "
        "there is left as it was): free space (or mend the cause) and rerun"
    )
    out.errno = err.errno
    return out


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


class Record:
    """Base of the library's records: frozen dataclasses that become JSON at the file boundary.

    A subclass is declared ``@dataclass(frozen=True)`` with one field per key of its result
    file, in the order the file had them. :meth:`to_json` gives that dict (nested records,
    lists and dicts of records converted in turn; every other value as it is), :meth:`from_json`
    the record back from it (nested records rebuilt from the field types). A key that the file
    holds only sometimes is a field ``field(default=None, metadata=OPTIONAL)``: ``None`` leaves
    it out of the file, and a file without it gives ``None``.
    """

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """Return the dict the record's result file holds: one key per field, in field order."""
        return {
            f.name: _json_value(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not (f.metadata.get("optional") and getattr(self, f.name) is None)
        }

    @classmethod
    def extend(cls, base: Record, **more: Any) -> Self:
        """Make a record of ``cls`` from the fields of ``base`` and the fields in ``more``."""
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}  # type: ignore[arg-type]
        return cls(**fields, **more)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Self:
        """Rebuild the record from :meth:`to_json`'s dict (as :func:`read_json` returns it).

        Raises
        ------
        KeyError
            If a field's key is missing.
        """
        hints = typing.get_type_hints(cls)
        return cls(
            **{
                f.name: _from_json_value(
                    hints[f.name], d.get(f.name) if f.metadata.get("optional") else d[f.name]
                )
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                if f.init
            }
        )


#: Field metadata of a key that a result file holds only sometimes (see :class:`Record`).
OPTIONAL: Mapping[str, bool] = types.MappingProxyType({"optional": True})


def _json_value(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _from_json_value(tp: Any, value: Any) -> Any:
    """Convert a JSON value to the field type ``tp`` (records and containers of records)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _from_json_value(args[0], value) if len(args) == 1 else value
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_json(value)
    if origin is list:
        (arg,) = typing.get_args(tp) or (Any,)
        return [_from_json_value(arg, v) for v in value]
    if origin is dict:
        _, arg = typing.get_args(tp) or (Any, Any)
        return {k: _from_json_value(arg, v) for k, v in value.items()}
    return value


def _clean(obj: Any) -> Any:
    """Turn records into dicts and non-finite floats into ``None``: strict JSON."""
    if isinstance(obj, Record):
        obj = obj.to_json()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` (a :class:`Record` or plain JSON types) as strict, sorted JSON, atomically.

    A record is written as :meth:`Record.to_json`; non-finite floats become ``null``; keys are
    sorted so that equal results give equal bytes.
    """
    text = json.dumps(_clean(obj), indent=2, sort_keys=True, allow_nan=False)
    with atomic_open(path, "w") as f:
        f.write(text + "\n")


def damaged(path: str | os.PathLike[str], what: str) -> InputError:
    """Say in one line that the result file ``path`` cannot be read back, and the fix."""
    what = " ".join(what.split())  # one line, whatever the library's message
    return InputError(
        f"{os.fspath(path)}: damaged result file ({what}); delete it and rerun, and the job "
        "that makes it writes it again"
    )


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file written by :func:`write_json`.

    Raises
    ------
    InputError
        If the file is not valid UTF-8 JSON (truncated, edited, zero-filled by a crash).
    """
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise damaged(path, f"not valid JSON: {err.msg} at line {err.lineno}") from None
    except UnicodeDecodeError as err:
        raise damaged(path, f"not UTF-8 text at byte {err.start}") from None


def save_array(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save one array as ``.npy`` atomically (``.npy`` has no timestamps, unlike ``.npz``)."""
    with atomic_open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: str | os.PathLike[str], mmap: bool = False) -> np.ndarray:
    """Load an array saved by :func:`save_array` (never unpickles).

    Raises
    ------
    InputError
        If the file is not a complete ``.npy`` file of plain numbers (truncated, edited).
    """
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (ValueError, EOFError) as err:
        # numpy says "cannot reshape array of size ...", "EOF: reading array header", "No data
        # left in file", "mmap length is greater than file size", "Object arrays cannot be
        # loaded when allow_pickle=False", ...: all mean the file is not what save_array wrote
        size = os.path.getsize(path)
        raise damaged(path, f"not a complete .npy array, {size:,} bytes: {err}") from None
