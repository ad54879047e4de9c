"""The decision-tree baseline of Problem 2: scikit-learn's ``DecisionTreeClassifier``, seeded.

:func:`fit_tree` fits one tree on the training rows and scores it on the test rows;
:func:`depth_sweep` repeats that over a list of depth limits so the report can show how simple a
tree is enough; the report draws the sweep (:func:`hw6lib.report.cardfigures.plot_depth_sweep`). Fit
times are returned separately from the results (they are not reproducible, so they never enter a
result file).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
from sklearn.tree import DecisionTreeClassifier, export_text

from hw6lib.card.csvfile import FEATURES
from hw6lib.card.metrics import classification_metrics
from hw6lib.card.split import CardSplit
from hw6lib.pipeline.resultfiles import Record


def fit_tree(
    split: CardSplit, seed: int, max_depth: int | None = None, text_depth: int = 0
) -> tuple[dict[str, Any], float, np.ndarray]:
    """Fit a decision tree (scikit-learn's defaults) and score it on train and test rows.

    Parameters
    ----------
    split : hw6lib.card.split.CardSplit
        The tree fits all training rows (validation slice included), features ``(n, 7)`` and
        0/1 labels; the test rows are only scored, never used to choose anything.
    seed : int
        ``random_state`` of the tree (``tree.seed``; it breaks ties between equally good splits).
    max_depth : int or None
        Depth limit; ``None`` (scikit-learn's default) grows the tree until the leaves are pure.
    text_depth : int
        When positive, the record holds the top ``text_depth`` levels of the tree as text
        (``sklearn.tree.export_text``).

    Returns
    -------
    record : dict
        ``max_depth`` (as given), ``depth`` and ``leaves`` (as grown), ``seed``, ``n_train``,
        ``n_test``, ``test`` and ``train`` (:func:`hw6lib.card.metrics.classification_metrics`),
        ``feature_importances`` (by feature name) and, if asked, ``text`` and ``text_depth``.
    fit_seconds : float
        Wall-clock seconds of ``fit`` (kept out of ``record``: not reproducible).
    test_scores : numpy.ndarray of float64, shape (n_test,)
        The tree's probability of fraud for every test row (the fraud share of its leaf), for
        precision-recall curves; it predicts fraud where this is above 1/2.
    """
    X_train, y_train, X_test, y_test = split.X_train, split.y_train, split.X_test, split.y_test
    model = DecisionTreeClassifier(max_depth=max_depth, random_state=seed)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    record: dict[str, Any] = {
        "max_depth": max_depth,
        "depth": int(model.get_depth()),
        "leaves": int(model.get_n_leaves()),
        "seed": seed,
        "n_train": len(y_train),
        "n_test": len(y_test),
        "test": classification_metrics(y_test, model.predict(X_test)).to_json(),
        "train": classification_metrics(y_train, model.predict(X_train)).to_json(),
        "feature_importances": {
            f: float(v) for f, v in zip(FEATURES, model.feature_importances_, strict=True)
        },
    }
    if text_depth > 0:
        record["text_depth"] = text_depth
        record["text"] = export_text(
            model, feature_names=list(FEATURES), max_depth=text_depth, decimals=2, show_weights=True
        )
    return record, fit_seconds, model.predict_proba(X_test)[:, 1]


def depth_sweep(
    split: CardSplit, max_depths: Sequence[int | None], seed: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """:func:`fit_tree` at each depth limit (``None`` = unlimited), in the order given.

    Returns
    -------
    records : list of dict
        One record per depth limit.
    fit_seconds : list of float
        Fit time of each.
    """
    records, seconds = [], []
    for d in max_depths:
        rec, sec, _ = fit_tree(split, max_depth=d, seed=seed)
        records.append(rec)
        seconds.append(sec)
    return records, seconds


@dataclass(frozen=True)
class SimplestEnough(Record):
    """The shallowest tree of a sweep within ``tol`` of the ``best_f1``: its sweep ``record``."""

    tol: float
    best_f1: float
    record: dict[str, Any]


def simplest_enough(records: Sequence[dict[str, Any]], tol: float = 0.001) -> SimplestEnough:
    """Find the shallowest tree of a sweep whose test F1 is within ``tol`` of the best F1.

    Parameters
    ----------
    records : sequence of dict
        From :func:`depth_sweep`.
    tol : float
        Allowed shortfall in test F1.

    Returns
    -------
    SimplestEnough
        This reads the test scores, so it describes the sweep; it is never used to pick a
        model.
    """
    best = max(r["test"]["f1"] for r in records)
    ok = [r for r in records if r["test"]["f1"] >= best - tol]
    chosen = min(ok, key=lambda r: (r["depth"], r["leaves"]))
    return SimplestEnough(tol=tol, best_f1=best, record=chosen)
