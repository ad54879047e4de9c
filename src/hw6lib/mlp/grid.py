"""The MLP grid put together: one tidy table of every configuration, and the best one.

A *configuration* is (width, learning rate, batch size, epochs, momentum), and the depth (hidden
layers) where the grid varies it or it is not the homework's 2 (:func:`grid_key`); each is
trained once per seed.
The table has one row per (configuration, seed), with validation and test metrics read off the
per-epoch records of the cell files (:func:`hw6lib.mlp.cell.train_cell`): the number of epochs is a
grid dimension without retraining. The best configuration maximises the mean validation F1 over
seeds (a diverged seed counts as F1 = 0); test rows never choose anything.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from hw6lib.mlp.divergence import divergence_rule
from hw6lib.mlp.schedule import CONSTANT, SCHEDULES, STEP_GAMMA, STEP_MILESTONES, decays
from hw6lib.mlp.shape import DEFAULT_DEPTH
from hw6lib.pipeline.resultfiles import OPTIONAL, Record, atomic_open

if TYPE_CHECKING:
    from hw6lib.mlp.cellfile import Cell

#: Metrics copied into the table, for each of "valid" and "test".
METRICS: tuple[str, ...] = ("loss", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn")
#: Metrics summarised as mean and standard deviation over seeds.
SUMMARY_METRICS: tuple[str, ...] = ("loss", "accuracy", "precision", "recall", "f1")


def cell_depth(cell: Cell) -> int:
    """Return the hidden layers of a cell's models (its file names ``depth`` unless it is 2)."""
    return cell.hidden_layers


