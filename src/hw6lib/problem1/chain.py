"""The scalar sigmoid chain ``yhat = w_L * s(w_{L-1} * ... s(w_0 * x))`` and its gradient.

A chain of depth ``L`` has ``L`` sigmoid hidden units and ``L + 1`` weights
``w = (w_0, ..., w_L)``, no biases and an identity output:

``h_0 = x``, ``h_k = s(w_{k-1} h_{k-1})`` for ``k = 1..L``, ``yhat = w_L h_L``.

The gradient of ``yhat`` with respect to every weight follows from the backward recursion

``delta_L = 1``, ``delta_{k-1} = delta_k * w_k * h_k (1 - h_k)``, ``dyhat/dw_k = delta_k * h_k``,

so the derivative for ``w_k`` needs only ``h_k`` and the weights and outputs of the layers above
it (``w_j``, ``h_j`` for ``j > k``). For ``L = 2`` this is ``dyhat/dw2 = h2``,
``dyhat/dw1 = w2 h2 (1-h2) h1`` and ``dyhat/dw0 = w2 h2 (1-h2) w1 h1 (1-h1) x``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def sigmoid(z: ArrayLike) -> FloatArray:
    """Logistic function ``1 / (1 + exp(-z))``.

    Parameters
    ----------
    z : array_like
        Input values.

    Returns
    -------
    numpy.ndarray
        ``s(z)`` with the shape of ``z``, in float64.
    """
    z = np.asarray(z, dtype=np.float64)
    # The textbook formula, as the published solution computed it (so its optimiser path is
    # reproduced); exp overflows to inf for z < -709, where 1 / inf = 0 is the right limit.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _check(w: ArrayLike) -> FloatArray:
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.size < 2:
        raise ValueError(f"a sigmoid chain needs at least 2 weights (depth >= 1), got {w.size}")
    return w


def forward(w: ArrayLike, x: ArrayLike) -> tuple[FloatArray, list[FloatArray]]:
    """Forward pass of the chain.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights ``(w_0, ..., w_L)``; the depth is ``L = len(w) - 1``.
    x : array_like
        Inputs, any shape.

    Returns
    -------
    yhat : numpy.ndarray
        Outputs ``w_L * h_L``, the shape of ``x``.
    h : list of numpy.ndarray
        Layer outputs ``[h_0 = x, h_1, ..., h_L]``.
    """
    w = _check(w)
    h = [np.asarray(x, dtype=np.float64)]
    for k in range(w.size - 1):
        h.append(sigmoid(w[k] * h[-1]))
    return w[-1] * h[-1], h


def predict(w: ArrayLike, x: ArrayLike) -> FloatArray:
    """Compute the outputs of the chain, ``yhat(x; w)``; see :func:`forward`."""
    return forward(w, x)[0]


def output_gradient(w: ArrayLike, x: ArrayLike) -> FloatArray:
    """Gradient of ``yhat`` with respect to every weight, by the backward recursion.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights ``(w_0, ..., w_L)``.
    x : array_like, shape (n,) or scalar
        Inputs.

    Returns
    -------
    numpy.ndarray, shape (L + 1,) + x.shape
        Row ``k`` holds ``dyhat/dw_k`` at every input.
    """
    w = _check(w)
    _, h = forward(w, x)
    depth = w.size - 1
    grad = np.empty((w.size, *h[0].shape))
    delta = np.ones_like(h[0])  # delta_L = dyhat / d(w_L h_L) = 1
    for k in range(depth, -1, -1):
        grad[k] = delta * h[k]
        if k > 0:
            delta = delta * w[k] * h[k] * (1.0 - h[k])
    return grad


def mse(w: ArrayLike, x: ArrayLike, y: ArrayLike) -> float:
    """Mean squared error ``mean((yhat - y)^2)`` of the chain on data ``(x, y)``.

    The same floating-point operations, in the same order, as the textbook
    ``np.mean((w_L * s(... s(w_0 * x)) - y) ** 2)`` with ``s(z) = 1 / (1 + exp(-z))`` (so
    finite differences of it follow the published optimiser path), computed in place in one
    buffer instead of a new array per operation, which makes it about three times faster.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights.
    x, y : array_like
        Inputs and targets, the same shape.

    Returns
    -------
    float
    """
    w = _check(w)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        r = predict(w, x) - y
        return float(np.mean(r * r))
    buf = np.empty(x.shape)
    h = x
    for k in range(w.size - 1):  # h = 1 / (1 + exp(-(w_k * h)))
        np.multiply(w[k], h, out=buf)
        np.negative(buf, out=buf)
        with np.errstate(over="ignore"):
            np.exp(buf, out=buf)
        np.add(1.0, buf, out=buf)
        np.divide(1.0, buf, out=buf)
        h = buf
    np.multiply(w[-1], h, out=buf)
    np.subtract(buf, y, out=buf)
    np.multiply(buf, buf, out=buf)
    return float(np.mean(buf))


def mse_and_grad(w: ArrayLike, x: ArrayLike, y: ArrayLike) -> tuple[float, FloatArray]:
    """Mean squared error and its gradient, for ``scipy.optimize.minimize(..., jac=True)``.

    The gradient is ``dMSE/dw_k = mean(2 (yhat - y) dyhat/dw_k)``, accumulated layer by layer
    during the backward recursion (see the module docstring). Every array operation writes in
    place into a few preallocated vectors of length ``n``, so one call costs little more than
    one forward pass; that is what makes the analytic fit faster than finite differences.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights.
    x, y : array_like, shape (n,)
        Inputs and targets.

    Returns
    -------
    loss : float
        The mean squared error.
    grad : numpy.ndarray, shape (L + 1,)
        Its gradient.
    """
    w = _check(w)
    x = np.ascontiguousarray(x, dtype=np.float64).ravel()
    y = np.ascontiguousarray(y, dtype=np.float64).ravel()
    n = x.size
    depth = w.size - 1
    h = [x]
    for k in range(depth):  # h_{k+1} = 1 / (1 + exp(-w_k h_k)), in place
        z = np.multiply(h[-1], -w[k])
        with np.errstate(over="ignore"):
            np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
        h.append(z)
    r = np.multiply(h[-1], w[-1])
    r -= y
    loss = float(np.dot(r, r) / n)
    grad = np.empty(w.size)
    # delta_k = scale * r * prod_{j>k} h_j (1 - h_j): the scalar weights are kept out of the
    # vector (one pass fewer per layer) and folded into `scale`.
    delta, scale = r, 2.0 / n
    tmp = np.empty_like(x)
    for k in range(depth, -1, -1):
        grad[k] = scale * float(np.dot(delta, h[k]))
        if k > 0:
            np.subtract(1.0, h[k], out=tmp)
            tmp *= h[k]
            delta *= tmp
            scale *= w[k]
    return loss, grad


def limits(w: ArrayLike) -> tuple[float, float]:
    """Limits of ``yhat`` as ``x -> -inf`` and ``x -> +inf``.

    Without biases every hidden unit saturates at 0, 1/2 or 1, so the chain's outputs far out
    are fixed by the signs of the weights: for the 2-layer net with ``w0 > 0`` the left limit is
    ``w2 s(0) = w2 / 2``, whereas the truth ``sigmoid(x)`` tends to 0 there. This is why the
    2-layer net cannot fit ``sigmoid(x)`` exactly.

    Parameters
    ----------
    w : array_like, shape (L + 1,)
        Weights.

    Returns
    -------
    tuple of float
        ``(yhat(-inf), yhat(+inf))``.
    """
    w = _check(w)
    out = []
    for side in (-1.0, 1.0):
        z = np.sign(w[0]) * side  # sign of w_0 x far out
        h = 1.0 if z > 0 else (0.0 if z < 0 else 0.5)
        for k in range(1, w.size - 1):
            h = float(sigmoid(w[k] * h))
        out.append(float(w[-1] * h))
    return out[0], out[1]
