"""Figures of the MLP grid, of the replicated published run and the precision-recall curves.

Saved as deterministic SVG by :func:`hw6lib.pipeline.figurefiles.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from hw6lib.mlp.grid import heatmap_table
from hw6lib.mlp.prcurves import PrCurve
from hw6lib.pipeline.figurefiles import STYLE


def _label(s: dict[str, Any]) -> str:
    depth = f"depth={s['depth']}, " if "depth" in s else ""
    return f"{depth}h={s['width']}, lr={s['lr']:g}, batch={s['batch_size']}, mom.={s['momentum']:g}"


def plot_f1_heatmaps(rows: Sequence[dict[str, Any]], epochs: int) -> Figure:
    """Mean validation F1 over seeds, learning rate x width; a panel per (momentum, batch size).

    Rows of panels are momentums, columns batch sizes.

    Cells where some seed diverged are marked with the count ("k div."); a cell where every
    seed diverged is blank.
    """
    tables = heatmap_table(rows, epochs)
    with matplotlib.rc_context({**STYLE, "axes.grid": False}):
        moms = sorted({mu for mu, _ in tables}) or [0.0]
        batches = sorted({b for _, b in tables}) or [0]
        nr, nc = len(moms), len(batches)
        fig, axes = plt.subplots(nr, nc, figsize=(3.2 * nc + 0.8, 3.2 * nr), squeeze=False)
        im = None
        fig.subplots_adjust(wspace=0.3, hspace=0.45)
        for (mu, b), t in sorted(tables.items()):
            ax = axes[moms.index(mu)][batches.index(b)]
            vals = np.array(t["values"], dtype=float)
            im = ax.imshow(
                np.ma.masked_invalid(vals), vmin=0.0, vmax=1.0, cmap="viridis", origin="lower"
            )
            for i in range(vals.shape[0]):
                for j in range(vals.shape[1]):
                    txt = "" if math.isnan(vals[i, j]) else f"{vals[i, j]:.3f}"
                    if t["diverged"][i][j]:
                        txt += f"\n{t['diverged'][i][j]} div."
                    ax.text(
                        j,
                        i,
                        txt,
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if math.isnan(vals[i, j]) or vals[i, j] < 0.6 else "black",
                    )
            ax.set_xticks(range(len(t["widths"])), [str(w) for w in t["widths"]])
            ax.set_yticks(range(len(t["lrs"])), [f"{lr:g}" for lr in t["lrs"]])
            ax.set_xlabel("hidden width h")
            # one title per column (batch size) and one label per row (momentum): short texts
            # that cannot run into each other or into the colour bar
            if batches.index(b) == 0:
                ax.set_ylabel(f"momentum {mu:g}\nlearning rate")
            if moms.index(mu) == 0:
                ax.set_title(f"batch {b}", fontsize=9)
        fig.suptitle(f"Validation F1 after {epochs} epoch{'s' if epochs != 1 else ''}", fontsize=10)
        if im is not None:
            fig.colorbar(
                im, ax=list(axes.ravel()), shrink=0.85, label="validation F1 (mean over seeds)"
            )
    return fig


def plot_learning_curves(best: dict[str, Any]) -> Figure:
    """Training loss and validation/test F1 after every epoch, for the leading configurations.

    A run (width, learning rate, batch size, momentum) that leads at several epoch counts is one
    curve, drawn once, with a vertical line at each of those epoch counts.
    """
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for s in best["top"]:
        runs.setdefault((s["width"], s["lr"], s["batch_size"], s["momentum"]), []).append(s)
    with matplotlib.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
        for k, group in enumerate(runs.values()):
            s = group[0]
            color = f"C{k}"
            at = sorted({g["epochs"] for g in group})
            label = _label(s) + f" (at {', '.join(str(e) for e in at)} ep.)"
            ep = [p["epoch"] for p in s["curve"]]
            loss = [np.nan if p["train_loss"] is None else p["train_loss"] for p in s["curve"]]
            vf1 = [np.nan if p["valid_f1"] is None else p["valid_f1"] for p in s["curve"]]
            tf1 = [np.nan if p["test_f1"] is None else p["test_f1"] for p in s["curve"]]
            ax1.plot(ep, loss, marker="o", ms=3, color=color, label=label)
            ax2.plot(ep, vf1, marker="o", ms=3, color=color)
            ax2.plot(ep, tf1, ls="--", color=color, lw=1)
            for e in at:
                ax2.axvline(e, color=color, lw=0.6, alpha=0.5)
        ax1.set_yscale("log")
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("training loss (BCE, mean over seeds)")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("F1: validation (solid), test (dashed)")
        ax1.legend(fontsize=7)
        fig.tight_layout()
    return fig


def plot_published(published: dict[str, Any], best: dict[str, Any]) -> Figure:
    """Plot the published per-epoch numbers beside our replication and the best model."""
    pub = published["published"]
    rec = published["epochs"]
    ep = [r["epoch"] for r in rec]
    curve = best["best"]["curve"]
    ce = [p["epoch"] for p in curve]

    def pct(v: Any) -> float:
        return np.nan if v is None else 100.0 * float(v)

    with matplotlib.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
        ax1.plot(
            range(1, len(pub["accuracy"]) + 1), pub["accuracy"], "k-o", ms=3, label="published"
        )
        ax1.plot(ep, [r["printed"]["accuracy"] for r in rec], "C1-o", ms=3, label="replication")
        ax1.plot(
            ce, [pct(p["test_accuracy"]) for p in curve], "C0-o", ms=3, label="best 2-ReLU MLP"
        )
        ax1.set_ylabel("test accuracy (%)")
        ax1.set_xlabel("epoch")
        ax1.legend(fontsize=8)
        ax2.plot(
            range(1, len(pub["precision_last_batch"]) + 1),
            pub["precision_last_batch"],
            "k-o",
            ms=3,
            label="published (last test batch)",
        )
        ax2.plot(
            ep,
            [np.nan if (v := r["printed"]["precision_last_batch"]) is None else v for r in rec],
            "C1-o",
            ms=3,
            label="replication, as printed (last batch)",
        )
        ax2.plot(
            ep,
            [pct(r["correct"]["precision"]) for r in rec],
            "C1--",
            label="replication, all test rows",
        )
        ax2.plot(
            ce, [pct(p["test_precision"]) for p in curve], "C0-o", ms=3, label="best 2-ReLU MLP"
        )
        ax2.set_ylabel("test precision (%)")
        ax2.set_xlabel("epoch")
        ax2.legend(fontsize=7)
        fig.tight_layout()
    return fig


def mlp_figures(
    rows: Sequence[dict[str, Any]], best: dict[str, Any], published: dict[str, Any]
) -> dict[str, Figure]:
    """Draw every MLP figure.

    Returns
    -------
    dict
        ``heatmap`` (at the best configuration's epochs), ``curves``, ``published``.
    """
    return {
        "heatmap": plot_f1_heatmaps(rows, best["best"]["epochs"]),
        "curves": plot_learning_curves(best),
        "published": plot_published(published, best),
    }


def plot_pr_curves(curves: Mapping[str, PrCurve], zoom: float = 0.8) -> Figure:
    """Precision-recall curves of several models on one figure, each with its operating point.

    Left: the whole curve; right: the corner where both precision and recall are above
    ``zoom`` (good fraud classifiers differ only there).

    Parameters
    ----------
    curves : mapping
        Model label to :func:`pr_curve` output, drawn in the given order.
    zoom : float
        Lower limit of both axes of the right panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with matplotlib.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        for k, (label, c) in enumerate(curves.items()):
            op = c.operating_point
            for ax in axes:
                ax.plot(
                    c.recall,
                    c.precision,
                    lw=1.4,
                    color=f"C{k}",
                    drawstyle="steps-post",
                    label=f"{label} (AP {c.average_precision:.4f})",
                )
                ax.plot(
                    [op.recall],
                    [op.precision],
                    marker="o",
                    ms=7,
                    mfc="white",
                    mec=f"C{k}",
                    mew=1.6,
                    ls="none",
                    label=f"{label} at probability > {op.threshold:g}",
                )
        for ax in axes:
            ax.set_xlabel("recall (share of fraud found)")
            ax.set_ylabel("precision (share of alarms that are fraud)")
        axes[0].set_xlim(0, 1.01)
        axes[0].set_ylim(0, 1.01)
        axes[0].set_title("whole curve", fontsize=10)
        axes[1].set_xlim(zoom, 1.002)
        axes[1].set_ylim(zoom, 1.002)
        axes[1].set_title(f"precision and recall above {zoom:g}", fontsize=10)
        axes[0].legend(fontsize=8, loc="lower left")
        fig.tight_layout()
    return fig
