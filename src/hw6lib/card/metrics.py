"""Classification metrics from labels and predictions, defined when a class is absent.

Conventions (the same as scikit-learn's ``zero_division=0``): precision is 0 when nothing is
predicted positive, recall is 0 when there are no positives, and F1 is 0 when precision and
recall are both 0. Accuracy of an empty sample is ``nan`` (there is nothing to score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from hw6lib.pipeline.resultfiles import Record


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, int]:
    """True/false positives and negatives of binary labels.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1} or bool, same length
        Labels and predictions.

    Returns
    -------
    dict
        ``tp``, ``fp``, ``tn``, ``fn`` as Python ints.
    """
    t = np.asarray(y_true).astype(bool).ravel()
    p = np.asarray(y_pred).astype(bool).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(~t & p))
    fn = int(np.count_nonzero(t & ~p))
    return {"tp": tp, "fp": fp, "tn": int(t.size) - tp - fp - fn, "fn": fn}


@dataclass(frozen=True)
class Metrics(Record):
    """Accuracy, precision, recall and F1 (see the module conventions) and the four counts."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    tn: int
    fn: int


def metrics_from_counts(counts: dict[str, int]) -> Metrics:
    """Accuracy, precision, recall and F1 from confusion counts (see the module conventions).

    Parameters
    ----------
    counts : dict
        ``tp``, ``fp``, ``tn``, ``fn``.

    Returns
    -------
    Metrics
    """
    tp, fp, tn, fn = (int(counts[k]) for k in ("tp", "fp", "tn", "fn"))
    n = tp + fp + tn + fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return Metrics(
        accuracy=(tp + tn) / n if n else float("nan"),
        precision=precision,
        recall=recall,
        f1=f1,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
    )


def classification_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> Metrics:
    """Accuracy, precision, recall, F1 and confusion counts of binary predictions.

    Equal to scikit-learn's ``accuracy_score``, ``precision_score``, ``recall_score`` and
    ``f1_score`` with ``zero_division=0``.
    """
    return metrics_from_counts(confusion_counts(y_true, y_pred))
