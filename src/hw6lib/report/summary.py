"""The answers at the top of the report: one record per homework question, with its numbers.

Every number here is copied from a result file (the Problem 1 fits and comparison, the split
summary, the decision tree's metrics and the MLP grid's best configuration); the report's
summary shows these and nothing else, and a test checks them against the result files.
The summary is a :class:`Summary` record; ``results/summary.json`` is its ``to_json()``.

Where the summary repeats a fact of another result file (where the best configuration lies in
the grid, the configurations near it), it holds the very record of that file
(:class:`hw6lib.mlp.grid.GridEdges`, :class:`hw6lib.mlp.grid.NearBest`): the report words each
such fact once, from ``results/mlp/best.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hw6lib.mlp.grid import BestSummary, GridConfig, GridEdges, NearBest
from hw6lib.mlp.replication import PublishedReplication
from hw6lib.pipeline.resultfiles import Record
from hw6lib.problem1.depths import DepthComparison, DepthFit, VsPublished
from hw6lib.problem1.gradcheck import GradientCheck, GradientClaims
from hw6lib.report.verdict import Verdict, mlp_vs_tree

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


@dataclass(frozen=True)
class VsPublishedAnswer(Record):
    """How the published recipe's rerun compares with the published numbers.

    A few fields of ``vs_published`` of :func:`hw6lib.problem1.depths.fit_depth`:
    ``counts_verdict``, whether the training error and weights lie within the stopping rule's bound
    of the minimum they stop near (that minimum, the gap and the bound), whether the recipe checks
    hold.
    """

    counts_verdict: str
    fun_rel_diff: float
    fun_in_envelope: bool
    weights_in_envelope: bool
    minimum_fun: float
    minimum_weights: list[float]
    fun_above_minimum: float
    bound_fun_rel: float | None
    bound_weights_abs: list[float]
    recipe_ok: bool


@dataclass(frozen=True)
class NetAnswer(Record):
    """One depth of Problem 1: the published-recipe fit from zeros, the best multi-start minimum.

    ``n_minima`` distinct minima were found from ``starts`` starts in the box of half-width
    ``box``; ``best_count`` of them reached the best; ``published`` compares the recipe's rerun
    with the published numbers (``None`` where none are published).
    """

    depth: int
    zeros_weights: list[float]
    zeros_mse: float
    best_weights: list[float]
    best_mse: float
    n_minima: int
    starts: int
    best_count: int
    box: float
    published: VsPublishedAnswer | None


@dataclass(frozen=True)
class Problem1Answers(Record):
    """Problem 1's answers.

    Per depth (``nets``), whether the 1-layer net contains the truth, the 2-layer
    best fit's limits at minus and plus infinity, and the gradient check's ``claims``.
    """

    nets: list[NetAnswer]
    one_layer_contains_truth: bool | None
    two_layer_limits: list[float]
    gradcheck: GradientClaims | None


@dataclass(frozen=True)
class MlpAnswer(GridConfig):
    """The best MLP configuration (:class:`hw6lib.mlp.grid.GridConfig`).

    With its validation and test scores (means over seeds), the
    test F1's sd and the mean test confusion counts (:func:`mean_confusion`).
    """

    schedule: str
    seeds: int
    valid_f1: float | None
    test_accuracy: float | None
    test_f1: float | None
    test_f1_sd: float | None
    test_confusion: dict[str, float]


@dataclass(frozen=True)
class TreeAnswer(Record):
    """The default tree: test accuracy and F1, depth, leaves, test confusion counts."""

    test_accuracy: float
    test_f1: float
    depth: int
    leaves: int
    test_confusion: dict[str, int]


@dataclass(frozen=True)
class PublishedRunRange(Record):
    """Range over the epochs of the printed test accuracy (%), ours and published."""

    epochs: int
    accuracy_min: float
    accuracy_max: float
    published_accuracy_min: float
    published_accuracy_max: float


@dataclass(frozen=True)
class Problem2Answers(Record):
    """Problem 2's answers.

    The data ``source`` and split ``rows``, the best MLP, the tree, the ``verdict``
    (:func:`hw6lib.report.verdict.mlp_vs_tree`) with its difference and outcome, where the best lies
    in the grid (``edges``, ``near_best``: the records of ``results/mlp/best.json``) and the
    published run's accuracy range.
    """

    source: dict[str, Any]
    rows: dict[str, int]
    mlp: MlpAnswer
    tree: TreeAnswer
    verdict: Verdict
    mlp_minus_tree_f1: float | None
    mlp_beats_tree: bool
    edges: GridEdges
    near_best: NearBest
    published_run: PublishedRunRange | None


@dataclass(frozen=True)
class Summary(Record):
    """The answers of both problems (``results/summary.json``)."""

    problem1: Problem1Answers
    problem2: Problem2Answers


def build_summary(
    fits: Sequence[DepthFit],
    compare: DepthComparison,
    card: dict[str, Any],
    tree: dict[str, Any],
    mlp_best: BestSummary,
    gradcheck: GradientCheck | None = None,
    published_run: PublishedReplication | None = None,
) -> Summary:
    """Collect the numbers that answer each homework question.

    Parameters
    ----------
    fits : sequence of hw6lib.problem1.depths.DepthFit
        Per-depth Problem 1 results (:func:`hw6lib.problem1.depths.fit_depth`).
    compare : hw6lib.problem1.depths.DepthComparison
        :func:`hw6lib.problem1.depths.compare_depths`.
    card : dict
        The split summary (``results/card/split/summary.json``).
    tree : dict
        The default tree's metrics (``results/card/tree/metrics.json``).
    mlp_best : hw6lib.mlp.grid.BestSummary
        :func:`hw6lib.mlp.grid.best_summary` (``BestSummary.from_json`` of its file).
    gradcheck : hw6lib.problem1.gradcheck.GradientCheck, optional
        :func:`hw6lib.problem1.gradcheck.check_gradients` (its ``claims`` are copied).
    published_run : hw6lib.mlp.replication.PublishedReplication, optional
        :func:`hw6lib.mlp.replication.replicate_published` (the range of its printed accuracy
        over the epochs, ours and the published solution's).

    Returns
    -------
    Summary
    """
    by_depth = {f.depth: f for f in fits}
    nets = []
    for depth in sorted(by_depth):
        f = by_depth[depth]
        nets.append(
            NetAnswer(
                depth=depth,
                zeros_weights=f.published_reproduction.weights,
                zeros_mse=f.published_reproduction.fun,
                best_weights=f.multistart.best.weights,
                best_mse=f.multistart.best.fun,
                n_minima=len(f.multistart.minima),
                starts=len(f.multistart.starts),
                best_count=f.multistart.best.count,
                box=f.design.box,
                published=_vs_published(f.vs_published),
            )
        )
    two = next(r for r in compare.rows if r.depth == 2)
    b = mlp_best.best
    tt = tree["test"]
    verdict = mlp_vs_tree([r["test_f1"] for r in b.rows], tt["f1"])
    return Summary(
        problem1=Problem1Answers(
            nets=nets,
            one_layer_contains_truth=compare.one_layer_contains_truth,
            two_layer_limits=[two.limit_minus_inf, two.limit_plus_inf],
            gradcheck=None if gradcheck is None else gradcheck.claims,
        ),
        problem2=Problem2Answers(
            source=card["source"],
            rows={k: card["rows"][k] for k in ("train", "test")},
            mlp=MlpAnswer(
                depth=b.depth,  # named where the grid names it
                width=b.width,
                lr=b.lr,
                batch_size=b.batch_size,
                epochs=b.epochs,
                momentum=b.momentum,
                schedule=mlp_best.schedule,
                seeds=len(b.seeds),
                valid_f1=b.valid_f1.mean,
                test_accuracy=b.test_accuracy.mean,
                test_f1=b.test_f1.mean,
                test_f1_sd=b.test_f1.sd,
                test_confusion=mean_confusion(b.rows, "test"),
            ),
            tree=TreeAnswer(
                test_accuracy=tt["accuracy"],
                test_f1=tt["f1"],
                depth=tree["depth"],
                leaves=tree["leaves"],
                test_confusion={k: tt[k] for k in CONFUSION_KEYS},
            ),
            verdict=verdict,
            mlp_minus_tree_f1=verdict.difference,
            mlp_beats_tree=verdict.outcome == "mlp",
            edges=mlp_best.edges,
            near_best=mlp_best.near_best,
            published_run=_published_run(published_run),
        ),
    )


def _vs_published(vs: VsPublished | None) -> VsPublishedAnswer | None:
    """Return the few fields of the published recipe's rerun against the published numbers."""
    if vs is None:
        return None
    return VsPublishedAnswer(
        counts_verdict=vs.counts_verdict,
        fun_rel_diff=vs.fun_rel_diff,
        fun_in_envelope=vs.fun_in_envelope,
        weights_in_envelope=vs.weights_in_envelope,
        minimum_fun=vs.minimum.fun,
        minimum_weights=vs.minimum.weights,
        fun_above_minimum=vs.fun_above_minimum,
        bound_fun_rel=vs.bound.fun_rel,
        bound_weights_abs=vs.bound.weights_abs,
        recipe_ok=all(vs.recipe.values()),
    )


def _published_run(run: PublishedReplication | None) -> PublishedRunRange | None:
    """Range over the epochs of the printed test accuracy (%), ours and published."""
    if run is None:
        return None
    ours = [e.printed.accuracy for e in run.epochs]
    theirs = list(run.published["accuracy"])
    return PublishedRunRange(
        epochs=len(ours),
        accuracy_min=min(ours),
        accuracy_max=max(ours),
        published_accuracy_min=min(theirs),
        published_accuracy_max=max(theirs),
    )
