"""Fitting the sigmoid chain by least squares with ``scipy.optimize.minimize``.

Two views of the same problem:

* :func:`fit_chain` with ``gradient="finite-difference"`` and ``x0 = 0`` is the published
  reproduction (the default BFGS with finite-difference gradients, as the seed solution ran it);
  with ``gradient="analytic"`` it passes :func:`hw6lib.chain.mse_and_grad` as ``jac=True``.
* :func:`multistart` runs the analytic BFGS from a deterministic set of starts (zeros, every
  sign pattern at several magnitudes) and groups the end points into distinct local minima, so
  that the global picture does not hinge on one lucky start.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from hw6lib.chain import FloatArray, mse, mse_and_grad

Gradient = Literal["analytic", "finite-difference"]


def fit_chain(
    x: FloatArray,
    y: FloatArray,
    x0: ArrayLike,
    gradient: Gradient = "analytic",
    gtol: float = 1e-5,
) -> dict[str, Any]:
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
        BFGS gradient-norm tolerance (scipy's default ``1e-5``).

    Returns
    -------
    dict
        ``depth``, ``x0``, ``gradient``, ``fun`` (training MSE), ``weights``, ``grad_norm``
        (the analytic gradient's max-norm at the end point), ``nit``, ``nfev``, ``njev``,
        ``success``, ``status`` and ``message``; plain Python types, ready for JSON.
    """
    x0 = np.asarray(x0, dtype=np.float64).ravel()
    options = {"gtol": gtol}
    if gradient == "analytic":
        res = minimize(mse_and_grad, x0, args=(x, y), jac=True, method="BFGS", options=options)
    elif gradient == "finite-difference":
        res = minimize(mse, x0, args=(x, y), method="BFGS", options=options)
    else:
        raise ValueError(f"gradient must be 'analytic' or 'finite-difference', got {gradient!r}")
    _, g = mse_and_grad(res.x, x, y)
    return {
        "depth": int(x0.size - 1),
        "x0": [float(v) for v in x0],
        "gradient": gradient,
        "fun": float(res.fun),
        "weights": [float(v) for v in res.x],
        "grad_norm": float(np.max(np.abs(g))),
        "nit": int(res.nit),
        "nfev": int(res.nfev),
        "njev": int(res.get("njev", 0)),
        "success": bool(res.success),
        "status": int(res.status),
        "message": str(res.message),
    }


def multistart_points(depth: int, magnitudes: Sequence[float]) -> list[list[float]]:
    """Deterministic starting points: zeros, then every sign pattern at every magnitude.

    Parameters
    ----------
    depth : int
        Number of hidden layers ``L`` (the chain has ``L + 1`` weights).
    magnitudes : sequence of float
        Absolute values of the starting weights.

    Returns
    -------
    list of list of float
        ``1 + len(magnitudes) * 2 ** (L + 1)`` starts, zeros first.
    """
    starts = [[0.0] * (depth + 1)]
    for m in magnitudes:
        for signs in itertools.product((1.0, -1.0), repeat=depth + 1):
            starts.append([s * float(m) for s in signs])
    return starts


def multistart(
    x: FloatArray,
    y: FloatArray,
    depth: int,
    magnitudes: Sequence[float] = (0.5, 1.0, 2.0),
    gtol: float = 1e-5,
    weight_tol: float = 1e-2,
) -> dict[str, Any]:
    """Fit from many starts and list the distinct local minima found.

    Two end points belong to the same minimum when every weight agrees within ``weight_tol``
    (relative to ``max(1, |w|)``). End points whose weights run away (``|w| > 1e3``: the loss
    keeps falling towards a limit that no finite weight attains) are kept as their own entries.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Inputs and targets.
    depth : int
        Number of hidden layers.
    magnitudes : sequence of float
        See :func:`multistart_points`.
    gtol : float
        BFGS gradient tolerance.
    weight_tol : float
        Relative tolerance to merge end points into one minimum.

    Returns
    -------
    dict
        ``depth``, ``starts`` (one fit record per start, in order), ``minima`` (distinct end
        points sorted by training MSE, each with ``fun``, ``weights``, ``count`` of starts
        that reached it and ``first_start``), and ``best`` (the lowest minimum).
    """
    fits = [fit_chain(x, y, s, "analytic", gtol) for s in multistart_points(depth, magnitudes)]
    minima: list[dict[str, Any]] = []
    for i, f in enumerate(fits):
        w = np.asarray(f["weights"])
        for m in minima:
            wm = np.asarray(m["weights"])
            if np.all(np.abs(w - wm) <= weight_tol * np.maximum(1.0, np.abs(wm))):
                m["count"] += 1
                if f["fun"] < m["fun"]:
                    m["fun"], m["weights"] = f["fun"], f["weights"]
                break
        else:
            minima.append(
                {
                    "fun": f["fun"],
                    "weights": f["weights"],
                    "count": 1,
                    "first_start": f["x0"],
                    "first_start_index": i,
                    "converged": f["success"],
                }
            )
    minima.sort(key=lambda m: (m["fun"], m["first_start_index"]))
    return {"depth": depth, "starts": fits, "minima": minima, "best": minima[0]}
