"""The homework's train/test split of the card data, in file order, with a validation slice.

Train = the first ``n_train`` rows, test = the rest (the split of the previous homework; no
shuffling). The last ``n_valid`` training rows form the validation slice that the MLP uses for
model selection (:mod:`hw6lib.holdout` bounds its size); the decision tree trains on all
``n_train`` rows, as the homework says. Test rows are never used to choose anything.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from hw6lib.carddata import COLUMNS, FEATURES, LABEL, describe_features, file_sha256, load_card_csv
from hw6lib.errors import InputError
from hw6lib.holdout import split_valid


def split_card(
    frame: pd.DataFrame, n_train: int, n_valid: int
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split validated card rows into train and test arrays, in file order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows from :func:`hw6lib.carddata.load_card_csv` (columns :data:`~hw6lib.carddata.COLUMNS`).
    n_train : int
        Number of training rows (the first rows of the file); at least one row must remain for
        the test set.
    n_valid : int
        Size of the validation slice, the last ``n_valid`` training rows
        (:func:`hw6lib.holdout.check_n_valid`: ``1 <= n_valid < n_train``).

    Returns
    -------
    arrays : dict
        ``X_train``, ``X_test`` (float32, shape ``(rows, 7)``, columns in file order) and
        ``y_train``, ``y_test`` (uint8).
    summary : dict
        ``columns``, ``features``, ``label``, ``rows`` (per split, with ``valid`` and
        ``train_fit`` = train minus valid), ``n_valid``, ``fraud_rate`` (per split and for the
        validation slice), ``feature_means`` (per split, by column), ``features_summary`` (all
        rows, from :func:`~hw6lib.carddata.describe_features`).

    Raises
    ------
    InputError
        When ``n_train`` does not fit the data (naming the config key).
    ConfigError
        When ``n_valid`` is out of bounds (:func:`hw6lib.holdout.check_n_valid`).
    """
    n = len(frame)
    if not 1 <= n_train < n:
        raise InputError(
            f"config key card.n_train: {n_train:,} must be at least 1 and less than the "
            f"{n:,} data rows (the test set needs at least one row)"
        )
    fit, valid = split_valid(n_train, n_valid)  # checks n_valid (check_n_valid)
    X = frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float32)
    y = frame[LABEL].to_numpy().astype(np.uint8)
    arrays = {
        "X_train": X[:n_train],
        "y_train": y[:n_train],
        "X_test": X[n_train:],
        "y_test": y[n_train:],
    }
    parts = {
        "train": slice(0, n_train),
        "train_fit": fit,
        "valid": valid,
        "test": slice(n_train, n),
        "all": slice(0, n),
    }
    values = frame.loc[:, list(FEATURES)]
    summary: dict[str, Any] = {
        "columns": list(COLUMNS),
        "features": list(FEATURES),
        "label": LABEL,
        "n_train": n_train,
        "n_valid": n_valid,
        "rows": {k: s.stop - s.start for k, s in parts.items()},
        "fraud_rate": {
            k: float(y[s].mean()) if s.stop > s.start else None for k, s in parts.items()
        },
        "fraud_count": {k: int(y[s].sum()) for k, s in parts.items()},
        "feature_means": {
            k: {c: float(v) for c, v in values.iloc[s].mean().items()}
            for k, s in parts.items()
            if s.stop > s.start
        },
        "features_summary": describe_features(frame),
    }
    return arrays, summary


def split_card_file(
    path: str | os.PathLike[str],
    n_train: int,
    n_valid: int,
    kind: str,
    seed: int | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load, validate, hash and split a card CSV: everything the ``card_split`` rule does.

    Parameters
    ----------
    path : path-like
        The real ``card_transdata.csv`` or the stand-in written by
        :func:`hw6lib.carddata.write_card_csv`.
    n_train, n_valid : int
        As in :func:`split_card`; the file must have at least ``n_train + 1`` rows.
    kind : {"real", "synthetic"}
        Recorded in the summary's ``source``.
    seed : int, optional
        The stand-in's seed, recorded for ``kind == "synthetic"``.

    Returns
    -------
    arrays, summary
        As :func:`split_card`; ``summary["source"]`` holds ``kind``, ``path``, ``rows``,
        ``sha256`` (of the file's bytes) and ``seed`` (``None`` for real data).
    """
    if kind not in {"real", "synthetic"}:
        raise ValueError(f"kind must be 'real' or 'synthetic', got {kind!r}")
    frame = load_card_csv(
        path, min_rows=n_train + 1, min_rows_reason=f"config key card.n_train = {n_train:,}, plus 1"
    )
    arrays, summary = split_card(frame, n_train, n_valid)
    check_label_classes(arrays["y_train"], n_valid, os.fspath(path))
    summary["source"] = {
        "kind": kind,
        "path": os.fspath(path),
        "rows": len(frame),
        "sha256": file_sha256(path),
        "seed": seed if kind == "synthetic" else None,
    }
    return arrays, summary


def check_label_classes(y_train: np.ndarray, n_valid: int, name: str) -> None:
    """Refuse training rows from which no classifier can be learnt or chosen.

    The MLP learns from the first ``n_train - n_valid`` rows (the tree from all ``n_train``) and
    is chosen on validation F1. Rows that hold only one class teach nothing (every model
    predicts that class, and the comparison with the tree is void), and validation rows without
    a fraud case leave F1 undefined, so no model could be chosen: both are errors, not results.

    Parameters
    ----------
    y_train : numpy.ndarray
        The 0/1 labels of the training rows, in file order.
    n_valid : int
        ``card.n_valid``: the last ``n_valid`` training rows are the validation slice.
    name : str
        The data file, as the message names it.

    Raises
    ------
    InputError
        One line naming the file, the lines concerned (header = line 1) and the config keys.
    """
    y = np.asarray(y_train).ravel()
    n_train = y.shape[0]
    n_fit = n_train - n_valid
    fit = y[:n_fit]
    if n_fit > 0 and not fit.any():
        raise InputError(
            f"{name}: the training rows (lines 2-{n_fit + 1}) hold no fraud case; no classifier "
            "can be learnt from them (use the whole file, or larger card.n_train)"
        )
    if n_fit > 0 and fit.all():
        raise InputError(
            f"{name}: the training rows (lines 2-{n_fit + 1}) are all fraud cases; no classifier "
            "can be learnt from them (use the whole file, or larger card.n_train)"
        )
    if n_valid > 0 and not y[n_fit:].any():
        raise InputError(
            f"{name}: the validation rows (lines {n_fit + 2}-{n_train + 1}, the last "
            f"card.n_valid = {n_valid:,} training rows) hold no fraud case, so validation F1 is "
            "undefined and no network can be chosen (raise card.n_valid)"
        )
