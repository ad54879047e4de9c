"""One-shot GPU check of the fused Triton trainer (run by bench/gpu_check.sh on a lent H100/H200).

Correctness first, then timing, all in one process:

1. **correctness**: :func:`hw6lib.mlp.fused.train_models_fused` against the eager batched path
   (``train_models(..., engine="torch", cuda_graph=False)``) on the same CUDA device, so both
   draw the same row orders: 8 models (two sharing a seed, one diverging at lr 1000) on 40,000
   rows, widths 4, 16 and 32, batch 500 with a partial last batch, after 1 and 3 epochs, plain
   SGD and momentum 0.9; per model the largest difference relative to the tensor's size, the
   divergence epochs, PASS when within the bounds of :func:`hw6lib.mlp.selfcheck.param_tolerance`
   (rounding per SGD step times the steps, times ``1 / (1 - momentum)``; NaN never passes);
2. **launch configurations**: 256 models, h = 16, one epoch on ``--rows`` rows for a few
   (rows per chunk, warps, dot precision) choices;
3. **timing**: 256 and 1,024 models (16 learning rates x seeds), h = 16, batch 500, ``--epochs``
   epochs on ``--rows`` rows, each epoch scored on 50,000 validation and 500,000 test rows:
   training seconds (row orders, gathers and the kernel) and scoring seconds apart, against the
   targets (256 models: <= 2 s, goal <= 1 s; 1,024 models: <= 5 s); the CUDA-graph path's
   seconds per epoch on the same data for the ratio. A run whose first epoch shows that the
   epochs asked for would not fit the time limit trains fewer epochs and says so.

Writes ``gpu_fused.json`` into ``--out``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cardlike import card_like, standardised
from gpu_common import grid, run_arguments, run_row, timing_data

from hw6lib.mlp import SGDSettings, fused, train_models
from hw6lib.mlp.selfcheck import compare_results
from hw6lib.mlp.training import DeviceRows

LRS = [0.03, 0.3, 1000.0, 0.1, 0.03, 1.0, 0.01, 0.3]
SEEDS = [0, 0, 1, 2, 3, 3, 4, 5]


def correctness(dev: torch.device, rows: int, batch: int) -> dict[str, Any]:
    X, y = card_like(rows, seed=1)  # default: 80 full batches of 500 and one of 250
    X = standardised(X)
    out: dict[str, Any] = {"cases": [], "pass": True}
    for width, momentum, precision in (
        (4, 0.0, "ieee"),
        (16, 0.0, "ieee"),
        (16, 0.9, "ieee"),
        (32, 0.0, "ieee"),
        (16, 0.0, "tf32x3"),
    ):
        for epochs in (1, 3):
            sgd = SGDSettings(width, LRS, SEEDS, batch, epochs, momentums=[momentum])
            t = time.perf_counter()
            rows_on_dev = DeviceRows.load(X, y, {}, dev)
            try:
                f = fused.train_models_fused(rows_on_dev, sgd, precision=precision)
            except Exception as err:  # the first launch builds Triton's launcher: say why not
                print(
                    f"gpu_fused: the fused kernel cannot run on {dev}: {fused.launch_failure(err)}"
                )
                sys.exit(2)
            t_f = time.perf_counter() - t
            e = train_models(X, y, {}, sgd, device=dev, cuda_graph=False, engine="torch")
            # bounds from the arithmetic (hw6lib.mlp.selfcheck: rounding per step, times the
            # steps, times 1 / (1 - momentum)); NaN where the other has a number never passes
            cmp = compare_results(f, e, epochs * -(-rows // batch), momentum)
            case = {
                "width": width,
                "momentum": momentum,
                "precision": precision,
                "epochs": epochs,
                "max_rel_diff_per_model": cmp.diffs,
                "bound_per_model": cmp.tolerances,
                "diverged_fused": [d[0] for d in cmp.diverged],
                "diverged_eager": [d[1] for d in cmp.diverged],
                "fused_seconds_incl_compile": t_f,
                "pass": cmp.passed,
            }
            ok = cmp.passed
            out["cases"].append(case)
            if precision == "ieee":
                out["pass"] &= ok
            print("correctness:", json.dumps(case), flush=True)
    return out


def main() -> None:
    ap = run_arguments()
    ap.add_argument("--budget", type=float, default=60.0, help="seconds of training per run")
    ap.add_argument("--models", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--correct-rows", type=int, default=40_250)
    ap.add_argument("--correct-batch", type=int, default=500)
    ap.add_argument("--n-eval", type=int, nargs=2, default=[50_000, 500_000])
    ap.add_argument(
        "--dry-run",
        action="store_true",
        help="on the CPU (set TRITON_INTERPRET=1): check this script's flow on tiny sizes",
    )
    args = ap.parse_args()
    if args.dry_run:
        dev = torch.device("cpu")
    elif torch.cuda.is_available():
        dev = torch.device("cuda")
    else:
        print("gpu_fused: torch sees no CUDA device", flush=True)
        sys.exit(2)
    import triton

    res: dict[str, Any] = {
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu (dry run)",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "triton": triton.__version__,
    }
    print(json.dumps(res), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    dump = Path(args.out) / "gpu_fused.json"

    def save() -> None:
        dump.write_text(json.dumps(res, indent=2) + "\n")

    # 1. correctness first
    res["correctness"] = correctness(dev, args.correct_rows, args.correct_batch)
    print(f"CORRECTNESS {'PASS' if res['correctness']['pass'] else 'FAIL'}", flush=True)
    save()

    # data for 2 and 3
    Xtr, ytr, ev = timing_data(args.rows, *args.n_eval)

    # 2. launch configurations, 256 models, one epoch each (after a compile run)
    lrs, sds = grid(args.models[0])
    sweep = []
    few, rows_on_dev = (
        DeviceRows.load(Xtr[:20_000], ytr[:20_000], {}, dev),
        DeviceRows.load(Xtr, ytr, {}, dev),
    )
    for chunk, warps, precision in (
        (None, None, "ieee"),
        (64, 4, "ieee"),
        (64, 8, "ieee"),
        (128, 8, "ieee"),
        (32, 4, "tf32x3"),
        (64, 4, "tf32"),
    ):
        kw = {"chunk": chunk, "num_warps": warps, "precision": precision}
        sgd = SGDSettings(args.width, lrs, sds, args.batch, 1)
        fused.train_models_fused(few, sgd, **kw)  # compile
        r = fused.train_models_fused(rows_on_dev, sgd, **kw)
        row = {**kw, "train_seconds_per_epoch": r.train_seconds}
        sweep.append(row)
        print("config:", json.dumps(row), flush=True)
    res[f"config_sweep_{len(lrs)}_models"] = sweep
    save()

    # 3. timing at the default configuration
    targets = {256: (2.0, 1.0), 1024: (5.0, None)}
    scored = DeviceRows.load(Xtr, ytr, ev, dev)
    for n_models in args.models:
        target, goal = targets.get(n_models, (float("nan"), None))
        lrs, sds = grid(n_models)
        one = fused.train_models_fused(scored, SGDSettings(args.width, lrs, sds, args.batch, 1))
        epochs = args.epochs
        if one.train_seconds * args.epochs > args.budget:
            epochs = max(1, int(args.budget // max(one.train_seconds, 1e-9)))
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        r = fused.train_models_fused(scored, SGDSettings(args.width, lrs, sds, args.batch, epochs))
        wall = time.perf_counter() - t
        row = {
            "models": n_models,
            "epochs_asked": args.epochs,
            "epochs_run": epochs,
            "rows": args.rows,
            "width": args.width,
            "batch": args.batch,
            **run_row(r, epochs, wall, dev),
        }
        # the CUDA-graph path on the same data, 2 epochs, for the ratio
        g = train_models(
            Xtr,
            ytr,
            {},
            SGDSettings(args.width, lrs, sds, args.batch, 2),
            device=dev,
            engine="torch",
        )
        row["graph_train_seconds_per_epoch"] = g.train_seconds / 2
        row["speedup_vs_graph"] = (
            row["graph_train_seconds_per_epoch"] / row["train_seconds_per_epoch"]
        )
        res[f"timing_{n_models}"] = row
        print("timing:", json.dumps(row), flush=True)
        if epochs == args.epochs:
            met = "MET" if r.train_seconds <= target else "NOT MET"
            extra = (
                f", goal <= {goal} s {'MET' if r.train_seconds <= goal else 'NOT MET'}"
                if goal
                else ""
            )
            print(
                f"TARGET {n_models} models x {epochs} epochs on {args.rows:,} rows: "
                f"{r.train_seconds:.2f} s of training (target <= {target} s: {met}{extra}); "
                f"scoring {r.eval_seconds:.2f} s",
                flush=True,
            )
        else:
            print(
                f"TARGET {n_models} models: only {epochs} of {args.epochs} epochs fit the "
                f"budget ({row['train_seconds_per_epoch']:.3f} s per epoch): NOT MET",
                flush=True,
            )
        save()


if __name__ == "__main__":
    main()
