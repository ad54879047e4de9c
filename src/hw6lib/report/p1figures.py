"""Problem 1's figures and the confusion figure (saved by :mod:`hw6lib.pipeline.figurefiles`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hw6lib.pipeline.figurefiles import STYLE
from hw6lib.problem1.chain import predict, sigmoid


def _label(fit: dict[str, Any]) -> str:
    w = ", ".join(f"{v:.3f}" for v in fit["weights"])
    return f"{fit['depth']}-layer, w = ({w}), MSE = {fit['fun']:.3g}"


@contextlib.contextmanager
def _curves_over_x(x_range: float) -> Iterator[tuple[Figure, Axes, np.ndarray]]:
    """Yield a figure in the report's style, its axes and 401 points of ``[-x_range, x_range]``."""
    with matplotlib.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 4))
        yield fig, ax, np.linspace(-x_range, x_range, 401)


def plot_fits(fits: Sequence[dict[str, Any]], x_range: float = 4.0) -> Figure:
    """Fitted chains against the true curve ``sigmoid(x)``.

    Parameters
    ----------
    fits : sequence of dict
        Fit records (``depth``, ``weights``, ``fun``), e.g. the best minimum of each depth and
        the published reproduction.
    x_range : float
        The plot covers ``[-x_range, x_range]``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _curves_over_x(x_range) as (fig, ax, xs):
        ax.plot(xs, sigmoid(xs), color="black", lw=3, alpha=0.35, label="sigmoid(x) (truth)")
        for fit in fits:
            ax.plot(xs, predict(fit["weights"], xs), lw=1.4, label=_label(fit))
        ax.set_xlabel("x")
        ax.set_ylabel("ŷ")
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
    return fig


def plot_residuals(fits: Sequence[dict[str, Any]], x_range: float = 4.0) -> Figure:
    """Residuals ``yhat(x) - sigmoid(x)`` of fitted chains, with the N(0, 1) density for scale.

    The arguments and the result are those of :func:`plot_fits`.
    """
    with _curves_over_x(x_range) as (fig, ax, xs):
        for fit in fits:
            ax.plot(xs, predict(fit["weights"], xs) - sigmoid(xs), lw=1.4, label=_label(fit))
        ax.axhline(0.0, color="black", lw=0.8)
        ax2 = ax.twinx()
        ax2.fill_between(xs, np.exp(-(xs**2) / 2) / np.sqrt(2 * np.pi), color="grey", alpha=0.15)
        ax2.set_ylabel("density of x (shaded)")
        ax2.set_ylim(bottom=0)
        ax2.grid(False)
        ax.set_xlabel("x")
        ax.set_ylabel("ŷ − sigmoid(x)")
        ax.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
    return fig


def problem1_figures(fits: Sequence[dict[str, Any]]) -> dict[str, Figure]:
    """Both Problem 1 figures, from the fit records of :func:`hw6lib.problem1.depths.fit_depth`.

    The curves shown are the best minimum of each depth and, for depth 2, the published fit
    from zeros.

    Returns
    -------
    dict
        ``{"fits": Figure, "residuals": Figure}``.
    """
    curves = []
    for f in sorted(fits, key=lambda f: f["depth"]):
        curves.append({**f["multistart"]["best"], "depth": f["depth"]})
        if f["depth"] == 2:
            curves.append(f["published_reproduction"])
    return {"fits": plot_fits(curves), "residuals": plot_residuals(curves)}
