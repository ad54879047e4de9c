"""The report's sentences: every choice between wordings, made in Python from the result files.

The templates under ``reports/templates`` only print values and loop over lists. Wherever the
report says one thing or another depending on a result (does the MLP beat the tree, did the
gradient check pass, is the data the real file, which grid edge the best configuration lies on),
the choice is made here, by a function of the result record it depends on, and returned as an
HTML fragment (:class:`markupsafe.Markup`: the literal wording is ours, every value is escaped,
numbers of the answers are ``<data>`` elements holding the exact value) or as plain rows for a
table. :func:`report_narrative` gathers them for :func:`hw6lib.report.render.build_context`; the
templates read them as ``narrative.<section>.<name>``. One module per part of the report:
:mod:`.problem1`, :mod:`.card` (Problem 2 data and the tree), :mod:`.mlp`, :mod:`.runinfo`.

The wording lives here, not in the science modules, on purpose: every rule carries a digest of
the hw6lib modules its script imports, so a change of wording reruns only the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from hw6lib.report.narrative.card import (
    SourceText,
    depth_limit,
    feature_rows,
    source_text,
    split_rows,
    tree_curve_sentence,
)
from hw6lib.report.narrative.mlp import (
    diverged_clause,
    edges_sentence,
    epochs_clause,
    grid_values,
    mark_chosen_rows,
    near_sentence,
    network_text,
    published_rows,
    retrained_sentence,
    schedule_clause,
    schedule_text,
    selection_text,
    verdict_sentence,
)
from hw6lib.report.narrative.problem1 import Problem1Narrative, by_depth, problem1_narrative
from hw6lib.report.narrative.runinfo import provenance_sentences


@dataclass(frozen=True)
class ReportNarrative:
    """Every sentence choice of the report (:func:`report_narrative`), by section.

    ``source`` (:func:`~hw6lib.report.narrative.card.source_text`), ``p1``
    (:func:`~hw6lib.report.narrative.problem1.problem1_narrative`) and ``verdict``
    (:func:`~hw6lib.report.narrative.mlp.verdict_sentence`, said twice); ``data``, ``tree``,
    ``mlp``, ``answers``, ``provenance`` and ``scores``: the values each section's template prints,
    by name.
    """

    source: SourceText
    data: dict[str, Any]
    p1: Problem1Narrative
    tree: dict[str, Any]
    mlp: dict[str, Any]
    answers: dict[str, Any]
    verdict: Markup
    provenance: dict[str, Markup]
    scores: dict[str, Any]


def report_narrative(context: Mapping[str, Any]) -> ReportNarrative:
    """Every sentence choice of the report, from the loaded result files.

    Parameters
    ----------
    context : mapping
        The loaded inputs by section (:func:`hw6lib.report.render.build_context`): ``p1``, ``data``,
        ``tree``, ``mlp`` (its ``best`` a :class:`hw6lib.mlp.grid.BestSummary`), ``summary``
        (a :class:`hw6lib.report.summary.Summary`), ``provenance``.

    Returns
    -------
    ReportNarrative
        Each fact is worded once,
        from the result file that holds it: where the best configuration lies in the grid and
        which configurations are near it (``mlp.edges``, ``mlp.near_best``) from
        ``results/mlp/best.json``, whichever section prints them.
    """
    best = context["mlp"]["best"]
    p2 = context["summary"].problem2
    split = context["data"]["summary"]
    return ReportNarrative(
        source=source_text(split["source"]),
        data={"split_rows": split_rows(split), "feature_rows": feature_rows(split)},
        p1=problem1_narrative(context["p1"]),
        tree={
            "depth_limits": [depth_limit(r["max_depth"]) for r in context["tree"]["sweep"]["trees"]]
        },
        mlp={
            **network_text(grid_values(context["mlp"]["grid"])["depths"]),
            "schedule_text": schedule_text(best.schedule),
            "selection": selection_text(best.best.depth is not None),
            "grid_values": grid_values(context["mlp"]["grid"]),
            "epochs_clause": epochs_clause(best.schedule, best.max_epochs),
            "diverged_clause": diverged_clause(best),
            "edges": edges_sentence(best.edges),
            "near_best": near_sentence(best.near_best),
            "grid_rows": mark_chosen_rows(context["mlp"]["grid"], best.best),
            "published_rows": published_rows(context["mlp"]["published"], best.best),
        },
        answers={
            "one": by_depth(context["summary"].problem1.nets, 1),
            "two": by_depth(context["summary"].problem1.nets, 2),
            "schedule_clause": schedule_clause(p2.mlp.schedule),
        },
        verdict=verdict_sentence(p2.verdict),
        provenance=provenance_sentences(context["provenance"]),
        scores={
            "retrained": retrained_sentence(context["scores"]["pr"]["mlp_model"], best.best)
            if context.get("scores")
            else "",
            "tree_curve": tree_curve_sentence(context["tree"]["metrics"]),
        },
    )