def grid_key(records: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """Return the keys of a configuration in ``records`` (rows or summaries).

    :data:`KEY`, after ``depth`` where the records name it (:func:`grid_rows` does when a
    cell's depth is not 2).
    """
    return ("depth", *KEY) if records and "depth" in records[0] else KEY


def grid_rows(cells: Sequence[Cell], epochs: Sequence[int]) -> list[dict[str, Any]]:
    """One row per (width, lr, batch size, epochs, momentum, seed), sorted by those keys.

    Parameters
    ----------
    cells : sequence of hw6lib.mlp.cellfile.Cell
        Cell results of :func:`hw6lib.mlp.cell.train_cell`.
    epochs : sequence of int
        Epoch counts to tabulate (each at most the epochs trained).

    Returns
    -------
    list of dict
        Keys ``depth`` (only when some cell's depth is not 2, so that a grid of the homework's
        network keeps its columns), ``width``, ``lr``, ``batch_size``, ``epochs``,
        ``momentum``, ``seed``, ``diverged``,
        ``diverged_epoch``, ``train_loss`` and ``valid_<metric>`` / ``test_<metric>`` for every
        metric in :data:`METRICS` (``None`` once a model has diverged).
    """
    rows = []
    with_depth = {cell_depth(c) for c in cells} - {DEFAULT_DEPTH} != set()
    for cell in cells:
        for e in epochs:
            if not 1 <= e <= cell.epochs:
                raise ValueError(f"epoch count {e} outside 1..{cell.epochs} (cell trained)")
        for model in cell.models:
            for e in epochs:
                rec = model.epochs[e - 1]
                row: dict[str, Any] = {"depth": cell_depth(cell)} if with_depth else {}
                row |= {
                    "width": cell.width,
                    "lr": model.lr,
                    "batch_size": cell.batch_size,
                    "epochs": e,
                    "momentum": model.momentum,
                    "seed": model.seed,
                    "diverged": bool(rec["diverged"]),
                    "diverged_epoch": model.diverged_epoch,
                    "train_loss": rec["train_loss"],
                }
                for split in ("valid", "test"):
                    for k in METRICS:
                        row[f"{split}_{k}"] = None if rec[split] is None else rec[split][k]
                rows.append(row)
    key = grid_key(rows)
    rows.sort(key=lambda r: (*tuple(r[k] for k in key), r["seed"]))
    return rows


@dataclass(frozen=True)
class MeanSd(Record):
    """Mean and standard deviation (ddof 1) over seeds of one metric, non-finite values left out.

    ``mean`` is ``None`` when no value is finite, ``sd`` with fewer than two; ``n`` counts the
    finite values.
    """

    mean: float | None
    sd: float | None
    n: int


def _mean_sd(values: Sequence[float | None]) -> MeanSd:
    v = np.array([np.nan if x is None else float(x) for x in values], dtype=np.float64)
    ok = v[np.isfinite(v)]
    return MeanSd(
        mean=float(ok.mean()) if ok.size else None,
        sd=float(ok.std(ddof=1)) if ok.size > 1 else None,
        n=int(ok.size),
    )


@dataclass(frozen=True)
class GridConfig(Record):
    """One configuration of the grid: ``width``, ``lr``, ``batch_size``, ``epochs``, ``momentum``.

    And ``depth`` where the grid names it (:func:`grid_key`; ``None`` otherwise, and left out of
    the file: the homework's 2). The records that name a configuration extend it.
    """

    depth: int | None = field(default=None, metadata=OPTIONAL, kw_only=True)
    width: int
    lr: float
    batch_size: int
    epochs: int
    momentum: float


#: The keys of a configuration (the fields of :class:`GridConfig` but ``depth``).
KEY: tuple[str, ...] = tuple(f.name for f in fields(GridConfig) if f.name != "depth")


@dataclass(frozen=True)
class ConfigSummary(GridConfig):
    """One configuration of the grid over its seeds (:func:`summarise`).

    The configuration (:class:`GridConfig`, its keys :data:`KEY`);
    ``seeds`` lists its seeds, ``n_diverged`` those that diverged; ``score`` is the selection
    score, the mean validation F1 with diverged seeds counted as 0; ``valid_<m>`` and
    ``test_<m>`` summarise every metric ``m`` of :data:`SUMMARY_METRICS` over the seeds.
    """

    seeds: list[int]
    n_diverged: int
    score: float
    valid_loss: MeanSd
    valid_accuracy: MeanSd
    valid_precision: MeanSd
    valid_recall: MeanSd
    valid_f1: MeanSd
    test_loss: MeanSd
    test_accuracy: MeanSd
    test_precision: MeanSd
    test_recall: MeanSd
    test_f1: MeanSd


@dataclass(frozen=True)
class CurvePoint(Record):
    """One epoch of a learning curve: means over seeds (``None`` where every seed diverged)."""

    epoch: int
    train_loss: float | None
    valid_f1: float | None
    valid_accuracy: float | None
    valid_precision: float | None
    valid_recall: float | None
    valid_loss: float | None
    test_f1: float | None
    test_accuracy: float | None
    test_precision: float | None
    test_recall: float | None
    test_loss: float | None


@dataclass(frozen=True)
class Leader(ConfigSummary):
    """A leading configuration, with its learning ``curve`` (one point per epoch trained)."""

    curve: list[CurvePoint]


@dataclass(frozen=True)
class BestConfig(Leader):
    """The chosen configuration, with its grid ``rows`` (one per seed, :func:`grid_rows`)."""

    rows: list[dict[str, Any]]


def summarise(rows: Sequence[dict[str, Any]]) -> list[ConfigSummary]:
    """Per configuration: mean and sd over seeds of every summary metric, validation and test.

    Returns
    -------
    list of ConfigSummary
        Sorted best first (ties: fewer epochs, fewer hidden layers, narrower, larger batch,
        smaller lr, smaller momentum).
    """
    keys = grid_key(rows)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        s: dict[str, Any] = dict(zip(keys, key, strict=True))
        s["seeds"] = [r["seed"] for r in rs]
        s["n_diverged"] = sum(r["diverged"] for r in rs)
        s["score"] = float(np.mean([r["valid_f1"] or 0.0 for r in rs]))
        for split in ("valid", "test"):
            for k in SUMMARY_METRICS:
                s[f"{split}_{k}"] = _mean_sd([r[f"{split}_{k}"] for r in rs])
        out.append(ConfigSummary(**s))
    out.sort(
        key=lambda s: (
            -s.score,
            s.epochs,
            config_depth(s),
            s.width,
            -s.batch_size,
            s.lr,
            s.momentum,
        )
    )
    return out


@dataclass(frozen=True)
class BestSummary(Record):
    """The grid's outcome (:func:`best_summary`; the file ``results/mlp/best.json``).

    Attributes
    ----------
    best : BestConfig
        The winner: mean and sd over seeds, learning curve, per-seed rows.
    top : list of Leader
        The leading configurations, best first, each with its learning curve.
    selection : str
        How the best was chosen, in words (kept in the file as it was; the report words it
        with :data:`hw6lib.report.narrative.mlp.SELECTION_TEXT`).
    n_configurations, n_models, n_diverged_models : int
    epochs_considered : list of int
        The epoch counts that were candidates.
    n_fit, n_valid, n_test : int
        The data sizes (fitting, validation and test rows).
    momentums : list of float
    schedule : str
        The learning-rate schedule (and ``schedule_text``, in words, kept in the file as it
        was; the report words it with :func:`hw6lib.report.narrative.mlp.schedule_text`).
    max_epochs : int
        The epochs trained.
    edges : GridEdges
        Where the best lies in the grid (:func:`grid_edges`).
    near_best : NearBest
        The configurations within the best's spread over seeds (:func:`near_best`).
    divergence_rule : str
        In words, from :func:`hw6lib.mlp.divergence.divergence_rule`.
    """

    best: BestConfig
    top: list[Leader]
    selection: str
    n_configurations: int
    n_models: int
    n_diverged_models: int
    epochs_considered: list[int]
    n_fit: int
    n_valid: int
    n_test: int
    momentums: list[float]
    schedule: str
    schedule_text: str
    max_epochs: int
    edges: GridEdges
    near_best: NearBest
    divergence_rule: str


# The two sentences results/mlp/best.json has always held, kept there so that the file stays
# byte-identical. The report does not read them: its wording is hw6lib.report.narrative.mlp's
# (SELECTION_TEXT, schedule_text), which this job must not import (a change of wording would
# rerun the grid's summary and everything after it, not only the report); a test checks that
# the two say the same.
def _file_selection(with_depth: bool) -> str:
    return (
        "highest mean validation F1 over seeds (diverged seeds count as 0); ties: fewer epochs, "
        + ("fewer hidden layers, " if with_depth else "")
        + "narrower, larger batch, smaller learning rate, smaller momentum"
    )


def _file_schedule_text(schedule: str) -> str:
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


def best_summary(cells: Sequence[Cell], epochs: Sequence[int], top: int = 5) -> BestSummary:
    """Find the best configuration on validation F1, with its test metrics and learning curves.

    Parameters
    ----------
    cells : sequence of hw6lib.mlp.cellfile.Cell
        Cell results of :func:`hw6lib.mlp.cell.train_cell`.
    epochs : sequence of int
        Epoch counts that are candidates for selection.
    top : int
        Number of leading configurations whose learning curves are kept.

    Returns
    -------
    BestSummary
    """
    rows = grid_rows(cells, epochs)
    summaries = summarise(rows)
    by_cell = {(cell_depth(c), c.width, c.batch_size): c for c in cells}
    leaders = []
    for s in summaries[:top]:
        cell = by_cell[(config_depth(s), s.width, s.batch_size)]
        models = [m for m in cell.models if m.lr == s.lr and m.momentum == s.momentum]
        curve = []
        for e in range(1, cell.epochs + 1):
            recs = [m.epochs[e - 1] for m in models]
            point: dict[str, Any] = {"epoch": e}
            point["train_loss"] = _mean_sd([r["train_loss"] for r in recs]).mean
            for split in ("valid", "test"):
                for k in ("f1", "accuracy", "precision", "recall", "loss"):
                    vals = [None if r[split] is None else r[split][k] for r in recs]
                    point[f"{split}_{k}"] = _mean_sd(vals).mean
            curve.append(CurvePoint(**point))
        leaders.append(Leader.extend(s, curve=curve))
    lead = leaders[0]
    best = BestConfig.extend(
        lead, rows=[r for r in rows if all(r[k] == getattr(lead, k) for k in grid_key(rows))]
    )
    n_models = sum(len(c.models) for c in cells)
    first = cells[0]
    return BestSummary(
        best=best,
        top=leaders,
        selection=_file_selection(lead.depth is not None),
        n_configurations=len(summaries),
        n_models=n_models,
        n_diverged_models=sum(m.diverged_epoch is not None for c in cells for m in c.models),
        epochs_considered=[int(e) for e in epochs],
        n_fit=first.n_fit,
        n_valid=first.n_valid,
        n_test=first.n_test,
        momentums=sorted({float(m.momentum) for c in cells for m in c.models}),
        schedule=first.schedule,
        schedule_text=_file_schedule_text(first.schedule),
        max_epochs=first.epochs,
        edges=grid_edges(summaries, first.n_fit, first.schedule),
        near_best=near_best(summaries),
        divergence_rule=divergence_rule(),
    )


#: The grid's dimensions: key in the rows and name in the report (and ``("depth", "depth")``
#: first where the rows name the depth: :func:`dimensions`).
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("width", "width"),
    ("lr", "learning rate"),
    ("batch_size", "batch size"),
    ("epochs", "epochs"),
    ("momentum", "momentum"),
)


