"""Checking the backpropagated gradient against finite differences and torch autograd.

torch is imported by :func:`autograd_gradient` alone, so that the jobs that read a check's
records (the summary, the report) start without loading it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hw6lib.pipeline.resultfiles import Record
from hw6lib.problem1.chain import FloatArray, forward, mse, mse_and_grad, output_gradient

#: Unit roundoff of float64, ``2**-53``.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0


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
    import torch

    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    h = torch.tensor(np.asarray(x), dtype=torch.float64)
    for k in range(w.size - 1):
        h = torch.sigmoid(wt[k] * h)
    loss = torch.mean((wt[-1] * h - torch.tensor(np.asarray(y), dtype=torch.float64)) ** 2)
    loss.backward()
    assert wt.grad is not None
    return wt.grad.numpy().copy()


@dataclass(frozen=True)
class ErrorBounds(Record):
    """Per weight: ``scale`` (``S_k``), ``autograd_bound``, ``fd_bound`` (:func:`error_bounds`)."""

    scale: list[float]
    autograd_bound: list[float]
    fd_bound: list[float]


def error_bounds(w: FloatArray, x: FloatArray, y: FloatArray, eps: float) -> ErrorBounds:
    """Bounds on the differences a correct analytic gradient can show, per weight.

    * Against autograd: both compute ``dMSE/dw_k = (2/n) sum_i r_i dyhat_i/dw_k`` in float64,
      in different orders. A sum of ``n`` terms computed in any order is off by at most
      ``n u sum_i |term_i|`` (``u`` the unit roundoff), so a correct gradient differs by at most
      ``2 n u S_k`` with ``S_k = (2/n) sum_i |r_i dyhat_i/dw_k|`` (the factor 2: two sums).
    * Against central differences with step ``h``: truncation ``h^2 |d^3 MSE/dw_k^3| / 6``
      plus rounding ``e_f / h``, where ``e_f = n u (MSE + mean(2 |r| (|yhat| + |y|)))`` bounds
      the error of one loss evaluation (a sum of ``n`` squares, each residual computed from
      ``yhat`` and ``y``). The third derivative is estimated by the second difference of the
      analytic gradient with step 1e-3.

    Parameters
    ----------
    w : numpy.ndarray, shape (L + 1,)
        Weights.
    x, y : numpy.ndarray, shape (n,)
        Data.
    eps : float
        The finite-difference step ``h``.

    Returns
    -------
    ErrorBounds
        Lists of ``L + 1`` floats.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    yhat, _ = forward(w, x)
    r = yhat - y
    scale = 2.0 / n * (np.abs(output_gradient(w, x)) @ np.abs(r))
    e_f = (
        n
        * UNIT_ROUNDOFF
        * (float(np.mean(r * r)) + float(np.mean(2.0 * np.abs(r) * (np.abs(yhat) + np.abs(y)))))
    )
    step = 1e-3
    third = np.empty(w.size)
    g0 = mse_and_grad(w, x, y)[1]
    for k in range(w.size):
        e = np.zeros(w.size)
        e[k] = step
        gp, gm = mse_and_grad(w + e, x, y)[1], mse_and_grad(w - e, x, y)[1]
        third[k] = (gp[k] - 2.0 * g0[k] + gm[k]) / step**2
    return ErrorBounds(
        scale=scale.tolist(),
        autograd_bound=(2.0 * n * UNIT_ROUNDOFF * scale).tolist(),
        fd_bound=(eps**2 * np.abs(third) / 6.0 + e_f / eps).tolist(),
    )


@dataclass(frozen=True)
class GradientRow(Record):
    """One (depth, point) of :func:`check_gradients`.

    The ``weights``, the three gradients (``analytic``, ``finite_difference``, ``autograd``),
    the max absolute and relative errors of the analytic gradient against each reference and
    the bounds of :func:`error_bounds` (``scale``, ``autograd_bound``, ``fd_bound``).
    """

    depth: int
    point: int
    weights: list[float]
    analytic: list[float]
    finite_difference: list[float]
    autograd: list[float]
    abs_err_fd: float
    rel_err_fd: float
    abs_err_autograd: float
    rel_err_autograd: float
    scale: list[float]
    autograd_bound: list[float]
    fd_bound: list[float]


@dataclass(frozen=True)
class DepthErrors(Record):
    """The worst errors of one depth's ``points`` in :func:`check_gradients`."""

    depth: int
    points: int
    abs_err_fd: float
    rel_err_fd: float
    abs_err_autograd: float
    rel_err_autograd: float


@dataclass(frozen=True)
class GradientClaims(Record):
    """What the gradient check shows (:func:`claims`; the report's sentences).

    Attributes
    ----------
    unit_roundoff : float
    autograd_within_rounding : bool
        Every difference from autograd within its rounding bound.
    autograd_max_units : float
        The largest difference in units of ``u S_k``.
    autograd_max_rel : float
        The largest relative difference.
    fd_within_bound : bool
        Every finite-difference difference within its differencing bound.
    fd_max_bound_ratio : float
        The largest difference over its bound.
    fd_max_abs, fd_max_rel : float
    """

    unit_roundoff: float
    autograd_within_rounding: bool
    autograd_max_units: float
    autograd_max_rel: float
    fd_within_bound: bool
    fd_max_bound_ratio: float
    fd_max_abs: float
    fd_max_rel: float


