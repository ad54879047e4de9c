"""Checking the backpropagated gradient against finite differences and torch autograd."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from hw6lib.chain import FloatArray, mse, mse_and_grad


def central_difference(w: FloatArray, x: FloatArray, y: FloatArray, eps: float) -> FloatArray:
    """Central finite-difference gradient of the MSE, ``(L(w + e_k h) - L(w - e_k h)) / 2h``.

    Parameters
    ----------
    w : numpy.ndarray, shape (L + 1,)
        Weights.
    x, y : numpy.ndarray, shape (n,)
        Data.
    eps : float
        Step ``h``.

    Returns
    -------
    numpy.ndarray, shape (L + 1,)
    """
    g = np.empty(w.size)
    for k in range(w.size):
        e = np.zeros(w.size)
        e[k] = eps
        g[k] = (mse(w + e, x, y) - mse(w - e, x, y)) / (2.0 * eps)
    return g


def autograd_gradient(w: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    """Gradient of the MSE by torch autograd in float64 on the CPU (an independent check).

    Parameters
    ----------
    w : numpy.ndarray, shape (L + 1,)
        Weights.
    x, y : numpy.ndarray, shape (n,)
        Data.

    Returns
    -------
    numpy.ndarray, shape (L + 1,)
    """
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    h = torch.tensor(np.asarray(x), dtype=torch.float64)
    for k in range(w.size - 1):
        h = torch.sigmoid(wt[k] * h)
    loss = torch.mean((wt[-1] * h - torch.tensor(np.asarray(y), dtype=torch.float64)) ** 2)
    loss.backward()
    assert wt.grad is not None
    return wt.grad.numpy().copy()


def check_gradients(
    x: FloatArray,
    y: FloatArray,
    depths: Sequence[int],
    n_points: int,
    seed: int,
    eps: float = 1e-6,
    scale: float = 2.0,
) -> dict[str, Any]:
    """Compare the analytic MSE gradient with central differences and autograd.

    For every depth, ``n_points`` weight vectors are drawn from ``N(0, scale^2)`` with a
    ``numpy.random.Generator`` seeded by ``seed`` and ``depth``; at each, the three gradients are
    computed on the data ``(x, y)``.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Data (a few thousand rows are plenty).
    depths : sequence of int
        Chain depths to check.
    n_points : int
        Weight vectors per depth.
    seed : int
        Seed of the weight draws.
    eps : float
        Finite-difference step.
    scale : float
        Standard deviation of the weight draws.

    Returns
    -------
    dict
        ``rows``: one record per (depth, point) with the weights, the three gradients and the
        max absolute and relative errors of the analytic gradient against each reference;
        ``summary``: per depth, the worst errors; ``max_abs_error_fd`` and
        ``max_abs_error_autograd`` over everything.
    """
    rows: list[dict[str, Any]] = []
    for depth in depths:
        rng = np.random.default_rng([seed, depth])
        for i in range(n_points):
            w = rng.normal(0.0, scale, size=depth + 1)
            _, ga = mse_and_grad(w, x, y)
            gf = central_difference(w, x, y, eps)
            gt = autograd_gradient(w, x, y)
            denom = np.maximum(np.abs(gt), 1e-12)
            rows.append(
                {
                    "depth": int(depth),
                    "point": i,
                    "weights": w.tolist(),
                    "analytic": ga.tolist(),
                    "finite_difference": gf.tolist(),
                    "autograd": gt.tolist(),
                    "abs_err_fd": float(np.max(np.abs(ga - gf))),
                    "rel_err_fd": float(np.max(np.abs(ga - gf) / denom)),
                    "abs_err_autograd": float(np.max(np.abs(ga - gt))),
                    "rel_err_autograd": float(np.max(np.abs(ga - gt) / denom)),
                }
            )
    summary = []
    for depth in depths:
        sel = [r for r in rows if r["depth"] == depth]
        summary.append(
            {
                "depth": int(depth),
                "points": len(sel),
                **{
                    k: max(r[k] for r in sel)
                    for k in ("abs_err_fd", "rel_err_fd", "abs_err_autograd", "rel_err_autograd")
                },
            }
        )
    return {
        "eps": eps,
        "n": int(np.asarray(x).size),
        "rows": rows,
        "summary": summary,
        "max_abs_error_fd": max(r["abs_err_fd"] for r in rows),
        "max_abs_error_autograd": max(r["abs_err_autograd"] for r in rows),
    }
