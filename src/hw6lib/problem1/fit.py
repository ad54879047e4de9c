"""Fitting the sigmoid chain by least squares with ``scipy.optimize.minimize``.

Two views of the same problem:

* :func:`fit_chain` with ``gradient="finite-difference"`` and ``x0 = 0`` is the published
  reproduction (the default BFGS with finite-difference gradients, as the seed solution ran it);
  with ``gradient="analytic"`` it passes :func:`hw6lib.problem1.chain.mse_and_grad` as ``jac=True``.
* :func:`multistart` searches for every local minimum from a seeded space-filling design of
  starts (:func:`start_design`: zeros plus a scrambled Sobol sample of a box, never a point
  chosen because it is the answer). Each start runs BFGS with the analytic gradient on a
  subsample of the rows (the screen); the distinct end points are then polished on all rows
  (:func:`polish`), so the cost of the full data is paid once per minimum, not once per start.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.stats import qmc

from hw6lib.pipeline.resultfiles import Record
from hw6lib.problem1.chain import FloatArray, mse, mse_and_grad

Gradient = Literal["analytic", "finite-difference"]


@dataclass(frozen=True)
class EndPoint(Record):
    """Where one BFGS run ended (scipy's ``OptimizeResult`` in plain Python types).

    Attributes
    ----------
    x0 : list of float
        The start.
    fun : float
        Training MSE at the end point.
    weights : list of float
        The end point.
    grad_norm : float
        The analytic gradient's max-norm there.
    nit, nfev, njev : int
        Iterations, loss and gradient evaluations.
    success : bool
    status : int
    message : str
    """

    x0: list[float]
    fun: float
    weights: list[float]
    grad_norm: float
    nit: int
    nfev: int
    njev: int
    success: bool
    status: int
    message: str


@dataclass(frozen=True)
class _FitSetting(Record):
    """What a fit is of: the chain's ``depth`` and the ``gradient`` BFGS was given."""

    depth: int
    gradient: str


@dataclass(frozen=True)
class Fit(EndPoint, _FitSetting):
    """A fit of the chain (:func:`fit_chain`).

    Its ``depth`` and ``gradient``, then the end point (the fields of :class:`EndPoint`; the
    bases are listed so that the file's keys come in that order).
    """


@dataclass(frozen=True)
class Polished(EndPoint):
    """A screen end point carried to the minimum on all rows (:func:`polish`).

    The fields of :class:`EndPoint`, and ``newton_start``: whether the subsample Hessian
    started it.
    """

    newton_start: bool


@dataclass(frozen=True)
class Minimum(Polished):
    """A distinct local minimum of :func:`multistart`.

    The polish record, the ``count`` of starts that reached it, the first of them
    (``first_start``, ``first_start_index``), ``converged`` (the polish succeeded) and
    ``nearest_start_distance`` (from the minimum to the closest start that reached it).
    """

    count: int
    first_start: list[float]
    first_start_index: int
    converged: bool
    nearest_start_distance: float


@dataclass(frozen=True)
class StartFit(Fit):
    """The screen's fit from one start (in :attr:`Multistart.starts`).

    The :class:`Fit`, its ``rows`` and the index of the ``minimum`` it reached.
    """

    rows: int
    minimum: int


@dataclass(frozen=True)
class Multistart(Record):
    """The search of :func:`multistart`.

    Attributes
    ----------
    depth, screen_rows : int
        The depth and the rows the screen used.
    gtol, polish_gtol : float
    starts : list of StartFit
        One per start, in order.
    minima : list of Minimum
        Sorted by training MSE on all rows.
    best : Minimum
        The lowest.
    """

    depth: int
    screen_rows: int
    gtol: float
    polish_gtol: float
    starts: list[StartFit]
    minima: list[Minimum]
    best: Minimum


def _end_point(res: Any, x0: FloatArray, x: FloatArray, y: FloatArray) -> EndPoint:
    """Turn a scipy ``OptimizeResult`` into plain types, with the analytic gradient's max-norm."""
    _, g = mse_and_grad(res.x, x, y)
    return EndPoint(
        x0=[float(v) for v in x0],
        fun=float(res.fun),
        weights=[float(v) for v in res.x],
        grad_norm=float(np.max(np.abs(g))),
        nit=int(res.nit),
        nfev=int(res.nfev),
        njev=int(res.get("njev", 0)),
        success=bool(res.success),
        status=int(res.status),
        message=str(res.message),
    )


def fit_chain(
    x: FloatArray,
    y: FloatArray,
    x0: ArrayLike,
    gradient: Gradient,
    gtol: float,
) -> Fit:
    """Minimise the mean squared error of a sigmoid chain with BFGS.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Inputs and targets.
    x0 : array_like, shape (L + 1,)
        Starting weights; their number sets the depth ``L``.
    gradient : {"analytic", "finite-difference"}
        ``"analytic"`` passes the backpropagated gradient (``jac=True``);
        ``"finite-difference"`` lets scipy difference the loss, as the published solution did.
    gtol : float
        BFGS gradient-norm tolerance (``problem1.gtol``; its default, scipy's ``1e-5``, is
        stated in the config schema).

    Returns
    -------
    Fit
    """
    x0 = np.asarray(x0, dtype=np.float64).ravel()
    options = {"gtol": gtol}
    if gradient == "analytic":
        res = minimize(mse_and_grad, x0, args=(x, y), jac=True, method="BFGS", options=options)
    elif gradient == "finite-difference":
        res = minimize(mse, x0, args=(x, y), method="BFGS", options=options)
    else:
        raise ValueError(f"gradient must be 'analytic' or 'finite-difference', got {gradient!r}")
    return Fit.extend(_end_point(res, x0, x, y), depth=int(x0.size - 1), gradient=gradient)


def start_design(depth: int, points: int, box: float, seed: int) -> FloatArray:
    """Multi-start points: zeros, then a scrambled Sobol sample of ``[-box, box]^(L+1)``.

    The Sobol sequence is scrambled with a generator seeded by ``(seed, depth)``, so the design
    is fixed by the configuration and no start is placed by hand (in particular none at the
    1-layer truth ``(1, 1)``, which would make BFGS return its start).

    Parameters
    ----------
    depth : int
        Number of hidden layers ``L`` (the chain has ``L + 1`` weights).
    points : int
        Number of Sobol points, a power of 2 (Sobol's balance properties hold for those).
    box : float
        Half-width of the box.
    seed : int
        Seed of the scrambling.

    Returns
    -------
    numpy.ndarray, shape (1 + points, L + 1)
        Zeros first, then the Sobol points in the order the sequence gives them.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if points < 1 or points & (points - 1):
        raise ValueError(f"points must be a power of 2, got {points}")
    if not box > 0:
        raise ValueError(f"box must be positive, got {box}")
    sobol = qmc.Sobol(d=depth + 1, scramble=True, rng=np.random.default_rng([seed, depth]))
    unit = sobol.random_base2(int(points).bit_length() - 1)
    return np.vstack([np.zeros(depth + 1), qmc.scale(unit, -box, box)])


def hessian(w: ArrayLike, x: FloatArray, y: FloatArray, step: float = 1e-4) -> FloatArray:
    """Hessian of the MSE by central differences of the analytic gradient, symmetrised.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights.
    x, y : numpy.ndarray, shape (n,)
        Data.
    step : float
        Difference step.

    Returns
    -------
    numpy.ndarray, shape (L + 1, L + 1)
    """
    w = np.asarray(w, dtype=np.float64)
    h = np.empty((w.size, w.size))
    for k in range(w.size):
        e = np.zeros(w.size)
        e[k] = step
        h[:, k] = (mse_and_grad(w + e, x, y)[1] - mse_and_grad(w - e, x, y)[1]) / (2.0 * step)
    return (h + h.T) / 2.0


@dataclass(frozen=True)
class StoppingBound(Record):
    """How far from its minimum BFGS may stop (:func:`stopping_bound`).

    Attributes
    ----------
    minimum_fun, minimum_weights, minimum_grad_norm
        The minimum near the given point.
    gtol : float
    gradient_max : list of float
        ``G``, the bound on each gradient component at the stop.
    margin : float
    fun_abs, fun_rel : float
        The largest training error above the minimum's, absolute and relative to it
        (``fun_rel`` is ``None`` when the minimum's error is not above ``fun_abs``, e.g. 0 up
        to rounding).
    weights_abs : list of float
        The largest distance per weight.
    hessian_eigenvalues : list of float
        Ascending.
    """

    minimum_fun: float
    minimum_weights: list[float]
    minimum_grad_norm: float
    gtol: float
    gradient_max: list[float]
    margin: float
    fun_abs: float
    fun_rel: float | None
    weights_abs: list[float]
    hessian_eigenvalues: list[float]


def stopping_bound(
    x: FloatArray,
    y: FloatArray,
    w: ArrayLike,
    gtol: float,
    tight_gtol: float = 1e-10,
    margin: float = 2.0,
) -> StoppingBound:
    """How far from its minimum BFGS may stop, by its stopping rule alone (any CPU, any path).

    scipy's BFGS stops once the max-norm of its gradient is at most ``gtol``. With finite-difference
    gradients (the published recipe) the true gradient ``g`` differs from the differenced one by at
    most the forward difference's error, ``|H_ii| h_i / 2`` of truncation plus ``4 eps log2(n) f /
    h_i`` of rounding in the two means of ``n`` terms, with scipy's step ``h_i = sqrt(eps) max(1,
    |w_i|)``; so ``|g_i| <= G_i = gtol + that``. Near the minimum ``w*`` the loss is quadratic with
    Hessian ``H``: the stop lies at ``w = w* + H^-1 g`` and ``f(w) - f(w*) = g^T H^-1 g / 2``. Over
    the box ``|g_i| <= G_i`` that gives ``|w_i - w*_i| <= sum_j |(H^-1)_ij| G_j`` and ``f - f* <=
    max_s (G s)^T H^-1 (G s) / 2`` over the sign vectors ``s`` (a convex quadratic's maximum over a
    box is at a vertex). The loss is not exactly quadratic that far along a flat direction (the
    model missed the gap by 2.6% at the farthest stop measured, 0.044 from the minimum in ``w0``),
    so both bounds are widened by ``margin``. The bound depends only on the data, the minimum and
    ``gtol``: not on the kernels that choose the path, nor on the counts seen on some CPUs. Along a
    flat direction of the minimum (a small eigenvalue of ``H``) it is wide, and the end point moves
    that far between CPUs.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Data.
    w : array_like, shape (L + 1,)
        A point near the minimum (e.g. where BFGS stopped); the minimum is found from it.
    gtol : float
        The stopping rule's gradient tolerance.
    tight_gtol : float
        Gradient tolerance of the analytic BFGS that finds the minimum from ``w``.
    margin : float
        Factor on the quadratic model's bounds, for the loss's higher-order terms.

    Returns
    -------
    StoppingBound

    Raises
    ------
    ValueError
        The Hessian at the point found is not positive definite (not a minimum).
    """
    tight = fit_chain(x, y, w, "analytic", tight_gtol)
    ws = np.asarray(tight.weights)
    h_mat = hessian(ws, x, y)
    hinv = _inverse_if_positive_definite(h_mat)
    if hinv is None:
        raise ValueError(f"stopping_bound: the Hessian at {ws.tolist()} is not positive definite")
    eps = float(np.finfo(np.float64).eps)
    step = np.sqrt(eps) * np.maximum(1.0, np.abs(ws))
    n = int(np.asarray(x).size)
    fd_error = np.abs(np.diag(h_mat)) * step / 2 + 4 * eps * np.log2(max(n, 2)) * tight.fun / step
    g_max = gtol + fd_error
    signs = np.array(list(itertools.product((-1.0, 1.0), repeat=ws.size)))
    fun_abs = margin * max(float((g_max * s) @ hinv @ (g_max * s)) / 2 for s in signs)
    f_star = tight.fun
    return StoppingBound(
        minimum_fun=f_star,
        minimum_weights=tight.weights,
        minimum_grad_norm=tight.grad_norm,
        gtol=float(gtol),
        gradient_max=[float(v) for v in g_max],
        margin=float(margin),
        fun_abs=fun_abs,
        # relative to the minimum's error only where that error is more than the bound itself
        # (the 1-layer minimum's is 0 up to rounding)
        fun_rel=fun_abs / f_star if f_star > fun_abs else None,
        weights_abs=[float(v) for v in margin * (np.abs(hinv) @ g_max)],
        hessian_eigenvalues=[float(v) for v in np.linalg.eigvalsh(h_mat)],
    )


def _inverse_if_positive_definite(h: FloatArray) -> FloatArray | None:
    try:
        np.linalg.cholesky(h)
        inv = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return None
    inv = (inv + inv.T) / 2.0
    try:
        np.linalg.cholesky(inv)
    except np.linalg.LinAlgError:
        return None
    return inv


def polish(
    x: FloatArray,
    y: FloatArray,
    w: ArrayLike,
    x_screen: FloatArray,
    y_screen: FloatArray,
    gtol: float,
) -> Polished:
    """Carry an end point of the subsample screen to the minimum on all rows.

    BFGS with the analytic gradient on all rows, started at ``w`` with the inverse of the
    subsample's Hessian at ``w`` as its first inverse-Hessian estimate (when that Hessian is
    positive definite; otherwise scipy's identity). Near a minimum the first steps are then
    Newton steps, and a few evaluations on all rows reach ``gtol``.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        All rows.
    w : array_like, shape (L + 1,)
        The screen's end point.
    x_screen, y_screen : numpy.ndarray
        The screen's rows (for the Hessian).
    gtol : float
        BFGS gradient-norm tolerance on all rows.

    Returns
    -------
    Polished
    """
    w = np.asarray(w, dtype=np.float64).ravel()
    hinv = _inverse_if_positive_definite(hessian(w, x_screen, y_screen))
    options: dict[str, Any] = {"gtol": gtol}
    if hinv is not None:
        options["hess_inv0"] = hinv
    res = minimize(mse_and_grad, w, args=(x, y), jac=True, method="BFGS", options=options)
    return Polished.extend(_end_point(res, w, x, y), newton_start=hinv is not None)


def group_end_points(weights: Sequence[ArrayLike], weight_tol: float = 1e-2) -> list[int]:
    """Label end points that belong to the same minimum.

    Two end points belong to the same minimum when every weight agrees within ``weight_tol``
    relative to ``max(1, |w|)`` of the group's first member.

    Parameters
    ----------
    weights : sequence of array_like
        End points, in order.
    weight_tol : float
        Relative tolerance.

    Returns
    -------
    list of int
        Group label of every end point; labels number the groups in order of first appearance.
    """
    reps: list[FloatArray] = []
    labels = []
    for w in weights:
        w = np.asarray(w, dtype=np.float64)
        for j, r in enumerate(reps):
            if np.all(np.abs(w - r) <= weight_tol * np.maximum(1.0, np.abs(r))):
                labels.append(j)
                break
        else:
            labels.append(len(reps))
            reps.append(w)
    return labels


def multistart(
    x: FloatArray,
    y: FloatArray,
    starts: ArrayLike,
    gtol: float,
    screen_rows: int | None,
    polish_gtol: float,
    weight_tol: float = 1e-2,
) -> Multistart:
    """Fit from many starts and list the distinct local minima found.

    1. Screen: BFGS with the analytic gradient from every start, on the first ``screen_rows``
       rows (all rows when ``None`` or larger than ``n``; the rows are i.i.d., so the first ones
       are a random subsample).
    2. Group the screen's end points (:func:`group_end_points`).
    3. Polish the lowest end point of each group on all rows (:func:`polish`), and merge
       polished points that coincide.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Inputs and targets.
    starts : array_like, shape (S, L + 1)
        Starting points (:func:`start_design`).
    gtol : float
        BFGS gradient tolerance of the screen (``problem1.gtol``).
    screen_rows : int or None
        Rows of the screen (``problem1.multistart.screen_rows``).
    polish_gtol : float
        BFGS gradient tolerance of the polish on all rows
        (``problem1.multistart.polish_gtol``).
    weight_tol : float
        Relative tolerance to merge end points into one minimum.

    Returns
    -------
    Multistart
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=np.float64))
    n = int(np.asarray(x).size)
    m = n if screen_rows is None else min(int(screen_rows), n)
    xs, ys = x[:m], y[:m]
    screen = [fit_chain(xs, ys, s, "analytic", gtol) for s in starts]
    labels = group_end_points([f.weights for f in screen], weight_tol)
    polished: list[Polished] = []
    for g in range(max(labels) + 1):
        members = [i for i, lab in enumerate(labels) if lab == g]
        lead = min(members, key=lambda i: (screen[i].fun, i))
        polished.append(polish(x, y, screen[lead].weights, xs, ys, polish_gtol))
    # two screen groups can polish into one minimum on all rows
    merged = group_end_points([p.weights for p in polished], weight_tol)
    found: list[tuple[Minimum, list[int]]] = []
    for j in range(max(merged) + 1):
        groups = [g for g, lab in enumerate(merged) if lab == j]
        best = min(groups, key=lambda g: polished[g].fun)
        members = sorted(i for i, lab in enumerate(labels) if merged[lab] == j)
        w = np.asarray(polished[best].weights)
        minimum = Minimum.extend(
            polished[best],
            count=len(members),
            first_start=[float(v) for v in starts[members[0]]],
            first_start_index=members[0],
            converged=polished[best].success,
            nearest_start_distance=float(min(np.linalg.norm(starts[i] - w) for i in members)),
        )
        found.append((minimum, members))
    found.sort(key=lambda fm: (fm[0].fun, fm[0].first_start_index))
    minima = [mn for mn, _ in found]
    records = []
    for i, f in enumerate(screen):
        k = next(k for k, (_, members) in enumerate(found) if i in members)
        records.append(StartFit.extend(f, rows=m, minimum=k))
    return Multistart(
        depth=int(starts.shape[1] - 1),
        screen_rows=m,
        gtol=gtol,
        polish_gtol=polish_gtol,
        starts=records,
        minima=minima,
        best=minima[0],
    )