def dimensions(best: ConfigSummary) -> tuple[tuple[str, str], ...]:
    """Return the grid's dimensions of a summary ``best``.

    :data:`DIMENSIONS`, after the depth where ``best`` names it.
    """
    return (("depth", "depth"), *DIMENSIONS) if best.depth is not None else DIMENSIONS


def config_depth(summary: ConfigSummary) -> int:
    """Return the hidden layers of a configuration (``depth``, or the homework's 2 if unnamed)."""
    return DEFAULT_DEPTH if summary.depth is None else summary.depth


def next_value(dimension: str, value: float, side: str, n_fit: int | None = None) -> float | None:
    """Return the value to try next beyond an edge of the grid (``None`` where the domain ends).

    Widths, learning rates and batch sizes double (upwards) or halve (downwards); the depth
    gains or loses one hidden layer; epochs double
    (a run twice as long); momentum ``mu`` goes to ``(1 + mu) / 2`` upwards and to 0 (plain SGD)
    downwards. The domain ends at width 1, depth 1, batch size 1 or ``n_fit`` (one batch of all
    rows), 1 epoch and momentum 0.

    Parameters
    ----------
    dimension : {"depth", "width", "lr", "batch_size", "epochs", "momentum"}
    value : float
        The edge value.
    side : {"low", "high"}
        Below the smallest or above the largest value tried.
    n_fit : int, optional
        Training rows (the largest possible batch).
    """
    if side not in ("low", "high"):
        raise ValueError(f"side must be 'low' or 'high', got {side!r}")
    up = side == "high"
    if dimension == "momentum":
        if up:
            return (1.0 + value) / 2.0
        return 0.0 if value > 0 else None
    if dimension == "lr":
        return value * 2.0 if up else value / 2.0
    if dimension == "depth":
        if up:
            return int(value) + 1
        return int(value) - 1 if value > 1 else None
    if dimension in ("width", "epochs"):
        if up:
            return int(value) * 2
        return int(value) // 2 if value > 1 else None
    if dimension == "batch_size":
        if up:
            return None if n_fit is not None and value >= n_fit else int(value) * 2
        return int(value) // 2 if value > 1 else None
    raise ValueError(f"unknown grid dimension {dimension!r}")


