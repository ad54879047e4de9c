"""Figures of the card data's models: the tree's depth sweep and the test rows' confusion matrices.

Saved as deterministic SVG by :func:`hw6lib.pipeline.figurefiles.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from hw6lib.pipeline.figurefiles import STYLE


def plot_depth_sweep(records: Sequence[dict[str, Any]]) -> Figure:
    """Test error (1 - accuracy, 1 - F1; left, log scale) and leaves (right) by tree depth.

    Scores near 1 differ in the third or fourth digit, so the left panel shows what is missing
    from 1 on a log scale.

    Parameters
    ----------
    records : sequence of dict
        From :func:`depth_sweep`; the unlimited tree is marked "unlimited".

    Returns
    -------
    matplotlib.figure.Figure
    """
    recs = sorted(records, key=lambda r: (r["max_depth"] is None, r["depth"]))
    depth = [r["depth"] for r in recs]
    with matplotlib.rc_context(STYLE):
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
        floor = 0.5 / max(r["n_test"] for r in recs)  # a perfect score still shows
        for key, label, marker in (("accuracy", "1 − accuracy", "o"), ("f1", "1 − F1", "s")):
            miss = [max(1.0 - r["test"][key], floor) for r in recs]
            ax.plot(depth, miss, marker=marker, lw=1.4, label=label)
        for r in recs:
            if r["max_depth"] is None:
                ax.annotate(
                    "unlimited",
                    (r["depth"], max(1.0 - r["test"]["accuracy"], floor)),
                    textcoords="offset points",
                    # above the point: below it, at the axis floor, it ran into the tick labels
                    xytext=(0, 7),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
        ax.set_yscale("log")
        ax.set_xlabel("depth of the fitted tree")
        ax.set_ylabel("test error (log scale)")
        ax.legend(fontsize=8, loc="upper right")
        ax2.plot(depth, [r["leaves"] for r in recs], marker="o", lw=1.4, color="C2")
        ax2.set_ylim(bottom=0)
        ax2.set_xlabel("depth of the fitted tree")
        ax2.set_ylabel("leaves")
        fig.tight_layout()
    return fig


def plot_confusion(summary: dict[str, Any]) -> Figure:
    """Confusion matrices on the test rows: the best MLP (mean over seeds) and the tree.

    Parameters
    ----------
    summary : dict
        :func:`hw6lib.report.summary.build_summary`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    p2 = summary["problem2"]
    panels = [
        ("best MLP (mean over seeds)", p2["mlp"]["test_confusion"]),
        ("decision tree", p2["tree"]["test_confusion"]),
    ]
    with matplotlib.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
        for ax, (title, c) in zip(axes, panels, strict=True):
            m = np.array([[c["tp"], c["fn"]], [c["fp"], c["tn"]]], dtype=float)
            total = m.sum()
            ax.imshow(m / total if total else m, cmap="Blues", vmin=0, vmax=1)
            for (i, j), v in np.ndenumerate(m):
                share = v / total if total else float("nan")
                ax.text(
                    j,
                    i,
                    f"{v:,.0f}\n({share:.2%})",
                    ha="center",
                    va="center",
                    color="white" if share > 0.5 else "black",
                    fontsize=9,
                )
            ax.set_xticks([0, 1], ["predicted fraud", "predicted not"])
            ax.set_yticks([0, 1], ["fraud", "not fraud"])
            ax.grid(False)
            ax.set_title(title, fontsize=10)
        fig.tight_layout()
    return fig