def claims(rows: Sequence[GradientRow]) -> GradientClaims:
    """Decide what the gradient check shows from its rows (the report's sentences).

    Parameters
    ----------
    rows : sequence of GradientRow
        Rows of :func:`check_gradients`.

    Returns
    -------
    GradientClaims
    """
    ag_units, fd_ratio = [], []
    ag_ok = fd_ok = True
    for r in rows:
        ga, gt, gf = (np.asarray(v) for v in (r.analytic, r.autograd, r.finite_difference))
        scale = np.asarray(r.scale)
        d_ag, d_fd = np.abs(ga - gt), np.abs(ga - gf)
        ag_ok = ag_ok and bool(np.all(d_ag <= np.asarray(r.autograd_bound)))
        fd_ok = fd_ok and bool(np.all(d_fd <= np.asarray(r.fd_bound)))
        ag_units.append(float(np.max(d_ag / np.maximum(UNIT_ROUNDOFF * scale, 1e-300))))
        fd_ratio.append(float(np.max(d_fd / np.asarray(r.fd_bound))))
    return GradientClaims(
        unit_roundoff=UNIT_ROUNDOFF,
        autograd_within_rounding=ag_ok,
        autograd_max_units=max(ag_units),
        autograd_max_rel=max(r.rel_err_autograd for r in rows),
        fd_within_bound=fd_ok,
        fd_max_bound_ratio=max(fd_ratio),
        fd_max_abs=max(r.abs_err_fd for r in rows),
        fd_max_rel=max(r.rel_err_fd for r in rows),
    )


@dataclass(frozen=True)
class GradientCheck(Record):
    """The gradient check (:func:`check_gradients`; ``results/problem1/gradcheck.json``).

    ``eps`` and ``n`` (rows of data); ``rows``: one per (depth, point); ``summary``: per depth,
    the worst errors; ``max_abs_error_fd`` and ``max_abs_error_autograd`` over everything;
    ``claims``.
    """

    eps: float
    n: int
    rows: list[GradientRow]
    summary: list[DepthErrors]
    max_abs_error_fd: float
    max_abs_error_autograd: float
    claims: GradientClaims


def check_gradients(
    x: FloatArray,
    y: FloatArray,
    depths: Sequence[int],
    n_points: int,
    seed: int,
    eps: float,
    scale: float = 2.0,
) -> GradientCheck:
    """Compare the analytic MSE gradient with central differences and autograd.

    For every depth, ``n_points`` weight vectors are drawn from ``N(0, scale^2)`` with a
    ``numpy.random.Generator`` seeded by ``seed`` and ``depth``; at each, the three gradients are
    computed on the data ``(x, y)``, with the bounds a correct gradient keeps to
    (:func:`error_bounds`).

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
        Finite-difference step (``problem1.gradcheck.eps``).
    scale : float
        Standard deviation of the weight draws.

    Returns
    -------
    GradientCheck
    """
    rows: list[GradientRow] = []
    for depth in depths:
        rng = np.random.default_rng([seed, depth])
        for i in range(n_points):
            w = rng.normal(0.0, scale, size=depth + 1)
            _, ga = mse_and_grad(w, x, y)
            gf = central_difference(w, x, y, eps)
            gt = autograd_gradient(w, x, y)
            denom = np.maximum(np.abs(gt), 1e-12)
            bounds = error_bounds(w, x, y, eps)
            rows.append(
                GradientRow(
                    depth=int(depth),
                    point=i,
                    weights=w.tolist(),
                    analytic=ga.tolist(),
                    finite_difference=gf.tolist(),
                    autograd=gt.tolist(),
                    abs_err_fd=float(np.max(np.abs(ga - gf))),
                    rel_err_fd=float(np.max(np.abs(ga - gf) / denom)),
                    abs_err_autograd=float(np.max(np.abs(ga - gt))),
                    rel_err_autograd=float(np.max(np.abs(ga - gt) / denom)),
                    scale=bounds.scale,
                    autograd_bound=bounds.autograd_bound,
                    fd_bound=bounds.fd_bound,
                )
            )
    summary = []
    for depth in depths:
        sel = [r for r in rows if r.depth == depth]
        summary.append(
            DepthErrors(
                depth=int(depth),
                points=len(sel),
                abs_err_fd=max(r.abs_err_fd for r in sel),
                rel_err_fd=max(r.rel_err_fd for r in sel),
                abs_err_autograd=max(r.abs_err_autograd for r in sel),
                rel_err_autograd=max(r.rel_err_autograd for r in sel),
            )
        )
    return GradientCheck(
        eps=eps,
        n=int(np.asarray(x).size),
        rows=rows,
        summary=summary,
        max_abs_error_fd=max(r.abs_err_fd for r in rows),
        max_abs_error_autograd=max(r.abs_err_autograd for r in rows),
        claims=claims(rows),
    )
