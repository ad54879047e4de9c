"""The homework's train/test split of the card data, in file order, with a validation slice.

Train = the first ``n_train`` rows, test = the rest (the split of the previous homework; no
shuffling). The last ``n_valid`` training rows form the validation slice that the MLP uses for
model selection (:mod:`hw6lib.card.holdout` bounds its size); the decision tree trains on all
``n_train`` rows, as the homework says. Test rows are never used to choose anything.

:func:`read_card_file` reads and checks the data (the one reader), :func:`split_card_file`
splits it for the ``card_split`` rule, and :class:`CardSplit` is the split as every model's job
loads it (:meth:`CardSplit.load`): the arrays, the validation slice, the fitting rows'
standardiser and the job's device.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hw6lib.card.csvfile import (
    COLUMNS,
    FEATURES,
    LABEL,
    describe_features,
    file_sha256,
    load_card_csv,
)
from hw6lib.card.holdout import check_split_sizes, split_valid
from hw6lib.card.standardize import Standardizer, fit_standardizer
from hw6lib.errors import InputError
from hw6lib.pipeline.resultfiles import load_array

#: The arrays of the split, by name: the outputs of the ``card_split`` rule.
ARRAYS: tuple[str, ...] = ("X_train", "y_train", "X_test", "y_test")


def split_card(
    frame: pd.DataFrame, n_train: int, n_valid: int
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split validated card rows into train and test arrays, in file order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows from :func:`hw6lib.card.csvfile.load_card_csv` (columns
        :data:`~hw6lib.card.csvfile.COLUMNS`).
    n_train : int
        Number of training rows (the first rows of the file); at least one row must remain for
        the test set.
    n_valid : int
        Size of the validation slice, the last ``n_valid`` training rows
        (:func:`hw6lib.card.holdout.check_n_valid`: ``1 <= n_valid < n_train``).

    Returns
    -------
    arrays : dict
        ``X_train``, ``X_test`` (float32, shape ``(rows, 7)``, columns in file order) and
        ``y_train``, ``y_test`` (uint8).
    summary : dict
        ``columns``, ``features``, ``label``, ``rows`` (per split, with ``valid`` and
        ``train_fit`` = train minus valid), ``n_valid``, ``fraud_rate`` (per split and for the
        validation slice), ``feature_means`` (per split, by column), ``features_summary`` (all
        rows, from :func:`~hw6lib.card.csvfile.describe_features`).

    Raises
    ------
    ConfigError
        When ``n_train`` or ``n_valid`` does not fit the data
        (:func:`hw6lib.card.holdout.check_split_sizes`, naming the config key).
    """
    n = len(frame)
    check_split_sizes(n_train, n_valid, n, "the data rows")
    fit, valid = split_valid(n_train, n_valid)
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
        :func:`hw6lib.card.synthetic.write_card_csv`.
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
    frame = read_card_file(path, n_train, n_valid)
    arrays, summary = split_card(frame, n_train, n_valid)
    summary["source"] = {
        "kind": kind,
        "path": os.fspath(path),
        "rows": len(frame),
        "sha256": file_sha256(path),
        "seed": seed if kind == "synthetic" else None,
    }
    return arrays, summary


def read_card_file(path: str | os.PathLike[str], n_train: int, n_valid: int) -> pd.DataFrame:
    """Read a card CSV and apply every check of its contents: the one reader of the data.

    The pre-flight check (:func:`hw6lib.preflight.check_card_file`, once per version of a
    real file, before any job) and the ``card_split`` job (:func:`split_card_file`) both read the
    file through this function, so that they accept and refuse the same files with the same
    messages.

    Parameters
    ----------
    path : path-like
        The CSV file.
    n_train, n_valid : int
        ``card.n_train`` (the file must have at least ``n_train + 1`` rows) and ``card.n_valid``.

    Returns
    -------
    pandas.DataFrame
        The validated rows (:func:`hw6lib.card.csvfile.load_card_csv`).

    Raises
    ------
    InputError
        The first problem in the file, in one line (file, line, column): its format and length
        (:func:`~hw6lib.card.csvfile.load_card_csv`), then the classes of its training and
        validation rows (:func:`check_label_classes`).
    """
    frame = load_card_csv(
        path, min_rows=n_train + 1, min_rows_reason=f"config key card.n_train = {n_train:,}, plus 1"
    )
    check_label_classes(frame[LABEL].to_numpy()[:n_train], n_valid, os.fspath(path))
    return frame


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