@dataclass(frozen=True)
class EdgeDimension(Record):
    """Where the best configuration lies along one dimension of the grid (:func:`grid_edges`).

    Attributes
    ----------
    dimension, name : str
        The key in the rows and the name in the report.
    value : float
        The best's value.
    tried : list
        The values along the line through the best.
    position : {"interior", "lowest", "highest", "only"}
    kind : {"interior", "open", "closed_domain", "closed_diverged"}
    next : float or None
        The value beyond an open edge, else ``None``.
    below, above : float or None
        The neighbouring values tried.
    above_diverged : int
        Seeds diverged at the next larger value tried.
    new_run : bool
        Trying ``next`` needs a new run with another horizon, not only more epochs.
    """

    dimension: str
    name: str
    value: float
    tried: list[float]
    position: str
    kind: str
    next: float | None
    below: float | None
    above: float | None
    above_diverged: int
    new_run: bool


@dataclass(frozen=True)
class GridEdges(Record):
    """Where the best configuration lies in the grid (:func:`grid_edges`).

    ``dimensions``: one :class:`EdgeDimension` per dimension; ``open``: the names of the
    dimensions with an open edge; ``interior``: whether none is open.
    """

    dimensions: list[EdgeDimension]
    open: list[str]
    interior: bool


def grid_edges(
    summaries: Sequence[ConfigSummary], n_fit: int | None = None, schedule: str = CONSTANT
) -> GridEdges:
    """Where the best configuration lies in the grid, dimension by dimension.

    Along each dimension the best configuration is compared with the configurations that equal
    it on every other dimension. It is *interior* when values were tried on both sides; else it
    lies on the lowest or highest value tried (or on the only one), and the edge is:

    * *closed* by the domain when no value lies beyond it (:func:`next_value` is ``None``:
      momentum 0, 1 epoch, width 1, batch size 1);
    * *closed* by divergence when it is the largest learning rate tried and some of its seeds
      diverged (a larger rate would diverge too);
    * *open* otherwise: the grid should be extended to :func:`next_value`.

    Parameters
    ----------
    summaries : sequence of ConfigSummary
        :func:`summarise`, best first.
    n_fit : int, optional
        Training rows (closes the upper edge of the batch size at one full batch).
    schedule : str
        The learning-rate schedule: with a decaying one (:func:`hw6lib.mlp.schedule.decays`), more
        epochs mean a new, longer run (``new_run`` is true for the epochs), not more records
        read off the same run.

    Returns
    -------
    GridEdges
    """
    best = summaries[0]
    dims = []
    for key, name in dimensions(best):
        line = [
            s
            for s in summaries
            if all(getattr(s, k) == getattr(best, k) for k, _ in dimensions(best) if k != key)
        ]
        tried = sorted({getattr(s, key) for s in line})
        value = getattr(best, key)
        i = tried.index(value)
        below = tried[i - 1] if i > 0 else None
        above = tried[i + 1] if i + 1 < len(tried) else None
        above_div = 0
        if above is not None:
            above_div = next(s.n_diverged for s in line if getattr(s, key) == above)
        if below is not None and above is not None:
            position, kind, nxt = "interior", "interior", None
        else:
            position = (
                "only"
                if below is None and above is None
                else ("lowest" if below is None else "highest")
            )
            # the side to extend: upwards unless only the lower side is missing
            side = "low" if position == "lowest" else "high"
            nxt = next_value(key, value, side, n_fit)
            if key == "lr" and side == "high" and best.n_diverged > 0:
                kind, nxt = "closed_diverged", None
            elif nxt is None:
                kind = "closed_domain"
            else:
                kind = "open"
        dims.append(
            EdgeDimension(
                dimension=key,
                name=name,
                value=value,
                tried=tried,
                position=position,
                kind=kind,
                next=nxt,
                below=below,
                above=above,
                above_diverged=int(above_div),
                new_run=key == "epochs" and decays(schedule),
            )
        )
    open_dims = [d.name for d in dims if d.kind == "open"]
    return GridEdges(dimensions=dims, open=open_dims, interior=not open_dims)


