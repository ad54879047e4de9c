"""What the report says about the MLP grid and its comparison with the tree.

Where the best configuration lies, which others are as good, whether it beats the tree, and the
rows of the grid and published-run tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from hw6lib.mlp.schedule import CONSTANT, SCHEDULES, STEP_GAMMA, STEP_MILESTONES, decays
from hw6lib.mlp.shape import DEFAULT_DEPTH
from hw6lib.report.htmltext import data_element

if TYPE_CHECKING:  # the records' types only: the wording needs none of their modules
    from hw6lib.mlp.grid import (
        BestConfig,
        BestSummary,
        ConfigSummary,
        EdgeDimension,
        GridEdges,
        Leader,
        NearBest,
    )
    from hw6lib.mlp.replication import PublishedReplication
    from hw6lib.report.verdict import Verdict

#: Numbers of hidden layers in words.
_COUNT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def network_text(depth: int | Sequence[int]) -> dict[str, str]:
    """Name the network of the grid from its depth (``mlp.depth``: one or a list).

    Parameters
    ----------
    depth : int or sequence of int
        Hidden layers; a list when the grid varies it.

    Returns
    -------
    dict
        ``name`` ("two-ReLU-layer network", or "ReLU network of 1 or 3 hidden layers"),
        ``short`` ("two-ReLU" or "ReLU", before "MLP"), ``tex`` (the layers as a formula, with
        ``d`` for the depth when it varies) and ``depths_clause`` (the depths tried, for the
        sentence on the grid; empty for one depth).
    """
    depths = sorted(depth) if isinstance(depth, Sequence) else [int(depth)]
    linear, relu = r"\mathrm{Linear}", r"\mathrm{ReLU}"
    if len(depths) == 1:
        d = depths[0]
        word = _COUNT_WORDS[d] if d < len(_COUNT_WORDS) else str(d)
        layers = [f"{linear}(7,h)", relu, *[f"{linear}(h,h)", relu] * (d - 1), f"{linear}(h,1)"]
        return {
            "name": f"{word}-ReLU-layer network",
            "short": f"{word}-ReLU",
            "tex": r" \to ".join(layers),
            "depths_clause": "",
        }
    tried = ", ".join(map(str, depths[:-1])) + f" or {depths[-1]}"
    return {
        "name": f"ReLU network of {tried} hidden layers",
        "short": "ReLU",
        "tex": rf"{linear}(7,h) \to {relu} \to ({linear}(h,h) \to {relu})^{{d-1}} "
        rf"\to {linear}(h,1)",
        "depths_clause": f"hidden layers d = {', '.join(map(str, depths))}; ",
    }


def edge_phrase(e: EdgeDimension) -> Markup:
    """One dimension of :func:`hw6lib.mlp.grid.grid_edges` as a phrase.

    Parameters
    ----------
    e : hw6lib.mlp.grid.EdgeDimension
        One of ``dimensions``.

    Returns
    -------
    Markup
        E.g. "width 32 is the largest tried; 64, not tried, would be the next".
    """
    head = Markup("{} {}").format(e.name, data_element(e.value))
    kind = e.kind
    if kind == "interior":
        diverged = ""
        if e.above_diverged:
            diverged = Markup("; {} seed{} diverged at {}").format(
                data_element(e.above_diverged),
                "s" if e.above_diverged != 1 else "",
                data_element(e.above),
            )
        return head + Markup(" lies inside the grid ({} and {} tried{})").format(
            data_element(e.below), data_element(e.above), diverged
        )
    if kind == "open":
        which = {"lowest": "smallest", "highest": "largest", "only": "only value"}[e.position]
        new_run = (
            " (a new run of that many epochs: the schedule decays over the whole run)"
            if e.new_run
            else ""
        )
        return head + Markup(" is the {} tried; {}, not tried, would be the next{}").format(
            which, data_element(e.next), new_run
        )
    if kind == "closed_diverged":
        return head + Markup(" is the largest tried, and seeds diverged at it: a closed edge")
    end = "smallest" if e.position == "lowest" else "largest"
    return head + Markup(" is the {0} tried and the {0} possible: a closed edge").format(end)


def edges_sentence(edges: GridEdges) -> Markup:
    """Where the chosen configuration lies in the grid, every dimension (ends with ".").

    Parameters
    ----------
    edges : hw6lib.mlp.grid.GridEdges
        :func:`hw6lib.mlp.grid.grid_edges`.

    Returns
    -------
    Markup
        Follows "The chosen configuration lies ".
    """
    if edges.interior:
        lead = Markup("inside the grid, or on a closed edge, on every dimension: ")
    else:
        lead = Markup("on the grid's open edge in {}: ").format(", ".join(edges.open))
    return lead + Markup("; ").join(edge_phrase(e) for e in edges.dimensions) + "."


def near_sentence(nb: NearBest) -> Markup:
    """Which configurations are indistinguishable from the best on validation F1.

    Parameters
    ----------
    nb : hw6lib.mlp.grid.NearBest
        :func:`hw6lib.mlp.grid.near_best`.

    Returns
    -------
    Markup
    """
    sd = data_element(nb.sd, 4, "f")
    if nb.n <= 1:
        return Markup(
            "No other configuration scores within one standard deviation over seeds ({}) of "
            "the best's validation F1."
        ).format(sd)
    take = Markup("; ").join(
        Markup("{} {}").format(dim.name, Markup(", ").join(data_element(x) for x in dim.values))
        for dim in nb.values
    )
    return Markup(
        "{} of the {} configurations score within one standard deviation over seeds ({}) of "
        "the best's validation F1, indistinguishable from it on these seeds; they take {}."
    ).format(data_element(nb.n), data_element(nb.n_configurations), sd, take)


#: The answer when the MLP wins or the two lie within the spread (``gap`` is MLP minus tree).
_MLP_ANSWERS = {
    "mlp": Markup(
        "Yes: the best MLP's test F1, {mean} ± {sd} over {n} seeds, is {gap} above the default "
        "tree's {tree}, more than the spread over seeds."
    ),
    "within_spread": Markup(
        "No clear winner: the best MLP's test F1, {mean} ± {sd} over {n} seeds, differs from the "
        "default tree's {tree} by {gap}, within the spread over seeds."
    ),
}


def verdict_sentence(vd: Verdict) -> Markup:
    """Answer "does the MLP beat the tree?" as :func:`hw6lib.report.verdict.mlp_vs_tree` decided.

    Parameters
    ----------
    vd : hw6lib.report.verdict.Verdict
        :func:`hw6lib.report.verdict.mlp_vs_tree`.

    Returns
    -------
    Markup
        The answer and the rule of its tolerance.
    """

    def f(x: Any) -> Markup:
        return data_element(x, 4, "f")

    if vd.outcome == "tree" and vd.mlp_f1_mean is None:
        answer = Markup(
            "No: every seed of the best MLP diverged; the default tree's test F1 is {}."
        ).format(f(vd.tree_f1))
    elif vd.outcome == "tree":
        if vd.spread_known:
            spread = Markup(" ± {} over {} seeds: the gap exceeds the spread").format(
                f(vd.mlp_f1_sd), data_element(vd.n_seeds)
            )
        else:
            spread = Markup(" (one seed: no spread to compare with)")
        answer = Markup(
            "No: the default decision tree's test F1, {}, is {} above the best MLP's {}{}."
        ).format(f(vd.tree_f1), f(-vd.difference), f(vd.mlp_f1_mean), spread)
    else:
        answer = _MLP_ANSWERS[vd.outcome].format(
            mean=f(vd.mlp_f1_mean),
            sd=f(vd.mlp_f1_sd),
            n=data_element(vd.n_seeds),
            gap=f(vd.difference),
            tree=f(vd.tree_f1),
        )
    return answer + Markup("\nThe tolerance is {}.").format(vd.tolerance_rule)


def selection_text(with_depth: bool) -> str:
    """How the grid's best configuration is chosen (:func:`hw6lib.mlp.grid.summarise` sorts so).

    ``with_depth``: the grid names the depth (it varies it, or it is not the homework's 2).
    """
    return (
        "highest mean validation F1 over seeds (diverged seeds count as 0); ties: fewer epochs, "
        + ("fewer hidden layers, " if with_depth else "")
        + "narrower, larger batch, smaller learning rate, smaller momentum"
    )


def schedule_text(schedule: str) -> str:
    """Describe the schedule in one sentence (built from :mod:`hw6lib.mlp.schedule`'s constants).

    Raises
    ------
    ValueError
        For an unknown schedule.
    """
    if schedule == CONSTANT:
        return "a constant learning rate in every epoch"
    if schedule == "cosine":
        return (
            "a cosine decay of the learning rate over the run: in epoch e of H it is "
            "(1 + cos(π (e − 1)/H))/2 times the base rate"
        )
    if schedule == "step":
        fr = " and ".join(f"{f:g}" for f in STEP_MILESTONES)
        return (
            f"a step decay of the learning rate: multiplied by {STEP_GAMMA:g} after the "
            f"fractions {fr} of the run's epochs"
        )
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; one of {SCHEDULES}")


def grid_values(grid: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """List the values each dimension of the grid took, from its rows (results/mlp/grid.json).

    Parameters
    ----------
    grid : sequence of mapping
        One row per configuration, epoch count and seed.

    Returns
    -------
    dict
        ``depths`` (:data:`~hw6lib.mlp.shape.DEFAULT_DEPTH` where the rows do not name it),
        ``widths``, ``learning_rates``, ``batch_sizes``, ``momentums``, ``epochs`` and
        ``seeds``: each the sorted distinct values of its column.
    """
    depths = sorted({int(r.get("depth", DEFAULT_DEPTH)) for r in grid})
    columns = {
        "widths": "width",
        "learning_rates": "lr",
        "batch_sizes": "batch_size",
        "momentums": "momentum",
        "epochs": "epochs",
        "seeds": "seed",
    }
    return {"depths": depths} | {
        name: sorted({r[col] for r in grid}) for name, col in columns.items()
    }


def schedule_clause(schedule: str) -> str:
    """Name the schedule after the best configuration (nothing when the rate is constant)."""
    return "" if not decays(schedule) else f", {schedule} learning-rate schedule"


def epochs_clause(schedule: str, max_epochs: int) -> str:
    """Why the epochs of the grid are not shorter runs, when the learning rate decays."""
    if not decays(schedule):
        return ""
    return (
        f", whose learning rate decays over all {max_epochs}: the records of an earlier epoch "
        "are not those of a shorter run with the same schedule"
    )


def diverged_clause(best: BestSummary) -> str:
    """How many trained models diverged, and by which rule; nothing when none did.

    Parameters
    ----------
    best : hw6lib.mlp.grid.BestSummary
        Its ``n_diverged_models`` and ``divergence_rule``.

    Returns
    -------
    str
    """
    n = best.n_diverged_models
    if not n:
        return ""
    return (
        f", of which {n} diverged ({best.divergence_rule}; they are marked in the table and "
        "the heatmaps)"
    )


def mark_chosen_rows(
    grid: Sequence[Mapping[str, Any]], best: ConfigSummary
) -> list[dict[str, Any]]:
    """Mark the rows of ``results/mlp/grid.json`` that are the chosen configuration (``best``).

    Parameters
    ----------
    grid : sequence of mapping
        One record per configuration and seed.
    best : hw6lib.mlp.grid.ConfigSummary
        The chosen configuration (``best`` of :func:`hw6lib.mlp.grid.best_summary`).

    Returns
    -------
    list of dict
    """
    keys = ("depth",) * (best.depth is not None) + (
        "width",
        "lr",
        "batch_size",
        "epochs",
        "momentum",
    )
    return [{**r, "best": all(r[k] == getattr(best, k) for k in keys)} for r in grid]


def published_rows(published: PublishedReplication, best: Leader) -> list[dict[str, Any]]:
    """Build the published run's table: per epoch, published, replication, best MLP.

    Parameters
    ----------
    published : hw6lib.mlp.replication.PublishedReplication
        :func:`hw6lib.mlp.replication.replicate_published`.
    best : hw6lib.mlp.grid.Leader
        The chosen configuration (its ``curve``: the mean over seeds after every epoch).

    Returns
    -------
    list of dict
        ``epoch``; ``published`` (accuracy, precision and recall of the last batch as published,
        strings, "—" beyond the published epochs); ``printed`` (the same as the replication
        prints them); ``correct`` (precision, recall and F1 of the replication on all test
        rows, %); ``best`` (test accuracy, precision, F1 of the best MLP, %; ``None`` where
        missing).
    """
    pub = published.published
    curve = best.curve

    def pct(x: Any) -> float | None:
        return None if x is None else 100 * x

    rows = []
    for i, r in enumerate(published.epochs):
        c = curve[i] if i < len(curve) else None
        rows.append(
            {
                "epoch": r.epoch,
                "published": [
                    str(pub[k][i]) if i < len(pub[k]) else "—"
                    for k in ("accuracy", "precision_last_batch", "recall_last_batch")
                ],
                "printed": [
                    getattr(r.printed, k)
                    for k in ("accuracy", "precision_last_batch", "recall_last_batch")
                ],
                "correct": [pct(getattr(r.correct, k)) for k in ("precision", "recall", "f1")],
                "best": [
                    pct(getattr(c, k, None)) for k in ("test_accuracy", "test_precision", "test_f1")
                ],
            }
        )
    return rows


def retrained_sentence(mlp_model: Mapping[str, Any], best: BestConfig) -> Markup:
    """Say what the network of the precision-recall curves is: the grid’s model retrained alone.

    Parameters
    ----------
    mlp_model : mapping
        :func:`hw6lib.mlp.scores.best_mlp_scores`'s record (``seed``, ``test``).
    best : hw6lib.mlp.grid.BestConfig
        ``best`` of :func:`hw6lib.mlp.grid.best_summary` (its ``rows``, one per seed).

    Returns
    -------
    Markup
        The sentence, with both test F1 scores at 1/2 (the retrained model's and the grid's).
    """
    grid = next((r for r in best.rows if r["seed"] == mlp_model["seed"]), None)
    grid_f1 = None if grid is None else grid["test_f1"]
    return Markup(
        "retrained alone with seed {}, its seed with the highest validation F1: the same rows, "
        "initial weights, shuffles and schedule as the grid’s model of that seed, so the same "
        "model up to float32 rounding (the grid trains its models batched together), not bit for "
        "bit: its test F1 at 1/2 is {}, the grid’s model’s {}."
    ).format(
        mlp_model["seed"],
        data_element(mlp_model["test"]["f1"], 6, "f"),
        data_element(grid_f1, 6, "f"),
    )
