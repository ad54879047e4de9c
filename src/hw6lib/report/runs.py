"""Runs side by side: answers, differing keys, and the reproducibility envelope.

Each kept run's answers, the keys in which runs differ, and whether two runs of one
configuration agree within the reproducibility envelope.

A run is a working directory holding ``results/`` (the default run is the repository itself;
``make run CONFIG=...`` keeps the others under ``runs/<name>/``). Everything here is read from
its result files: ``results/summary.json`` (the headline answers) and
``results/provenance.json`` (configuration, commit, job times).

The envelope is how far the answers of one configuration move on another CPU or instruction
set, never a typed guess per run: Problem 1's training errors and weights by the bounds of
:data:`FUN_REL`, :data:`FUN_ABS` and :data:`WEIGHTS_REL` (how far a polished minimum moves),
the network's test F1 by its spread over seeds (the tolerance of
:func:`hw6lib.report.verdict.mlp_vs_tree`: a difference smaller than that is not a finding). Choices
(the best configuration, the verdict, the number of minima) and a real data file's SHA-256
must be equal (:func:`answer_within`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from hw6lib.pipeline.config import flatten
from hw6lib.pipeline.resultfiles import JsonValue, read_json

#: How far an answer of Problem 1 may move between two runs of one configuration on other CPUs.
#: The answers are the best minima of the multi-start search, polished with the analytic gradient
#: to ``polish_gtol`` (1e-8 by default), not the published recipe's end point (whose distance
#: from the minimum :func:`hw6lib.problem1.fit.stopping_bound` bounds, about 1e-4 relative): a
#: polished minimum moves by ``g / lambda`` along its flattest direction (Hessian eigenvalue 1.4e-4
#: for the 2-layer net), about 1e-4 in a weight, and its training error by ``g^2 / (2 lambda)``,
#: rounding noise. ``FUN_REL`` bounds the relative difference of a training error, ``FUN_ABS`` the
#: absolute one below which it is rounding noise (the 1-layer net's, of order 1e-12),
#: ``WEIGHTS_REL`` the relative difference of every weight (20x the flat direction's movement, for
#: gradients up to 1e-8 in any direction).
FUN_REL = 5e-7
FUN_ABS = 1e-10
WEIGHTS_REL = 2e-3


@dataclass(frozen=True)
class Run:
    """One kept run, as read from its result files.

    Attributes
    ----------
    name : str
        ``default`` for the repository's own run, else its folder's name.
    path : pathlib.Path
        Its working directory.
    config : dict
        Its configuration (from provenance), ``{}`` when it has none yet.
    summary : dict
        ``results/summary.json``, ``{}`` when absent (an unfinished run).
    provenance : dict
        ``results/provenance.json``, ``{}`` when absent.
    """

    name: str
    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether the run has its summary and provenance."""
        return bool(self.summary and self.provenance)


def _read(path: Path) -> dict[str, JsonValue]:
    """Read a run's JSON document as it is (a run of another commit may lay it out otherwise)."""
    return read_json(path) if path.is_file() else {}


def read_run(path: str | Path, name: str | None = None) -> Run:
    """Read the run in working directory ``path`` (named after its folder unless ``name``)."""
    path = Path(path)
    prov = _read(path / "results" / "provenance.json")
    return Run(
        name=name or path.resolve().name,
        path=path,
        config=prov.get("config", {}),
        summary=_read(path / "results" / "summary.json"),
        provenance=prov,
    )


def differing_keys(runs: Sequence[Run]) -> list[str]:
    """Dotted configuration keys whose values are not the same in every complete run."""
    flat = [flatten(r.config) for r in runs if r.complete]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    return [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]


#: The value of one answer of :func:`headline`: text, a number, weights, or ``None``.
Answer: TypeAlias = "str | float | int | list[float] | None"


def headline(run: Run) -> dict[str, Answer]:
    """Return the answers of a complete run, by name, in table order.

    ``data`` (kind and SHA-256), per depth of Problem 1 the best minimum's training error
    (``p1.depthN.best_mse``), its weights and the number of distinct minima, the tree's test F1,
    the best network's configuration (width, learning rate, batch size, epochs, momentum), its
    test F1 and that F1's standard deviation over seeds, the verdict, the summed wall time of
    the jobs (seconds) and the commit.
    """
    s, prov = run.summary, run.provenance
    out: dict[str, Answer] = {}
    src = s["problem2"]["source"]
    out["data"] = f"{src['kind']} {src['sha256']}"
    for net in s["problem1"]["nets"]:
        d = net["depth"]
        out[f"p1.depth{d}.best_mse"] = net["best_mse"]
        out[f"p1.depth{d}.best_weights"] = net["best_weights"]
        out[f"p1.depth{d}.n_minima"] = net["n_minima"]
    out["tree.test_f1"] = s["problem2"]["tree"]["test_f1"]
    m = s["problem2"]["mlp"]
    # width, learning rate, batch size, epochs, momentum
    out["mlp.best"] = (
        f"{m['width']}, {m['lr']:g}, {m['batch_size']}, {m['epochs']}, {m['momentum']:g}"
    )
    out["mlp.test_f1"] = m["test_f1"]
    out["mlp.test_f1_sd"] = m["test_f1_sd"]
    out["verdict"] = s["problem2"]["verdict"]["outcome"]
    out["job_seconds"] = sum(j["seconds"] or 0.0 for j in prov.get("jobs", []))
    git = prov.get("git", {})
    commit = git.get("commit") or "not in git"
    out["commit"] = commit[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    return out


#: Answers that describe how a run was made, not what it found: never part of the envelope.
NOT_ANSWERS = ("job_seconds", "commit", "mlp.test_f1_sd")


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b)) if a != b else 0.0


