"""Fraud scores on the test rows of the best MLP: its configuration retrained, its probabilities.

The grid keeps only metrics at the threshold 1/2, so the report's precision-recall curves need each
model's probabilities of fraud on the test rows. :func:`best_mlp_scores` retrains the best
configuration of the grid (chosen on validation F1) with the seed whose validation F1 was highest:
the same rows, standardisation, initial weights, shuffles and schedule as the grid's model of that
seed, trained alone. It equals the grid's model up to float32 rounding, not bit for bit (the grid
trains its models batched together, which orders the sums otherwise, and a ReLU at its kink can then
flip), so its scores can differ slightly from what the grid's model would give; the record keeps its
training losses to compare with the grid's. The tree's come from the rule that fits it
(:func:`hw6lib.card.tree.fit_tree`). :func:`hw6lib.mlp.prcurves.pr_curve` summarises one model's
scores (average precision, the curve thinned for drawing, the operating point at 1/2; it needs no
torch) and :func:`hw6lib.report.mlpfigures.plot_pr_curves` draws the models on one figure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from hw6lib.card.metrics import classification_metrics
from hw6lib.card.split import CardSplit
from hw6lib.mlp import SGDSettings, forward_logits, train_models
from hw6lib.mlp.denormals import flush_denormals
from hw6lib.mlp.prcurves import THRESHOLD
from hw6lib.mlp.shape import DEFAULT_DEPTH


def best_seed(best: Mapping[str, Any]) -> int:
    """Return the seed of the best configuration whose model scored the highest validation F1.

    Parameters
    ----------
    best : mapping
        ``best`` of :func:`hw6lib.mlp.grid.best_summary` (its ``rows`` hold one row per seed,
        with ``seed`` and ``valid_f1``; a diverged seed's F1 is ``None``).

    Returns
    -------
    int
        Ties go to the smaller seed. Chosen on validation rows only, never on test rows.

    Raises
    ------
    ValueError
        Every seed diverged (no validation F1).
    """
    rows = [r for r in best["rows"] if r.get("valid_f1") is not None]
    if not rows:
        raise ValueError("every seed of the best configuration diverged")
    return int(min(rows, key=lambda r: (-r["valid_f1"], r["seed"]))["seed"])


def best_mlp_scores(
    split: CardSplit,
    best: Mapping[str, Any],
    schedule: str,
    horizon: int | None = None,
    logger: logging.Logger | None = None,
) -> tuple[dict[str, Any], NDArray[np.float32]]:
    """Retrain the best MLP of the grid alone and score the test rows.

    The model is trained as in :func:`hw6lib.mlp.cell.train_cell` (the same fitting rows,
    standardisation, initial weights, shuffles and learning-rate schedule for its seed) with
    the configuration of ``best`` (width, learning rate, batch size, epochs, momentum) and the
    seed of :func:`best_seed`: the grid's model after ``best["epochs"]`` of its ``horizon``
    epochs, up to float32 rounding (trained alone, not batched with the grid's other models).

    Parameters
    ----------
    split : hw6lib.card.split.CardSplit
        The data, with ``n_valid`` (the model fits the rows before the validation slice,
        standardised as in the grid) and the training device; its test rows are scored.
    best : mapping
        ``best`` of :func:`hw6lib.mlp.grid.best_summary`.
    schedule : str
        The grid's learning-rate schedule (``mlp.schedule``).
    horizon : int, optional
        Epochs the grid's schedule spans (``mlp.max_epochs``; default ``best["epochs"]``).
    logger : logging.Logger, optional
        Progress messages.

    Returns
    -------
    record : dict
        ``width``, ``lr``, ``batch_size``, ``epochs``, ``momentum``, ``seed``, ``threshold``,
        ``train_loss`` (per epoch, to compare with the grid's model) and ``test``
        (:func:`hw6lib.card.metrics.classification_metrics` at the threshold).
    scores : numpy.ndarray of float32, shape (n_test,)
        Probability of fraud of every test row.
    """
    seed = best_seed(best)
    sgd = SGDSettings(
        width=int(best["width"]),
        learning_rates=[float(best["lr"])],
        seeds=[seed],
        batch_size=int(best["batch_size"]),
        epochs=int(best["epochs"]),
        momentums=[float(best.get("momentum", 0.0))],
        schedule=schedule,
        horizon=horizon,
        depth=int(best.get("depth", DEFAULT_DEPTH)),
    )
    # one model: the eager reference (no unchecked fast engine; see hw6lib.mlp.selfcheck)
    out = train_models(
        split.X_fit, split.y_fit, {}, sgd, split.device, False, logger, engine="torch"
    )
    params = {k: torch.from_numpy(v) for k, v in out.params.items()}
    Xt = torch.from_numpy(split.evals["test"][0])
    with torch.no_grad(), flush_denormals(Xt.device):
        parts = [
            torch.sigmoid(forward_logits(params, Xt[s : s + 65536]))[0]
            for s in range(0, Xt.shape[0], 65536)
        ]
    scores = torch.cat(parts).numpy().astype(np.float32)
    record = {
        **({"depth": best["depth"]} if "depth" in best else {}),
        "width": int(best["width"]),
        "lr": float(best["lr"]),
        "batch_size": int(best["batch_size"]),
        "epochs": int(best["epochs"]),
        "momentum": float(best.get("momentum", 0.0)),
        "seed": seed,
        "threshold": THRESHOLD,
        "train_loss": [float(e["train_loss"]) for e in out.models[0]["epochs"]],
        "test": classification_metrics(split.y_test, scores > THRESHOLD).to_json(),
    }
    return record, scores