@dataclass(frozen=True)
class NearValues(Record):
    """The sorted ``values`` one dimension (``name``) takes among the near-best configurations."""

    name: str
    values: list[float]


@dataclass(frozen=True)
class NearBest(Record):
    """The configurations within the best's spread over seeds (:func:`near_best`).

    Attributes
    ----------
    sd : float
        The best's validation-F1 standard deviation over seeds, 0 when unknown.
    threshold : float
    n : int
        Configurations at or above the threshold, the best included.
    n_configurations : int
    values : list of NearValues
        Per dimension, in the order of :data:`DIMENSIONS`.
    """

    sd: float
    threshold: float
    n: int
    n_configurations: int
    values: list[NearValues]


def near_best(summaries: Sequence[ConfigSummary]) -> NearBest:
    """Find the configurations whose score lies within the best's spread over seeds.

    The best configuration's validation F1 has a standard deviation over seeds; every
    configuration scoring at least the best's score minus that deviation is, on these seeds,
    not distinguishable from it. Where such configurations lie tells whether an open edge of the
    best matters.

    Parameters
    ----------
    summaries : sequence of ConfigSummary
        :func:`summarise`, best first.

    Returns
    -------
    NearBest
    """
    best = summaries[0]
    sd = best.valid_f1.sd or 0.0
    threshold = best.score - sd
    near = [s for s in summaries if s.score >= threshold]
    return NearBest(
        sd=sd,
        threshold=threshold,
        n=len(near),
        n_configurations=len(summaries),
        values=[
            NearValues(name=name, values=sorted({getattr(s, key) for s in near}))
            for key, name in dimensions(best)
        ],
    )


