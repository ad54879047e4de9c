"""One decision for "does the MLP beat the tree?", with the spread over seeds as tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from hw6lib.report.verdict import mlp_vs_tree


def test_gap_larger_than_the_spread_decides() -> None:
    f1 = [0.97, 0.98, 0.99]  # mean 0.98, sd 0.01
    v = mlp_vs_tree(f1, 0.9993)
    assert v.outcome == "tree" and v.gap_exceeds_spread
    assert v.mlp_f1_mean == pytest.approx(0.98)
    assert v.tolerance == pytest.approx(np.std(f1, ddof=1)) == v.mlp_f1_sd
    assert v.difference == pytest.approx(0.98 - 0.9993)
    assert mlp_vs_tree(f1, 0.95).outcome == "mlp"


def test_gap_within_the_spread_is_no_winner() -> None:
    # 0.9993 lies 0.0193 above the mean, within 2 x 0.01 but more than one sd: tree
    assert mlp_vs_tree([0.97, 0.98, 0.99], 0.9993).outcome == "tree"
    v = mlp_vs_tree([0.97, 0.98, 0.99], 0.985)  # 0.005 above the mean, sd 0.01
    assert v.outcome == "within_spread" and not v.gap_exceeds_spread
    assert mlp_vs_tree([0.97, 0.98, 0.99], 0.975).outcome == "within_spread"


def test_diverged_seeds_and_single_seeds() -> None:
    v = mlp_vs_tree([0.98, None, 0.99], 0.9)
    assert v.n_seeds == 2 and v.mlp_f1_mean == pytest.approx(0.985)
    one = mlp_vs_tree([0.98], 0.98)
    assert one.mlp_f1_sd is None and not one.spread_known
    assert one.tolerance == 0.0 and one.outcome == "within_spread"
    assert mlp_vs_tree([0.98], 0.99).outcome == "tree"
    dead = mlp_vs_tree([None, None], 0.99)
    assert dead.outcome == "tree" and dead.mlp_f1_mean is None


@pytest.mark.parametrize(
    ("f1", "tree", "start"),
    [
        ([0.97, 0.98, 0.99], 0.9993, "No: the default decision tree"),
        ([0.97, 0.98, 0.99], 0.95, "Yes: the best MLP"),
        ([0.97, 0.98, 0.99], 0.985, "No clear winner"),
        ([None, None], 0.99, "No: every seed of the best MLP diverged"),
    ],
)
def test_the_report_states_the_computed_outcome(f1, tree, start) -> None:
    """The sentence both report sections print states the outcome mlp_vs_tree chose."""
    from hw6lib.report.narrative.mlp import verdict_sentence

    html = verdict_sentence(mlp_vs_tree(f1, tree))
    assert html.startswith(start)
    assert "standard deviation over seeds" in html