@dataclass(frozen=True, eq=False)
class CardSplit:
    """The split as a model's job sees it: train, validation slice, test, standardiser, device.

    Loaded once per job (:meth:`load`) and handed whole to the decision tree
    (:func:`hw6lib.card.tree.fit_tree`), the grid (:func:`hw6lib.mlp.cell.train_cell`), the best
    model's scores (:func:`hw6lib.mlp.scores.best_mlp_scores`) and the replication of the
    published run (:func:`hw6lib.mlp.replication.replicate_published`). What the MLP derives
    from it (the fitting rows, the validation slice, the standardiser fitted on the fitting rows
    only, the standardised rows) is computed here, once, on first use.

    Attributes
    ----------
    X_train, y_train : numpy.ndarray
        The first ``card.n_train`` rows of the file (features float32 ``(n, 7)``, labels 0/1,
        1-d); the tree and the published run train on all of them.
    X_test, y_test : numpy.ndarray
        The remaining rows; scored, never used to choose anything.
    n_valid : int or None
        ``card.n_valid``: the last ``n_valid`` training rows are the MLP's validation slice
        (:func:`hw6lib.card.holdout.split_valid`); ``None`` where no job of the MLP grid uses the
        split (the tree, the published run), and then :attr:`fit` and what needs it refuse.
    device : torch.device or str
        Where the MLP trains (:func:`hw6lib.mlp.cell.job_device`); ``"cpu"`` for the tree.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_valid: int | None = None
    device: Any = "cpu"

    def __post_init__(self) -> None:
        """Hold the arrays as numpy arrays, labels 1-d; refuse mismatched lengths."""
        for name in ("X_train", "X_test"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)))
        for name in ("y_train", "y_test"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)).ravel())
        for part in ("train", "test"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if X.shape[0] != y.shape[0]:
                raise ValueError(f"{X.shape[0]} {part} rows but {y.shape[0]} {part} labels")

    @classmethod
    def load(
        cls, files: Mapping[str, Any], n_valid: int | None = None, device: Any = "cpu"
    ) -> CardSplit:
        """Read the arrays the ``card_split`` rule wrote.

        Parameters
        ----------
        files : mapping
            Path of each array by name (``X_train``, ``y_train``, ``X_test``, ``y_test``), e.g.
            a job's ``snakemake.input``.
        n_valid : int, optional
            ``card.n_valid``, for the jobs that train the MLP.
        device : torch.device or str
            The job's device (:func:`hw6lib.mlp.cell.job_device`).

        Raises
        ------
        InputError
            A damaged array file, in one line naming it
            (:func:`hw6lib.pipeline.resultfiles.load_array`).
        """
        arrays = {name: load_array(files[name]) for name in ARRAYS}
        return cls(**arrays, n_valid=n_valid, device=device)

    @property
    def n_train(self) -> int:
        """Training rows, validation slice included."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """Test rows."""
        return int(self.X_test.shape[0])

    @property
    def fit(self) -> slice:
        """The MLP's fitting rows: the training rows before the validation slice."""
        return self._slices[0]

    @property
    def valid(self) -> slice:
        """The validation slice: the last ``n_valid`` training rows."""
        return self._slices[1]

    @cached_property
    def _slices(self) -> tuple[slice, slice]:
        if self.n_valid is None:
            raise ValueError("this split was loaded without card.n_valid: no validation slice")
        return split_valid(self.n_train, self.n_valid)

    @cached_property
    def standardizer(self) -> Standardizer:
        """Column means and deviations of the fitting rows only (never validation or test)."""
        return fit_standardizer(self.X_train[self.fit])

    @cached_property
    def X_fit(self) -> np.ndarray:
        """The fitting rows, standardised (float32)."""
        return self.standardizer.transform(self.X_train[self.fit])

    @property
    def y_fit(self) -> np.ndarray:
        """The fitting rows' labels."""
        return self.y_train[self.fit]

    @cached_property
    def evals(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The rows scored after every epoch, standardised: ``valid`` and ``test``."""
        st = self.standardizer
        return {
            "valid": (st.transform(self.X_train[self.valid]), self.y_train[self.valid]),
            "test": (st.transform(self.X_test), self.y_test),
        }
