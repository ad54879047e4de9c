"""Does the MLP beat the decision tree? One decision, with its tolerance, for every section.

The MLP is trained once per seed, so its test F1 is a mean with a spread; the default tree is
deterministic, one number. The MLP is said to beat the tree only when its mean test F1 exceeds
the tree's by more than the spread (the standard deviation over seeds of the MLP's test F1), to
lose when it falls short by more than that, and to be within the spread otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hw6lib.pipeline.resultfiles import Record

#: What the tolerance is, for the report.
TOLERANCE_RULE = "the standard deviation over seeds of the MLP's test F1"

#: The possible outcomes of :func:`mlp_vs_tree`.
OUTCOMES: tuple[str, ...] = ("mlp", "tree", "within_spread")


@dataclass(frozen=True)
class Verdict(Record):
    """Whether the MLP beats the tree (:func:`mlp_vs_tree`).

    Attributes
    ----------
    mlp_f1_mean, mlp_f1_sd : float or None
        The MLP's test F1 over the seeds that did not diverge (sd with ddof 1; ``None`` with
        fewer than two seeds; the mean ``None`` when every seed diverged).
    n_seeds : int
        Seeds that did not diverge.
    tree_f1 : float
    difference : float or None
        MLP minus tree; ``None`` when every seed diverged.
    tolerance : float
        The sd, 0 when unknown.
    tolerance_rule : str
    spread_known, gap_exceeds_spread : bool
    outcome : {"mlp", "tree", "within_spread"}
        ``"mlp"``: better by more than the tolerance; ``"tree"``: worse by more than it, or
        every seed diverged.
    """

    mlp_f1_mean: float | None
    mlp_f1_sd: float | None
    n_seeds: int
    tree_f1: float
    difference: float | None
    tolerance: float
    tolerance_rule: str
    spread_known: bool
    gap_exceeds_spread: bool
    outcome: str


def mlp_vs_tree(mlp_test_f1: Sequence[float | None], tree_test_f1: float) -> Verdict:
    """Compare the MLP's test F1 over seeds with the tree's.

    Parameters
    ----------
    mlp_test_f1 : sequence of float or None
        The chosen MLP configuration's test F1, one per seed (``None`` for a seed that
        diverged; such seeds are left out of the mean and spread).
    tree_test_f1 : float
        The decision tree's test F1.

    Returns
    -------
    Verdict
    """
    v = np.array([x for x in mlp_test_f1 if x is not None and math.isfinite(x)], dtype=float)
    tree = float(tree_test_f1)
    mean = float(v.mean()) if v.size else None
    sd = float(v.std(ddof=1)) if v.size > 1 else None
    tol = sd if sd is not None else 0.0
    diff = None if mean is None else mean - tree
    if diff is None or diff < -tol:
        outcome = "tree"
    elif diff > tol:
        outcome = "mlp"
    else:
        outcome = "within_spread"
    return Verdict(
        mlp_f1_mean=mean,
        mlp_f1_sd=sd,
        n_seeds=int(v.size),
        tree_f1=tree,
        difference=diff,
        tolerance=tol,
        tolerance_rule=TOLERANCE_RULE,
        spread_known=sd is not None,
        gap_exceeds_spread=outcome != "within_spread",
        outcome=outcome,
    )
