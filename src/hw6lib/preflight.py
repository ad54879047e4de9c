"""Checks run before any job starts: relations between config keys, and the real data file.

The JSON Schema checks each key on its own; these functions check what a schema cannot say
(``n_valid < n_train < rows``, a data path that is a directory) and validate a real data file
once, so that a bad file stops the run before any job starts and before any earlier result is
touched. Every failure is a :class:`hw6lib.errors.ConfigError` or
:class:`hw6lib.errors.InputError` with one line naming the key or the file, line and column.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hw6lib.card.holdout import check_split_sizes
from hw6lib.card.split import read_card_file
from hw6lib.errors import ConfigError


def check_config_relations(config: Mapping[str, Any]) -> None:
    """Relations between keys of a validated configuration.

    Raises
    ------
    ConfigError
        ``mlp.epochs`` above ``mlp.max_epochs``, ``card.n_train`` or ``card.n_valid`` out of
        :func:`hw6lib.card.holdout.check_split_sizes`'s bounds (``1 <= n_valid < n_train`` and, for
        the stand-in, ``n_train`` below ``card.synthetic_rows``), a ``card.path`` that is
        missing, a directory or unreadable.
    """
    mlp = config.get("mlp")
    if mlp is not None and max(mlp["epochs"]) > mlp["max_epochs"]:
        raise ConfigError(
            f"config key mlp.epochs: {max(mlp['epochs'])} exceeds mlp.max_epochs "
            f"({mlp['max_epochs']}); every reported epoch count must be trained"
        )
    card = config["card"]
    path = card.get("path")
    # the stand-in's rows are known now; a real file's are checked when it is read
    rows = card["synthetic_rows"] if path is None else None
    check_split_sizes(card["n_train"], card["n_valid"], rows, "card.synthetic_rows")
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"config key card.path: {path} is a directory, not a CSV file")
    if not p.is_file():
        raise ConfigError(
            f"config key card.path: no such file: {path} (working directory {os.getcwd()}; "
            "set it to null for the synthetic stand-in)"
        )
    if not os.access(p, os.R_OK):
        raise ConfigError(f"config key card.path: {path} is not readable")


def check_card_file(
    path: str | os.PathLike[str],
    n_train: int,
    cache: str | os.PathLike[str],
    n_valid: int,
) -> bool:
    """Validate a real card data file before any job starts, once per version of the file.

    The file is read and checked by :func:`hw6lib.card.split.read_card_file`, the reader the
    ``card_split`` job uses too (format, at least ``n_train + 1`` rows, both classes in the
    training rows and a fraud case in the validation rows). A file that passed is remembered
    in ``cache`` by its absolute path, size and modification time, so later runs (and every
    cluster job, which re-reads the workflow) skip the read.

    Parameters
    ----------
    path : path-like
        The CSV file named by ``card.path``.
    n_train : int
        ``card.n_train``.
    cache : path-like
        JSON file remembering validated files (e.g. under ``.snakemake/``).
    n_valid : int
        ``card.n_valid``.

    Returns
    -------
    bool
        ``True`` if the file was read now, ``False`` if the cache vouched for it.

    Raises
    ------
    InputError
        The first problem in the file, in one line (file, line, column).
    """
    st = os.stat(path)
    key = f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{n_train}|{n_valid}"
    cache = Path(cache)
    try:
        known = set(json.loads(cache.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        known = set()
    if key in known:
        return False
    read_card_file(path, n_train, n_valid)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(sorted(known | {key})[-20:]), encoding="utf-8")
    os.replace(tmp, cache)
    return True
