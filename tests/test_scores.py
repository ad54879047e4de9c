"""Test-row scores: the tree's probabilities, the best MLP retrained, precision-recall curves,
and their section of the report (with the tree's importances and the YAML configuration)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import average_precision_score
from synthcard import synth_card

from hw6lib.card.csvfile import FEATURES
from hw6lib.card.metrics import classification_metrics
from hw6lib.card.split import CardSplit, split_card
from hw6lib.card.synthetic import generate_card_data
from hw6lib.card.tree import fit_tree
from hw6lib.mlp import SGDSettings, train_cell
from hw6lib.mlp.grid import best_summary
from hw6lib.mlp.prcurves import pr_curve
from hw6lib.mlp.scores import best_mlp_scores, best_seed
from hw6lib.report.mlpfigures import plot_pr_curves


def test_tree_scores_give_its_predictions() -> None:
    arrays, _ = split_card(generate_card_data(6000, seed=5), n_train=3000, n_valid=300)
    record, _, scores = fit_tree(CardSplit(**arrays), seed=0)
    assert scores.shape == arrays["y_test"].shape
    assert ((scores >= 0) & (scores <= 1)).all()
    assert classification_metrics(arrays["y_test"], scores > 0.5).to_json() == record["test"]


def test_best_seed_is_chosen_on_validation() -> None:
    rows = [
        {"seed": 0, "valid_f1": 0.8, "test_f1": 0.99},
        {"seed": 1, "valid_f1": 0.9, "test_f1": 0.10},
        {"seed": 2, "valid_f1": None, "test_f1": None},
        {"seed": 3, "valid_f1": 0.9, "test_f1": 0.50},
    ]
    assert best_seed({"rows": rows}) == 1
    with pytest.raises(ValueError, match="diverged"):
        best_seed({"rows": [rows[2]]})


def test_best_mlp_retrained_scores_like_the_grid() -> None:
    X, y = synth_card(4000, seed=2)
    X_test, y_test = synth_card(2000, seed=3)
    sgd = SGDSettings.grid(8, [0.1, 1.0], [0, 1], 100, 3, [0.0, 0.9], "cosine")
    split = CardSplit(X, y, X_test, y_test, n_valid=800)
    cell = train_cell(split, sgd)
    best = best_summary([cell], [1, 2]).best.to_json()  # fewer epochs than the schedule's 3
    record, scores = best_mlp_scores(split, best, schedule="cosine", horizon=3)
    assert scores.dtype == np.float32 and scores.shape == (2000,)
    assert ((scores >= 0) & (scores <= 1)).all()
    keys = ("width", "lr", "batch_size", "epochs", "momentum")
    assert {k: record[k] for k in keys} == {k: best[k] for k in keys}
    assert record["seed"] == best_seed(best)
    # the grid's model of that seed (after best["epochs"] of a cosine schedule over 3 epochs):
    # trained alone it follows the same path up to float32 rounding, so its training loss
    # agrees epoch by epoch to rounding; another seed, learning rate or schedule would not
    grid = next(
        m
        for m in cell.models
        if (m.seed, m.lr, m.momentum) == (record["seed"], best["lr"], best["momentum"])
    )
    grid_loss = [e["train_loss"] for e in grid.epochs[: best["epochs"]]]
    assert len(record["train_loss"]) == best["epochs"]
    np.testing.assert_allclose(record["train_loss"], grid_loss, rtol=1e-4)
    others = [
        [e["train_loss"] for e in m.epochs[: best["epochs"]]] for m in cell.models if m is not grid
    ]
    assert all(not np.allclose(record["train_loss"], o, rtol=1e-4) for o in others)
    assert record["test"] == classification_metrics(y_test, scores > 0.5).to_json()


def test_horizon_trains_the_first_epochs_of_a_longer_schedule() -> None:
    from hw6lib.mlp import train_models

    X, y = synth_card(1500, seed=4)
    X = (X - X.mean(0)) / X.std(0)

    def sgd(epochs: int, horizon: int | None = None) -> SGDSettings:
        return SGDSettings(4, [0.5], [0], 100, epochs, schedule="cosine", horizon=horizon)

    long = train_models(X, y, {"v": (X, y)}, sgd(3))
    short = train_models(X, y, {"v": (X, y)}, sgd(2, horizon=3))
    for a, b in zip(long.models[0]["epochs"][:2], short.models[0]["epochs"], strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
    alone = train_models(X, y, {"v": (X, y)}, sgd(2))  # cosine over 2 epochs differs
    assert alone.models[0]["epochs"][1]["train_loss"] != pytest.approx(
        short.models[0]["epochs"][1]["train_loss"], rel=1e-5
    )
    with pytest.raises(ValueError, match="horizon"):
        sgd(3, horizon=2)


def test_pr_curve_summary() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.1).astype(np.uint8)
    scores = np.clip(0.6 * y + rng.normal(0.2, 0.2, y.size), 0, 1)
    c = pr_curve(y, scores)
    assert c.average_precision == pytest.approx(average_precision_score(y, scores))
    assert c.n == 20_000 and c.n_fraud == int(y.sum())
    assert len(c.recall) == len(c.precision) < 5000  # thinned for drawing
    assert c.recall[0] == 1.0 and c.recall[-1] == 0.0  # both ends kept
    op = classification_metrics(y, scores > 0.5)
    assert c.operating_point.to_json() == {
        "threshold": 0.5,
        "precision": op.precision,
        "recall": op.recall,
        "f1": op.f1,
    }
    perfect = pr_curve(y, y.astype(float))
    assert perfect.average_precision == 1.0
    assert perfect.operating_point.f1 == 1.0
    with pytest.raises(ValueError, match="labels but"):
        pr_curve(y, scores[:-1])


def test_pr_figure_has_both_models_and_their_operating_points() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    curves = {"a": pr_curve(y, [0.1, 0.6, 0.7, 0.9, 0.2, 0.4]), "b": pr_curve(y, y)}
    fig = plot_pr_curves(curves)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(labels) == 4 and sum("probability > 0.5" in t for t in labels) == 2


# ---- in the pipeline's report -----------------------------------------------------------------


@pytest.mark.workflow
def test_report_shows_pr_curves_importances_and_yaml_config(pipeline_run: Path) -> None:
    html = (pipeline_run / "reports" / "hw6.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="pr">') :]
    section = section[: section.index("</section>")]
    assert "<svg" in section
    pr = json.loads((pipeline_run / "results/report/pr_curves.json").read_text())
    assert set(pr["curves"]) == {"best MLP", "decision tree"}
    for c in pr["curves"].values():
        assert f"{c['average_precision']:.4f}" in section
    # the operating point of the tree is its test score in the tree section
    tree = json.loads((pipeline_run / "results/card/tree/metrics.json").read_text())
    assert pr["curves"]["decision tree"]["operating_point"]["f1"] == tree["test"]["f1"]
    # every feature's importance, largest first
    rows = re.findall(r"<td class=\"l\"><code>(\w+)</code></td><td>([0-9.]+)</td>", section)
    assert sorted(name for name, _ in rows) == sorted(FEATURES)
    values = [float(v) for _, v in rows]
    assert values == sorted(values, reverse=True)
    # the configuration as compact YAML, not a JSON dump
    prov = html[html.index('<section id="provenance">') :]
    config = prov[prov.index("<h3>Configuration</h3>") :]
    config = config[config.index("<pre>") + 5 : config.index("</pre>")]
    assert "mlp:\n" in config and "widths: [4, 8]" in config and '"mlp"' not in config
    assert len(config.splitlines()) < 40
    # what the retrained network is, with both F1 scores from the result files
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))
    mm = pr["mlp_model"]
    best = json.loads((pipeline_run / "results/mlp/best.json").read_text())["best"]
    grid_f1 = next(r["test_f1"] for r in best["rows"] if r["seed"] == mm["seed"])
    assert f"retrained alone with seed {mm['seed']}" in text
    assert f"its test F1 at 1/2 is {mm['test']['f1']:.6f}, the grid’s model’s {grid_f1:.6f}" in text
    # the tree's leaves: all pure exactly when it classifies every training row correctly
    pure = tree["train"]["accuracy"] == 1
    assert ("grown until every leaf is pure" in text) == pure
    assert ("some leaves mix both labels" in text) == (not pure)
    assert (pipeline_run / "results/mlp/best_test_scores.npy").is_file()
    assert (pipeline_run / "results/card/tree/test_scores.npy").is_file()