def answer_within(key: str, a: Any, b: Any, f1_tolerance: float) -> bool:
    """Whether two values of the answer ``key`` agree within the reproducibility envelope.

    Training errors (``*_mse``): within :data:`FUN_REL` relative or :data:`FUN_ABS` absolute;
    weights: each within :data:`WEIGHTS_REL` relative (or :data:`FUN_ABS` absolute, for a
    weight near zero); the network's test F1: within ``f1_tolerance`` (its spread over seeds);
    the data: a real file's SHA-256 must be equal, the synthetic stand-in's need not (it is
    computed, through ``exp``, whose last bit depends on the instruction set: a result like any
    other, judged by the answers computed from it); everything else (choices, counts, the
    tree's F1) must be equal.
    """
    if key == "data" and str(a).startswith("synthetic ") and str(b).startswith("synthetic "):
        return True
    if key.endswith("_mse"):
        return abs(a - b) <= FUN_ABS or _rel(a, b) <= FUN_REL
    if key.endswith("_weights"):
        return len(a) == len(b) and all(
            abs(x - y) <= FUN_ABS or _rel(x, y) <= WEIGHTS_REL for x, y in zip(a, b, strict=True)
        )
    if key == "mlp.test_f1":
        return abs(a - b) <= f1_tolerance
    return bool(a == b)


def envelope_verdict(a: Run, b: Run, differing_files: Sequence[str]) -> tuple[str, list[str]]:
    """Compare two complete runs of one configuration.

    Parameters
    ----------
    a, b : Run
        The runs.
    differing_files : sequence of str
        The result files in which they differ (``tools/compare_runs.py``'s
        ``compare_runs``: timings and provenance left out, and the report, which names the
        configuration files).

    Returns
    -------
    verdict : str
        ``"identical"`` (no result file differs), ``"within the envelope"`` (files differ,
        every answer within :func:`answer_within`) or ``"outside the envelope"``.
    keys : list of str
        The answers outside the envelope (empty unless the verdict says so).
    """
    if not differing_files:
        return "identical", []
    ha, hb = headline(a), headline(b)
    # the larger of the two runs' spreads over seeds: either run's is a fair measure of noise
    tol = max(ha["mlp.test_f1_sd"], hb["mlp.test_f1_sd"])
    outside = [
        k
        for k in dict.fromkeys([*ha, *hb])
        if k not in NOT_ANSWERS and not answer_within(k, ha.get(k), hb.get(k), tol)
    ]
    return ("outside the envelope" if outside else "within the envelope"), outside


def numeric_leaves(obj: Any, prefix: str = "") -> dict[str, float]:
    """Return every number in a JSON document under its dotted path.

    ``problem2.mlp.test_f1``; list items by index. Booleans are left out.
    """
    out: dict[str, float] = {}
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            out.update(numeric_leaves(v, f"{prefix}{k}."))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(numeric_leaves(v, f"{prefix}{i}."))
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        out[prefix[:-1]] = float(obj)
    return out


def numeric_diff(
    old: Mapping[str, Any], new: Mapping[str, Any], all_values: bool = False
) -> list[dict[str, Any]]:
    """Numbers of two JSON documents side by side, like ``dvc metrics diff``.

    Returns
    -------
    list of dict
        ``path``, ``old``, ``new`` (``None`` where absent) and ``change`` (``new - old``, or
        ``None`` when either is absent), for every path whose number differs (every path with
        ``all_values``), in path order of ``old`` then ``new``.
    """
    a, b = numeric_leaves(old), numeric_leaves(new)
    rows = []
    for path in dict.fromkeys([*a, *b]):
        x, y = a.get(path), b.get(path)
        same = x == y or (x is not None and y is not None and math.isnan(x) and math.isnan(y))
        if same and not all_values:
            continue
        change = y - x if x is not None and y is not None else None
        rows.append({"path": path, "old": x, "new": y, "change": change})
    return rows
