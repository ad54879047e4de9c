"""The decision-tree baseline: metrics, determinism, the sweep, the text and the figure."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score
from sklearn.tree import DecisionTreeClassifier

from hw6lib.card.split import CardSplit, split_card
from hw6lib.card.synthetic import generate_card_data
from hw6lib.card.tree import depth_sweep, fit_tree, simplest_enough
from hw6lib.pipeline.figurefiles import save_figure
from hw6lib.report.cardfigures import plot_depth_sweep


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    arrays, _ = split_card(generate_card_data(20_000, seed=5), n_train=10_000, n_valid=1000)
    return arrays


def test_fit_tree_matches_sklearn(arrays: dict[str, np.ndarray]) -> None:
    record, _, _ = fit_tree(CardSplit(**arrays), seed=0, text_depth=2)
    model = DecisionTreeClassifier(random_state=0).fit(arrays["X_train"], arrays["y_train"])
    pred = model.predict(arrays["X_test"])
    assert record["test"]["accuracy"] == pytest.approx(accuracy_score(arrays["y_test"], pred))
    assert record["test"]["f1"] == pytest.approx(f1_score(arrays["y_test"], pred))
    assert record["depth"] == model.get_depth()
    assert record["leaves"] == model.get_n_leaves()
    assert record["n_train"] == 10_000 and record["n_test"] == 10_000
    assert record["max_depth"] is None
    # the time is the fit's, measured around it: within the wall time of the whole call
    t0 = time.perf_counter()
    _, again, _ = fit_tree(CardSplit(**arrays), seed=0)
    assert 0 < again <= time.perf_counter() - t0
    assert record["test"]["accuracy"] > 0.99  # the label is a rule of a few thresholds
    assert sum(record["feature_importances"].values()) == pytest.approx(1.0)


def test_fit_tree_is_deterministic(arrays: dict[str, np.ndarray]) -> None:
    a, *_ = fit_tree(CardSplit(**arrays), seed=3, text_depth=3)
    b, *_ = fit_tree(CardSplit(**arrays), seed=3, text_depth=3)
    assert a == b


def test_tree_text_is_depth_limited(arrays: dict[str, np.ndarray]) -> None:
    record, _, _ = fit_tree(CardSplit(**arrays), seed=0, text_depth=2)
    text = record["text"]
    assert record["text_depth"] == 2
    assert "truncated branch" in text
    assert max(line.count("|   ") for line in text.splitlines()) <= 3  # depths 0, 1, 2
    assert any(f in text for f in ("ratio_to_median_purchase_price", "used_pin_number"))
    no_text, _, _ = fit_tree(CardSplit(**arrays), seed=0)
    assert "text" not in no_text


def test_depth_sweep(arrays: dict[str, np.ndarray]) -> None:
    records, seconds = depth_sweep(CardSplit(**arrays), max_depths=[1, 3, None], seed=0)
    assert [r["max_depth"] for r in records] == [1, 3, None]
    assert len(seconds) == 3
    assert records[0]["depth"] == 1 and records[0]["leaves"] == 2
    assert records[1]["depth"] <= 3
    assert records[0]["test"]["accuracy"] <= records[2]["test"]["accuracy"]
    full, _, _ = fit_tree(CardSplit(**arrays), seed=0)
    assert records[2]["test"] == full["test"]


def test_simplest_enough() -> None:
    """The shallowest tree within ``tol`` of the best F1, in any order of the sweep; a tree just
    outside ``tol`` is not chosen, and among equal depths the one with fewer leaves is."""
    recs = [
        {"depth": 9, "leaves": 60, "test": {"f1": 0.9990}},
        {"depth": 2, "leaves": 4, "test": {"f1": 0.80}},
        {"depth": 5, "leaves": 22, "test": {"f1": 0.9985}},
        {"depth": 5, "leaves": 20, "test": {"f1": 0.9981}},
        {"depth": 7, "leaves": 30, "test": {"f1": 0.9979}},
        {"depth": 11, "leaves": 90, "test": {"f1": 0.9970}},
    ]
    out = simplest_enough(recs, tol=0.001)
    assert out.best_f1 == max(r["test"]["f1"] for r in recs) == 0.9990
    assert out.record is recs[3]  # depth 5, 20 leaves (0.9981 >= 0.9990 - 0.001)
    assert simplest_enough(recs, tol=0.0004).record is recs[0]  # only depth 9 is within
    assert simplest_enough(recs[::-1], tol=0.001).record is recs[3]
    assert simplest_enough(recs, tol=1.0).record is recs[1]


def test_plot_depth_sweep_writes_svg(arrays: dict[str, np.ndarray], tmp_path: Path) -> None:
    records, _ = depth_sweep(CardSplit(**arrays), max_depths=[2, None], seed=0)
    path = tmp_path / "sweep.svg"
    save_figure(plot_depth_sweep(records), path)
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "unlimited" in text