def heatmap_table(
    rows: Sequence[dict[str, Any]], epochs: int, metric: str = "valid_f1", depth: int | None = None
) -> dict[tuple[float, int], dict[str, Any]]:
    """Mean ``metric`` over seeds on a (learning rate x width) grid, one per (momentum, batch).

    Of a grid over depths, the rows of ``depth`` only (default: the homework's 2, else the
    smallest depth in ``rows``).

    Returns
    -------
    dict
        (momentum, batch size) to ``{"lrs": [...], "widths": [...], "values": [[...]] (lr rows,
        width columns; NaN where every seed diverged), "diverged": [[count, ...]]}``.
    """
    out: dict[tuple[float, int], dict[str, Any]] = {}
    sel = [r for r in rows if r["epochs"] == epochs]
    if sel and "depth" in sel[0]:
        depths = {r["depth"] for r in sel}
        if depth is None:
            depth = DEFAULT_DEPTH if DEFAULT_DEPTH in depths else min(depths)
        sel = [r for r in sel if r["depth"] == depth]
    for mu, b in sorted({(r["momentum"], r["batch_size"]) for r in sel}):
        rb = [r for r in sel if r["batch_size"] == b and r["momentum"] == mu]
        lrs = sorted({r["lr"] for r in rb})
        widths = sorted({r["width"] for r in rb})
        vals = np.full((len(lrs), len(widths)), math.nan)
        div = np.zeros((len(lrs), len(widths)), dtype=int)
        for i, lr in enumerate(lrs):
            for j, w in enumerate(widths):
                rs = [r for r in rb if r["lr"] == lr and r["width"] == w]
                v = [r[metric] for r in rs if r[metric] is not None]
                vals[i, j] = float(np.mean(v)) if v else math.nan
                div[i, j] = sum(r["diverged"] for r in rs)
        out[(mu, b)] = {
            "lrs": lrs,
            "widths": widths,
            "values": vals.tolist(),
            "diverged": div.tolist(),
        }
    return out


def write_grid_csv(path: str | os.PathLike[str], rows: Sequence[dict[str, Any]]) -> None:
    """Write the grid table as CSV atomically (columns in the order of the first row)."""
    with atomic_open(path, "w") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else list(KEY), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
