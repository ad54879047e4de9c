"""hw6lib.card.metrics against scikit-learn, including absent classes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from hw6lib.card.metrics import (
    Metrics,
    classification_metrics,
    confusion_counts,
    metrics_from_counts,
)


def _sklearn(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "precision": precision_score(y_true, y_pred, zero_division=0),
        "recall": recall_score(y_true, y_pred, zero_division=0),
        "f1": f1_score(y_true, y_pred, zero_division=0),
        "tp": int(tp),
        "fp": int(fp),
        "tn": int(tn),
        "fn": int(fn),
    }


def _assert_same(ours: Metrics, theirs: dict) -> None:
    for key, value in theirs.items():
        assert getattr(ours, key) == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize("case", range(40))
def test_random_cases_equal_sklearn(case: int) -> None:
    rng = np.random.default_rng(case)
    n = int(rng.integers(1, 300))
    p_true, p_pred = rng.random(2)
    y_true = (rng.random(n) < p_true).astype(np.uint8)
    y_pred = (rng.random(n) < p_pred).astype(np.uint8)
    _assert_same(classification_metrics(y_true, y_pred), _sklearn(y_true, y_pred))


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        ([0, 0, 0, 0], [0, 0, 0, 0]),  # no positives at all
        ([0, 0, 0, 0], [0, 1, 0, 1]),  # no true positives, some predicted
        ([1, 1, 1], [0, 0, 0]),  # nothing predicted positive
        ([1, 1, 1], [1, 1, 1]),  # no negatives
        ([1, 0, 1], [0, 1, 0]),  # all wrong
        ([1], [1]),
        ([0], [1]),
    ],
)
def test_absent_classes_equal_sklearn_zero_division_0(y_true: list, y_pred: list) -> None:
    ours = classification_metrics(np.array(y_true), np.array(y_pred))
    _assert_same(ours, _sklearn(np.array(y_true), np.array(y_pred)))
    for key in ("accuracy", "precision", "recall", "f1"):
        assert math.isfinite(getattr(ours, key))


def test_bool_and_float_inputs_match_integers() -> None:
    y_true = np.array([1, 0, 1, 1, 0])
    y_pred = np.array([1, 1, 0, 1, 0])
    ref = classification_metrics(y_true, y_pred)
    assert classification_metrics(y_true.astype(bool), y_pred.astype(bool)) == ref
    assert classification_metrics(y_true.astype(float), y_pred.astype(np.float32)) == ref
    assert ref.tp + ref.fp + ref.tn + ref.fn == 5


def test_counts_round_trip() -> None:
    counts = confusion_counts([1, 0, 1, 0, 1], [1, 0, 0, 1, 1])
    assert counts == {"tp": 2, "fp": 1, "tn": 1, "fn": 1}
    m = metrics_from_counts(counts)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.accuracy == pytest.approx(3 / 5)


def test_empty_sample_accuracy_is_nan_others_zero() -> None:
    m = classification_metrics(np.array([], dtype=int), np.array([], dtype=int))
    assert math.isnan(m.accuracy)
    assert (m.precision, m.recall, m.f1) == (0.0, 0.0, 0.0)


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        confusion_counts([0, 1, 1], [0, 1])
