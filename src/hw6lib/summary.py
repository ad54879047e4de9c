"""The answers at the top of the report: one record per homework question, with its numbers.

Every number here is copied from a result file (the Problem 1 fits and comparison, the split
summary, the decision tree's metrics and the MLP grid's best configuration); the report's
summary shows these and nothing else, and a test checks them against the result files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hw6lib.verdict import mlp_vs_tree

CONFUSION_KEYS = ("tp", "fp", "tn", "fn")


def mean_confusion(rows: Sequence[dict[str, Any]], split: str = "test") -> dict[str, float]:
    """Mean confusion counts over the seeds of one MLP configuration (diverged seeds skipped).

    Parameters
    ----------
    rows : sequence of dict
        Grid rows of one configuration (``best.rows`` of :func:`hw6lib.mlp.grid.best_summary`).
    split : {"valid", "test"}
        Which rows' counts.

    Returns
    -------
    dict
        ``tp``, ``fp``, ``tn``, ``fn`` averaged over the seeds that did not diverge, and ``seeds``.
    """
    ok = [r for r in rows if r.get(f"{split}_tp") is not None]
    out: dict[str, float] = {
        k: (sum(float(r[f"{split}_{k}"]) for r in ok) / len(ok)) if ok else float("nan")
        for k in CONFUSION_KEYS
    }
    out["seeds"] = len(ok)
    return out


def build_summary(
    fits: Sequence[dict[str, Any]],
    compare: dict[str, Any],
    card: dict[str, Any],
    tree: dict[str, Any],
    mlp_best: dict[str, Any],
    gradcheck: dict[str, Any] | None = None,
    published_run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Collect the numbers that answer each homework question.

    Parameters
    ----------
    fits : sequence of dict
        Per-depth Problem 1 results (:func:`hw6lib.problem1.fit_depth`).
    compare : dict
        :func:`hw6lib.problem1.compare_depths`.
    card : dict
        The split summary (``results/card/split/summary.json``).
    tree : dict
        The default tree's metrics (``results/card/tree/metrics.json``).
    mlp_best : dict
        :func:`hw6lib.mlp.grid.best_summary`.
    gradcheck : dict, optional
        :func:`hw6lib.gradcheck.check_gradients` (its ``claims`` are copied).
    published_run : dict, optional
        :func:`hw6lib.mlp.replication.replicate_published` (the range of its printed accuracy
        over the epochs, ours and the published solution's).

    Returns
    -------
    dict
        ``problem1``: per depth, the published-recipe fit from zeros and the best multi-start
        minimum (weights, training MSE), the number of distinct minima, of starts, of starts
        that reached the best minimum (``best_count``), the half-width of the starts' box and
        ``published`` (how the published recipe's rerun compares with the published numbers:
        ``counts_verdict``, whether the training error and weights lie within the stopping
        rule's bound of the minimum they stop near (and that minimum, the gap and the bound),
        whether the recipe checks hold); ``gradcheck`` (the gradient check's claims);
        ``problem2``: the data source, the best MLP configuration with its validation/test
        accuracy and F1 (mean over seeds), the tree's test accuracy and F1, ``verdict``
        (:func:`hw6lib.verdict.mlp_vs_tree`: does the MLP beat the tree, with the tolerance),
        ``mlp_minus_tree_f1`` and ``mlp_beats_tree`` (the verdict's outcome is ``"mlp"``),
        ``edges`` (where the chosen configuration lies in the grid,
        :func:`hw6lib.mlp.grid.grid_edges`) and ``near_best`` (:func:`hw6lib.mlp.grid.near_best`).
    """
    by_depth = {f["depth"]: f for f in fits}
    nets = []
    for depth in sorted(by_depth):
        f = by_depth[depth]
        nets.append(
            {
                "depth": depth,
                "zeros_weights": f["published_reproduction"]["weights"],
                "zeros_mse": f["published_reproduction"]["fun"],
                "best_weights": f["multistart"]["best"]["weights"],
                "best_mse": f["multistart"]["best"]["fun"],
                "n_minima": len(f["multistart"]["minima"]),
                "starts": len(f["multistart"]["starts"]),
                "best_count": f["multistart"]["best"]["count"],
                "box": f["design"]["box"],
                "published": _vs_published(f.get("vs_published")),
            }
        )
    two = next(r for r in compare["rows"] if r["depth"] == 2)
    b = mlp_best["best"]
    tt = tree["test"]
    verdict = mlp_vs_tree([r["test_f1"] for r in b["rows"]], tt["f1"])
    return {
        "problem1": {
            "nets": nets,
            "one_layer_contains_truth": compare.get("one_layer_contains_truth"),
            "two_layer_limits": [two["limit_minus_inf"], two["limit_plus_inf"]],
            "gradcheck": (gradcheck or {}).get("claims"),
        },
        "problem2": {
            "source": card["source"],
            "rows": {k: card["rows"][k] for k in ("train", "test")},
            "mlp": {
                **({"depth": b["depth"]} if "depth" in b else {}),  # a grid over depths
                "width": b["width"],
                "lr": b["lr"],
                "batch_size": b["batch_size"],
                "epochs": b["epochs"],
                "momentum": b["momentum"],
                "schedule": mlp_best["schedule"],
                "seeds": len(b["seeds"]),
                "valid_f1": b["valid_f1"]["mean"],
                "test_accuracy": b["test_accuracy"]["mean"],
                "test_f1": b["test_f1"]["mean"],
                "test_f1_sd": b["test_f1"]["sd"],
                "test_confusion": mean_confusion(b["rows"], "test"),
            },
            "tree": {
                "test_accuracy": tt["accuracy"],
                "test_f1": tt["f1"],
                "depth": tree["depth"],
                "leaves": tree["leaves"],
                "test_confusion": {k: tt[k] for k in CONFUSION_KEYS},
            },
            "verdict": verdict,
            "mlp_minus_tree_f1": verdict["difference"],
            "mlp_beats_tree": verdict["outcome"] == "mlp",
            "edges": mlp_best["edges"],
            "near_best": mlp_best["near_best"],
            "published_run": _published_run(published_run),
        },
    }


def _vs_published(vs: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the few fields of the published recipe's rerun against the published numbers."""
    if vs is None:
        return None
    return {
        "counts_verdict": vs["counts_verdict"],
        "fun_rel_diff": vs["fun_rel_diff"],
        "fun_in_envelope": vs["fun_in_envelope"],
        "weights_in_envelope": vs["weights_in_envelope"],
        "minimum_fun": vs["minimum"]["fun"],
        "minimum_weights": vs["minimum"]["weights"],
        "fun_above_minimum": vs["fun_above_minimum"],
        "bound_fun_rel": vs["bound"]["fun_rel"],
        "bound_weights_abs": vs["bound"]["weights_abs"],
        "recipe_ok": all(vs["recipe"].values()),
    }


def _published_run(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """Range over the epochs of the printed test accuracy (%), ours and published."""
    if run is None:
        return None
    ours = [e["printed"]["accuracy"] for e in run["epochs"]]
    theirs = list(run["published"]["accuracy"])
    return {
        "epochs": len(ours),
        "accuracy_min": min(ours),
        "accuracy_max": max(ours),
        "published_accuracy_min": min(theirs),
        "published_accuracy_max": max(theirs),
    }
