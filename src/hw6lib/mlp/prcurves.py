"""Precision-recall curves of fraud scores: average precision, the thinned curve, the 1/2 point.

:func:`pr_curve` summarises one model's probabilities of fraud on the test rows (the best MLP's,
from :func:`hw6lib.mlp.scores.best_mlp_scores`, and the tree's); the report draws them
(:func:`hw6lib.report.mlpfigures.plot_pr_curves`). It needs numpy and scikit-learn, not torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import average_precision_score, precision_recall_curve

from hw6lib.card.metrics import classification_metrics
from hw6lib.pipeline.resultfiles import Record

#: A model predicts fraud when its probability is above this (the logit is positive).
THRESHOLD = 0.5


def _thin(recall: NDArray[np.float64], precision: NDArray[np.float64], step: float) -> list[int]:
    """Return the indices of the curve's points at least ``step`` apart in recall or precision."""
    keep = [0]
    for i in range(1, len(recall)):
        j = keep[-1]
        if abs(recall[i] - recall[j]) >= step or abs(precision[i] - precision[j]) >= step:
            keep.append(i)
    if keep[-1] != len(recall) - 1:
        keep.append(len(recall) - 1)
    return keep


@dataclass(frozen=True)
class OperatingPoint(Record):
    """The prediction "fraud when the score is above ``threshold``": its precision, recall, F1."""

    threshold: float
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class PrCurve(Record):
    """One model's precision-recall curve (:func:`pr_curve`).

    ``average_precision``, ``n``, ``n_fraud``, ``recall`` and ``precision`` (the thinned curve,
    recall decreasing), and the ``operating_point`` at the score 1/2.
    """

    average_precision: float
    n: int
    n_fraud: int
    recall: list[float]
    precision: list[float]
    operating_point: OperatingPoint


def pr_curve(y_true: ArrayLike, scores: ArrayLike, step: float = 5e-4) -> PrCurve:
    """Precision-recall curve of one model's scores, its average precision and operating point.

    Parameters
    ----------
    y_true : array_like
        0/1 labels of the test rows.
    scores : array_like
        Probability of fraud of each row (higher = more likely fraud).
    step : float
        The curve keeps only points at least this far apart in recall or precision (for
        drawing: a score per row would make a curve of as many points); the average precision
        is computed on the full curve.

    Returns
    -------
    PrCurve
    """
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"{y.shape[0]} labels but {s.shape[0]} scores")
    precision, recall, _ = precision_recall_curve(y, s)
    keep = _thin(recall, precision, step)
    op = classification_metrics(y, s > THRESHOLD)
    return PrCurve(
        average_precision=float(average_precision_score(y, s)),
        n=int(y.size),
        n_fraud=int((y == 1).sum()),
        recall=[float(recall[i]) for i in keep],
        precision=[float(precision[i]) for i in keep],
        operating_point=OperatingPoint(
            threshold=THRESHOLD, precision=op.precision, recall=op.recall, f1=op.f1
        ),
    )
