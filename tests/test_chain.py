"""The sigmoid chain: forward pass, backward recursion, MSE gradient."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import default_config

from hw6lib.problem1.chain import (
    forward,
    limits,
    mse,
    mse_and_grad,
    output_gradient,
    predict,
    sigmoid,
)
from hw6lib.problem1.gradcheck import autograd_gradient, central_difference, check_gradients

#: The finite-difference step, as the config schema states its default.
EPS = default_config()["problem1"]["gradcheck"]["eps"]


def test_sigmoid_values_and_extremes():
    assert sigmoid(0.0) == 0.5
    np.testing.assert_allclose(sigmoid([-1000.0, 1000.0]), [0.0, 1.0])
    z = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0)


def test_forward_two_layer_matches_formula():
    w = np.array([0.7, -1.3, 2.1])
    x = np.linspace(-3, 3, 7)
    s = sigmoid
    np.testing.assert_allclose(predict(w, x), w[2] * s(w[1] * s(w[0] * x)))
    _, h = forward(w, x)
    assert len(h) == 3 and h[0] is not None


def test_output_gradient_matches_closed_form_for_two_layers():
    """The three derivatives of the 2-layer chain (dyhat/dw0 is the third, not dyhat/dw2).

    dyhat/dw2 = h2, dyhat/dw1 = w2 h2 (1-h2) h1, dyhat/dw0 = w2 h2 (1-h2) w1 h1 (1-h1) x.
    """
    w0, w1, w2 = 0.4, -0.9, 1.7
    x = np.array([-2.0, -0.3, 0.0, 1.1, 2.5])
    h1 = sigmoid(w0 * x)
    h2 = sigmoid(w1 * h1)
    g = output_gradient([w0, w1, w2], x)
    np.testing.assert_allclose(g[2], h2)
    np.testing.assert_allclose(g[1], w2 * h2 * (1 - h2) * h1)
    np.testing.assert_allclose(g[0], w2 * h2 * (1 - h2) * w1 * h1 * (1 - h1) * x)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_output_gradient_matches_autograd(depth):
    rng = np.random.default_rng(depth)
    w = rng.normal(0, 1.5, depth + 1)
    x = rng.normal(size=50)
    wt = torch.tensor(w, requires_grad=True)
    xt = torch.tensor(x)
    for i in range(50):
        if wt.grad is not None:
            wt.grad = None
        h = xt[i]
        for k in range(depth):
            h = torch.sigmoid(wt[k] * h)
        (wt[-1] * h).backward()
        np.testing.assert_allclose(
            output_gradient(w, x[i]), wt.grad.numpy(), rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_mse_gradient_vs_finite_differences_and_autograd(depth):
    rng = np.random.default_rng(10 + depth)
    x = rng.normal(size=2000)
    y = sigmoid(x)
    w = rng.normal(0, 2, depth + 1)
    loss, g = mse_and_grad(w, x, y)
    assert loss == pytest.approx(mse(w, x, y), rel=1e-12)
    np.testing.assert_allclose(g, autograd_gradient(w, x, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g, central_difference(w, x, y, 1e-6), rtol=1e-5, atol=1e-9)


def test_gradient_of_weight_k_ignores_lower_weights():
    """dyhat/dw_k depends on layers >= k only: changing w_j (j < k) with h_k held fixed is
    impossible, but the recursion's delta_k is built from w_{k+1..L}, h_{k+1..L} alone."""
    w = np.array([0.5, -1.0, 1.5, 2.0])
    x = np.array([0.3])
    _, h = forward(w, x)
    # delta_1 from the top: w3 h3(1-h3) w2 h2(1-h2); dyhat/dw1 = delta_1 * h1.
    delta1 = w[3] * h[3] * (1 - h[3]) * w[2] * h[2] * (1 - h[2])
    np.testing.assert_allclose(output_gradient(w, x)[1], delta1 * h[1])


def test_check_gradients_summary():
    x = np.random.default_rng(0).normal(size=500)
    r = check_gradients(x, sigmoid(x), [1, 2], n_points=2, seed=0, eps=EPS)
    assert [s.depth for s in r.summary] == [1, 2]
    assert r.max_abs_error_autograd < 1e-12
    assert r.max_abs_error_fd < 1e-7
    assert len(r.rows) == 4


def test_check_gradients_claims_hold_for_the_recursion():
    x = np.random.default_rng(1).normal(size=2_000)
    c = check_gradients(x, sigmoid(x), [1, 2, 3], n_points=2, seed=0, eps=EPS).claims
    assert c.autograd_within_rounding and c.fd_within_bound
    assert c.autograd_max_units < 2 * 2_000  # inside the n-term sum bound
    assert 0 < c.fd_max_bound_ratio <= 1


def test_check_gradients_claims_catch_a_wrong_gradient(monkeypatch):
    """A gradient 1% off in dMSE/dw_0 fails both claims."""
    import hw6lib.problem1.gradcheck as gc

    def wrong(w, x, y):
        loss, g = mse_and_grad(w, x, y)
        return loss, g * np.r_[1.01, np.ones(len(g) - 1)]

    monkeypatch.setattr(gc, "mse_and_grad", wrong)
    x = np.random.default_rng(1).normal(size=2_000)
    c = gc.check_gradients(x, sigmoid(x), [2], n_points=2, seed=0, eps=EPS).claims
    assert not c.autograd_within_rounding
    assert not c.fd_within_bound


def test_mse_is_bitwise_the_textbook_expression():
    """The in-place loss does the published arithmetic, so its finite differences follow the
    published optimiser path; equality here is within one process and one kernel."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=10_001)
    y = sigmoid(x)
    for _ in range(50):
        w = rng.normal(0.0, 3.0, size=int(rng.integers(2, 6)))
        h = x
        for k in range(w.size - 1):
            h = 1.0 / (1.0 + np.exp(-(w[k] * h)))
        assert mse(w, x, y) == float(np.mean((w[-1] * h - y) ** 2))


def test_limits_two_layer():
    # w0 > 0: left limit w2 * s(w1 * 0) = w2 / 2; right limit w2 * s(w1).
    lo, hi = limits([1.0, 3.0, 2.0])
    assert lo == pytest.approx(1.0)
    assert hi == pytest.approx(2.0 * sigmoid(3.0))
    assert limits([1.0, 1.0]) == (0.0, 1.0)


def test_chain_needs_two_weights():
    with pytest.raises(ValueError, match="at least 2 weights"):
        predict([1.0], [0.0])
