"""Problem 1 put together: the fits of one depth and the comparison across depths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hw6lib.chain import FloatArray, limits
from hw6lib.fit import fit_chain, multistart


def fit_depth(
    x: FloatArray,
    y: FloatArray,
    depth: int,
    magnitudes: Sequence[float],
    gtol: float = 1e-5,
    published: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every fit of one depth: the published reproduction, the analytic fit and the multi-start.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Data.
    depth : int
        Number of hidden layers.
    magnitudes : sequence of float
        Multi-start magnitudes (see :func:`hw6lib.fit.multistart_points`).
    gtol : float
        BFGS gradient tolerance.
    published : dict, optional
        The published fit of this depth on the same data (see
        :func:`hw6lib.published.problem1_published`), to compare the reproduction against.

    Returns
    -------
    dict
        ``published_reproduction`` (finite-difference BFGS from zeros), ``analytic_from_zeros``,
        ``multistart`` (all starts, distinct minima, best), ``published`` (the seed's printed
        numbers, or ``None``), ``vs_published`` (relative difference of the training error,
        largest weight difference, whether nfev/njev/nit agree; ``None`` without published
        numbers), ``n``, and the ``limits`` of the best fit at ``x -> -inf`` and ``+inf``.
    """
    zeros = np.zeros(depth + 1)
    repro = fit_chain(x, y, zeros, "finite-difference", gtol)
    analytic = fit_chain(x, y, zeros, "analytic", gtol)
    ms = multistart(x, y, depth, magnitudes, gtol)
    best = ms["best"]
    vs = None
    if published is not None:
        vs = {
            "fun_rel_diff": abs(repro["fun"] - published["fun"]) / abs(published["fun"]),
            "weights_max_abs_diff": float(
                np.max(np.abs(np.subtract(repro["weights"], published["weights"])))
            ),
            "counts_equal": {k: repro[k] == published[k] for k in ("nit", "nfev", "njev")},
        }
    return {
        "depth": depth,
        "n": int(x.size),
        "published": published,
        "vs_published": vs,
        "published_reproduction": repro,
        "analytic_from_zeros": analytic,
        "multistart": ms,
        "best_limits": list(limits(best["weights"])),
        "zeros_limits": list(limits(repro["weights"])),
    }


def compare_depths(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The numbers behind "why does the extra layer raise the training error?".

    Parameters
    ----------
    results : sequence of dict
        Outputs of :func:`fit_depth`, any order.

    Returns
    -------
    dict
        ``rows``: per depth, the best MSE over all starts, the MSE from zeros, the number of
        distinct minima and the limits of the best fit; ``one_layer_contains_truth`` (the
        1-layer best weights are (1, 1) within 1e-3), and the ratio of the 2-layer to the
        1-layer best MSE when both depths are present.
    """
    rows = []
    for r in sorted(results, key=lambda r: r["depth"]):
        rows.append(
            {
                "depth": r["depth"],
                "best_fun": r["multistart"]["best"]["fun"],
                "best_weights": r["multistart"]["best"]["weights"],
                "zeros_fun": r["published_reproduction"]["fun"],
                "n_minima": len(r["multistart"]["minima"]),
                "limit_minus_inf": r["best_limits"][0],
                "limit_plus_inf": r["best_limits"][1],
            }
        )
    by_depth = {r["depth"]: r for r in rows}
    out: dict[str, Any] = {"rows": rows}
    if 1 in by_depth:
        out["one_layer_contains_truth"] = bool(
            np.allclose(by_depth[1]["best_weights"], [1.0, 1.0], atol=1e-3)
        )
    if 1 in by_depth and 2 in by_depth:
        out["two_layer_best_fun"] = by_depth[2]["best_fun"]
        out["one_layer_best_fun"] = by_depth[1]["best_fun"]
        out["two_over_one_zeros"] = by_depth[2]["zeros_fun"] / max(by_depth[1]["zeros_fun"], 1e-300)
    return out
