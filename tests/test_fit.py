"""Problem 1 fits: the published reproduction, the analytic fit, the multi-start search."""

from __future__ import annotations

import numpy as np
import pytest

from hw6lib.fit import fit_chain, multistart, multistart_points
from hw6lib.problem1 import compare_depths, fit_depth
from hw6lib.published import PROBLEM1
from hw6lib.simulate import simulate


@pytest.fixture(scope="module")
def published_data():
    """The published data set: seed 3, n = 1,000,000."""
    return simulate(1_000_000, 3)


def test_simulate_reproduces_numpy_legacy_stream():
    x, y = simulate(5, 3)
    np.random.seed(3)  # noqa: NPY002 (the published call, compared against here only)
    expected = np.random.normal(0, 1, size=(5, 1)).ravel()  # noqa: NPY002
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-expected)))


def test_simulate_rejects_empty():
    with pytest.raises(ValueError, match="n must be at least 1"):
        simulate(0, 3)


def test_one_layer_recovers_truth(published_data):
    x, y = published_data
    fit = fit_chain(x, y, [0.0, 0.0], "analytic")
    np.testing.assert_allclose(fit["weights"], [1.0, 1.0], atol=1e-4)
    assert fit["fun"] < 1e-10
    assert fit["success"]


def test_one_layer_published_counts_reproduced(published_data):
    x, y = published_data
    fit = fit_chain(x, y, [0.0, 0.0], "finite-difference")
    pub = PROBLEM1[1]
    assert (fit["nit"], fit["nfev"], fit["njev"]) == (pub["nit"], pub["nfev"], pub["njev"])
    assert fit["fun"] == pytest.approx(pub["fun"], rel=1e-3)


def test_two_layer_published_fit_reproduced(published_data):
    x, y = published_data
    fit = fit_chain(x, y, [0.0, 0.0, 0.0], "finite-difference")
    pub = PROBLEM1[2]
    assert fit["fun"] == pytest.approx(pub["fun"], rel=1e-8)
    np.testing.assert_allclose(fit["weights"], pub["weights"], rtol=1e-3)
    assert (fit["nfev"], fit["njev"]) == (pub["nfev"], pub["njev"])
    assert abs(fit["nit"] - pub["nit"]) <= 1  # floating-point path differences between builds


def test_multistart_finds_the_lower_two_layer_minimum(published_data):
    x, y = published_data
    # A 100,000-row subsample keeps the test quick; the minima are the same to 3 digits.
    r = multistart(x[:100_000], y[:100_000], 2, magnitudes=(1.0,))
    funs = [m["fun"] for m in r["minima"]]
    assert funs == sorted(funs)
    best = r["best"]
    np.testing.assert_allclose(best["weights"], [-1.265, -2.295, 1.969], atol=0.02)
    assert best["fun"] == pytest.approx(8.62e-4, rel=0.02)
    # ... and the published answer is among the local minima, worse than the best
    assert any(abs(m["fun"] - 0.010043) < 2e-4 for m in r["minima"])
    assert sum(m["count"] for m in r["minima"]) == len(r["starts"]) == 9


def test_multistart_points_cover_sign_patterns():
    pts = multistart_points(2, [0.5, 2.0])
    assert pts[0] == [0.0, 0.0, 0.0]
    assert len(pts) == 1 + 2 * 8
    assert len({tuple(np.sign(p)) for p in pts[1:]}) == 8


def test_fit_chain_rejects_unknown_gradient():
    with pytest.raises(ValueError, match="gradient must be"):
        fit_chain(np.zeros(3), np.zeros(3), [0.0, 0.0], "newton")  # type: ignore[arg-type]


def test_fit_depth_and_compare_explain_the_gap():
    x, y = simulate(20_000, 3)
    fits = [fit_depth(x, y, d, [1.0]) for d in (2, 1)]
    c = compare_depths(fits)
    assert [r["depth"] for r in c["rows"]] == [1, 2]
    assert c["one_layer_contains_truth"] is True
    assert c["two_layer_best_fun"] > 100 * c["one_layer_best_fun"]
    two = c["rows"][1]
    # Without biases the 2-layer net cannot reach both limits of sigmoid (0 and 1).
    assert not (abs(two["limit_minus_inf"]) < 0.05 and abs(two["limit_plus_inf"] - 1) < 0.05)
    assert fits[1]["published"] is None


def test_published_numbers_apply_to_published_data_only():
    from hw6lib.published import problem1_published

    assert problem1_published(1_000_000, 3, 2) == PROBLEM1[2]
    assert problem1_published(20_000, 3, 2) is None
    assert problem1_published(1_000_000, 4, 1) is None
    x, y = simulate(2_000, 3)
    rec = fit_depth(x, y, 1, [1.0], published=PROBLEM1[1])
    assert rec["vs_published"]["counts_equal"].keys() == {"nit", "nfev", "njev"}
    assert rec["vs_published"]["fun_rel_diff"] >= 0
    assert fit_depth(x, y, 1, [1.0])["vs_published"] is None
