"""The Problem 1 report section: every sentence it chooses follows a value computed in hw6lib.

The section is rendered alone (no Snakemake) from fits of a small data set, with the computed
decisions (count verdict, gradient-check claims, the 1-layer answer) set to each of their values;
the sentences are chosen by :func:`hw6lib.report.narrative.problem1.problem1_narrative` (each branch
is also tested on small records in test_narrative.py).
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import replace
from typing import Any

import pytest
from helpers import REPO, default_config

from hw6lib.problem1.depths import (
    FitSettings,
    VsPublished,
    compare_depths,
    compare_to_published,
    fit_depth,
)
from hw6lib.problem1.fit import stopping_bound
from hw6lib.problem1.gradcheck import check_gradients
from hw6lib.problem1.simulate import simulate
from hw6lib.published import PROBLEM1, PROBLEM1_ENVELOPE
from hw6lib.report.narrative.problem1 import problem1_narrative
from hw6lib.report.render import format_number, make_environment


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    x, y = simulate(5_000, 3)
    p1 = default_config()["problem1"]
    settings = FitSettings.from_config(
        p1["gtol"], {**p1["multistart"], "points": 4, "screen_rows": 2_000}
    )
    fits = [
        # as if the data were the published data
        replace(
            f,
            published=PROBLEM1[f.depth],
            vs_published=compare_to_published(
                f.published_reproduction,
                PROBLEM1[f.depth],
                PROBLEM1_ENVELOPE[f.depth],
                stopping_bound(x, y, f.published_reproduction.weights, 1e-5),
            ),
        )
        for f in (fit_depth(x, y, d, settings) for d in (1, 2))
    ]
    return {
        "config": {"problem1": {"seed": 3}},
        "p1": {
            "fits": fits,
            "compare": compare_depths(fits),
            "gradcheck": check_gradients(x[:1000], y[:1000], [1, 2], 1, 0, p1["gradcheck"]["eps"]),
            "fig_fits": "",
            "fig_residuals": "",
        },
    }


def render(ctx: dict[str, Any]) -> str:
    env = make_environment(REPO / "reports" / "templates")
    narrative = {"p1": problem1_narrative(ctx["p1"])}
    page = env.get_template("sections/problem1.html.j2").render(**ctx, narrative=narrative)
    page = re.sub(r"<math.*?</math>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_no_typed_orders_of_magnitude(context):
    """The orders of magnitude the text states are the results', not typed: the stopping bound
    and the gaps come from ``vs_published``, and change when it does."""
    text = render(context)
    assert "~1e-16" not in text and "~1e-10" not in text

    def two_layer(t: str) -> str:
        t = t[t.index("The 2-layer reproduction") :]
        return t[: t.index("The recipe itself")]

    assert "pin the path down" not in text
    assert "and it does" not in text

    def stated(vs: VsPublished) -> list[str]:
        b, above = (
            format_number(vs.bound.fun_rel, 1, "e"),
            format_number(vs.fun_above_minimum, 2, "e"),
        )
        return [
            f"up to {b} (relative) above the minimum",
            f"lie {above} and ",
            f"(relative), within {b}:",
            f"training error {format_number(vs.minimum.fun, 10)} at",
        ]

    for s in stated(context["p1"]["fits"][1].vs_published):
        assert s in two_layer(text)
    ctx = copy.deepcopy(context)
    two = ctx["p1"]["fits"][1]
    v = two.vs_published
    w = replace(
        v,
        bound=replace(v.bound, fun_rel=v.bound.fun_rel * 3.7),
        fun_above_minimum=v.fun_above_minimum * 3.7,
        minimum=replace(v.minimum, fun=v.minimum.fun * 1.37),
    )
    ctx["p1"]["fits"][1] = replace(two, vs_published=w)
    other = two_layer(render(ctx))
    for s in stated(w):
        assert s in other and s not in two_layer(text)


@pytest.mark.parametrize(
    ("counts", "sentence"),
    [
        ({"nit": 50, "nfev": 252, "njev": 63}, "equal the published ones"),
        (
            {"nit": 49, "nfev": 248, "njev": 62},
            "differ from the published 50, 252, 63, within the spread seen across CPUs (nit 48–51, "
            "nfev 244–252, njev 61–63)",
        ),
        ({"nit": 30, "nfev": 120, "njev": 30}, "lie outside the spread seen across CPUs so far"),
    ],
)
def test_count_sentence_follows_the_verdict(context, counts, sentence):
    ctx = copy.deepcopy(context)
    two = ctx["p1"]["fits"][1]
    repro = replace(two.published_reproduction, **counts)
    vs = compare_to_published(repro, PROBLEM1[2], PROBLEM1_ENVELOPE[2], two.vs_published.bound)
    ctx["p1"]["fits"][1] = replace(two, published_reproduction=repro, vs_published=vs)
    text = render(ctx)
    assert sentence in text
    assert "nfev = 4 × njev" in text or counts["nfev"] != 4 * counts["njev"]


def test_gradient_check_sentences_follow_the_claims(context):
    c = context["p1"]["gradcheck"].claims
    assert c.autograd_within_rounding and c.fd_within_bound
    text = render(context)
    assert "agrees with autograd up to rounding" in text
    assert format_number(c.autograd_max_rel, 2, "e") in text
    ctx = copy.deepcopy(context)
    wrong = replace(c, autograd_within_rounding=False, fd_within_bound=False)
    ctx["p1"]["gradcheck"] = replace(ctx["p1"]["gradcheck"], claims=wrong)
    text = render(ctx)
    assert "does not match autograd" in text and "the gradient is wrong" in text
    assert "up to rounding" not in text


def test_one_layer_sentence_follows_what_bfgs_reached(context):
    o = context["p1"]["compare"].one_layer_from_starts
    assert o.reaches_zero
    assert f"from {o.reached_truth} of the {o.starts} Sobol starts" in render(context)
    ctx = copy.deepcopy(context)
    missed = replace(o, reaches_zero=False, reached_truth=0, truth_fun=None, truth_weights=None)
    ctx["p1"]["compare"] = replace(ctx["p1"]["compare"], one_layer_from_starts=missed)
    assert "None of the 4 Sobol starts leads BFGS to (1, 1)" in render(ctx)
