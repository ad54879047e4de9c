"""Benchmark: the 2-layer fit with finite-difference against analytic gradients.

The published way (scipy differencing the loss) against the analytic (backpropagated) gradient,
in one process on the same data.

    .venv/bin/python bench/p1_gradient.py [--n 1000000] [--repeats 3]

Prints seconds (best of the repeats), the speed-up ratio and the two optima. The
finite-difference loss is the published one-line expression; the analytic fit passes
hw6lib.problem1.chain.mse_and_grad as jac=True. Not a test: timings vary with the machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

from hw6lib.problem1.chain import mse_and_grad, sigmoid
from hw6lib.problem1.simulate import simulate


def published_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The 2-layer MSE as the published solution wrote it."""
    return float(np.mean((w[2] * sigmoid(w[1] * sigmoid(w[0] * x)) - y) ** 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    x, y = simulate(args.n, 3)
    x0 = np.zeros(3)
    runs = {
        "finite-difference": lambda: minimize(published_loss, x0, args=(x, y), method="BFGS"),
        "analytic": lambda: minimize(mse_and_grad, x0, args=(x, y), jac=True, method="BFGS"),
    }
    best: dict[str, float] = {}
    res = {}
    for _ in range(args.repeats):
        for name, fn in runs.items():  # interleaved, so load changes hit both alike
            t = time.perf_counter()
            res[name] = fn()
            best[name] = min(best.get(name, np.inf), time.perf_counter() - t)
    tight = minimize(
        mse_and_grad, x0, args=(x, y), jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    print(f"2-layer fit, n = {args.n:,}, BFGS from zeros, best of {args.repeats}")
    print(
        f"{'gradient':<18} {'seconds':>8} {'nfev':>5} {'njev':>5} {'fun':>22} {'rel. to tight':>14}"
    )
    for name, r in res.items():
        rel = (r.fun - tight.fun) / tight.fun
        print(f"{name:<18} {best[name]:8.3f} {r.nfev:5d} {r.njev:5d} {r.fun:22.17g} {rel:14.2e}")
    fd, an = res["finite-difference"].fun, res["analytic"].fun
    ratio = best["finite-difference"] / best["analytic"]
    print(f"speed-up (finite-difference / analytic): {ratio:.2f}x")
    print(
        f"relative difference of the optima: {abs(fd - an) / fd:.2e} "
        f"(tight optimum gtol=1e-10: {tight.fun:.17g})"
    )


if __name__ == "__main__":
    main()
