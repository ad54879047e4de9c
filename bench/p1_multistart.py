"""Benchmark: the Problem 1 fit jobs before and after the screened multi-start, side by side.

    .venv/bin/python bench/p1_multistart.py [--n 1000000] [--points 32] [--screen-rows 50000]

One process, one BLAS thread, the same data. For each depth it times

* **before**: what ``p1_fit`` computed until the screened multi-start: the published recipe
  with the allocating textbook loss, the analytic fit from zeros, and BFGS (gtol 1e-5) on all
  rows from zeros and every sign pattern at magnitudes 0.5, 1, 2 (13 and 25 starts);
* **after**: :func:`hw6lib.problem1.depths.fit_depth` as the pipeline runs it (zeros plus a
  scrambled Sobol design, BFGS screened on a subsample, distinct end points polished on all rows);

and, for the minima, runs on the new starts

* **full BFGS**: the old algorithm (BFGS with gtol 1e-5 on all rows from every start);
* **full + polish**: BFGS on all rows from every start, each distinct end point polished to the
  same tolerance as the pipeline's (the reference for the training errors).

Prints seconds (CPU time of this process and wall time), the ratio, and every minimum with its
training error, weights and number of starts, and the relative differences. Not a test:
timings vary with the machine and its load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the pipeline's jobs run

import argparse
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from hw6lib.pipeline.config import load_schema, validate_config
from hw6lib.problem1.chain import mse_and_grad, sigmoid
from hw6lib.problem1.depths import FitSettings, fit_depth
from hw6lib.problem1.fit import group_end_points, multistart, start_design
from hw6lib.problem1.simulate import simulate
from hw6lib.published import PROBLEM1, PROBLEM1_ENVELOPE

#: Problem 1's settings at the defaults the config schema states (stated nowhere else).
P1 = validate_config(
    {}, load_schema(Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml")
)["problem1"]
MS = P1["multistart"]


def textbook_mse(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The loss as it was computed before (a new array per operation)."""
    h = x
    for k in range(w.size - 1):
        h = sigmoid(w[k] * h)
    r = w[-1] * h - y
    return float(np.mean(r * r))


def old_minima(x: np.ndarray, y: np.ndarray, starts: np.ndarray) -> list[dict[str, Any]]:
    """Run the old multi-start: BFGS (gtol 1e-5, analytic gradient) on all rows from every start.

    End points are grouped; each minimum is the lowest end point of its group.
    """
    ends = [minimize(mse_and_grad, s, args=(x, y), jac=True, method="BFGS") for s in starts]
    labels = group_end_points([r.x for r in ends])
    minima = []
    for g in range(max(labels) + 1):
        members = [i for i, lab in enumerate(labels) if lab == g]
        best = min(members, key=lambda i: ends[i].fun)
        minima.append(
            {"fun": float(ends[best].fun), "weights": ends[best].x, "count": len(members)}
        )
    return sorted(minima, key=lambda m: m["fun"])


def before_job(x: np.ndarray, y: np.ndarray, depth: int) -> list[dict[str, Any]]:
    """Everything the old p1_fit job computed for one depth."""
    zeros = np.zeros(depth + 1)
    minimize(textbook_mse, zeros, args=(x, y), method="BFGS")
    minimize(mse_and_grad, zeros, args=(x, y), jac=True, method="BFGS")
    starts = [zeros] + [
        m * np.asarray(signs)
        for m in (0.5, 1.0, 2.0)
        for signs in itertools.product((1.0, -1.0), repeat=depth + 1)
    ]
    return old_minima(x, y, np.asarray(starts))


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    c, t = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c, time.perf_counter() - t


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--points", type=int, default=MS["points"])
    ap.add_argument("--box", type=float, default=MS["box"])
    ap.add_argument("--seed", type=int, default=MS["seed"])
    ap.add_argument("--screen-rows", type=int, default=MS["screen_rows"])
    args = ap.parse_args()
    x, y = simulate(args.n, 3)
    settings = FitSettings(
        points=args.points,
        box=args.box,
        seed=args.seed,
        gtol=P1["gtol"],
        screen_rows=args.screen_rows,
        polish_gtol=MS["polish_gtol"],
    )
    totals = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
    agree = True
    with threadpool_limits(1):
        for depth in (1, 2):
            pub = PROBLEM1[depth] if args.n == 1_000_000 else None
            env = PROBLEM1_ENVELOPE[depth] if pub else None
            _, cb, wb = timed(lambda d=depth: before_job(x, y, d))
            after, ca, wa = timed(
                lambda d=depth, p=pub, e=env: fit_depth(
                    x,
                    y,
                    d,
                    settings,
                    published=p,
                    envelope=e,
                )
            )
            for k, c, w in (("before", cb, wb), ("after", ca, wa)):
                totals[k][0] += c
                totals[k][1] += w
            starts = start_design(depth, args.points, args.box, args.seed)
            old = old_minima(x, y, starts)
            ref = multistart(x, y, starts, P1["gtol"], None, MS["polish_gtol"]).to_json()["minima"]
            new = after.multistart.to_json()["minima"]
            print(
                f"\ndepth {depth}, n = {args.n:,}, {len(starts)} starts (zeros + {args.points} "
                f"Sobol in [-{args.box:g}, {args.box:g}]^{depth + 1}, seed {args.seed}), "
                f"screen on {args.screen_rows:,} rows"
            )
            print(
                f"  job time  before {cb:7.2f} s CPU {wb:7.2f} s wall | after {ca:6.2f} s CPU "
                f"{wa:6.2f} s wall | {cb / ca:5.1f}x CPU"
            )
            print(f"  minima: full BFGS {len(old)}, full + polish {len(ref)}, after {len(new)}")
            print(
                f"  {'':4}{'after: fun':>24} {'weights':>32} {'count':>5} | "
                f"{'full+polish fun':>24} {'count':>5} {'rel diff':>8} | "
                f"{'full BFGS fun':>22} {'count':>5} {'rel diff':>8}"
            )
            same = len(old) == len(ref) == len(new)
            for i, m in enumerate(new):
                r = ref[i] if i < len(ref) else {"fun": np.nan, "count": -1}
                o = old[i] if i < len(old) else {"fun": np.nan, "count": -1}
                w = "(" + ", ".join(f"{v:.6f}" for v in m["weights"]) + ")"
                print(
                    f"  {i:<4}{m['fun']:24.17g} {w:>32} {m['count']:5d} | "
                    f"{r['fun']:24.17g} {r['count']:5d} {rel(m['fun'], r['fun']):8.1e} | "
                    f"{o['fun']:22.15g} {o['count']:5d} {rel(m['fun'], o['fun']):8.1e}"
                )
                tol_ok = abs(m["fun"] - r["fun"]) <= 1e-9 * abs(r["fun"]) + 1e-15
                same = same and tol_ok and m["count"] == r["count"] == o["count"]
            print(
                f"  same minima (count, starts per minimum, fun to 1e-9 rel. of full + polish): "
                f"{'yes' if same else 'NO'}"
            )
            agree = agree and same
    cb, wb = totals["before"]
    ca, wa = totals["after"]
    print(
        f"\nboth fit jobs: before {cb:.2f} s CPU ({wb:.2f} s wall), after {ca:.2f} s CPU "
        f"({wa:.2f} s wall): {cb / ca:.1f}x; target <= 10 s: "
        f"{'met' if ca <= 10 else 'NOT met'} (CPU); minima agree: {'yes' if agree else 'NO'}"
    )


if __name__ == "__main__":
    main()
