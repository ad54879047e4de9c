"""One-shot GPU check of the MLP trainer (run by bench/gpu_check.sh on a lent H100/H200).

1. correctness on CUDA: the CUDA-graph path equals the eager path; a model inside the batch
   equals the same model trained alone; CUDA scores equal CPU scores of the same parameters;
2. the full-size grid: ``--models`` models (16 learning rates x seeds), h = 16, batch 500,
   ``--epochs`` epochs on ``--rows`` training rows, every epoch scored on 50,000 validation and
   500,000 test rows; training seconds (without scoring) against the 5 s target, and an eager
   (no CUDA graph) epoch for comparison.

Writes ``gpu_check.json`` into ``--out``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cardlike import card_like, standardised
from gpu_common import grid, run_arguments, run_row, timing_data

from hw6lib.mlp import SGDSettings, cudagraph, evaluate, train_models


def max_diff(a: dict, b: dict, m: int | None = None) -> float:
    return max(float(np.max(np.abs((a[k] if m is None else a[k][m : m + 1]) - b[k]))) for k in a)


def main() -> None:
    ap = run_arguments()
    ap.add_argument("--models", type=int, default=256)
    args = ap.parse_args()
    out: dict = {"torch": torch.__version__, "numpy": np.__version__, "cuda": torch.version.cuda}
    if not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA device", flush=True)
        sys.exit(2)
    dev = torch.device("cuda")
    out["device"] = torch.cuda.get_device_name(dev)
    print(
        f"device {out['device']}, torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True
    )

    # 1. correctness, small
    X, y = card_like(40_000, seed=1)
    X = standardised(X)
    ev = {"valid": (X[:5000], y[:5000])}
    lrs, seeds = [0.03, 0.3, 1.0, 0.1], [0, 0, 1, 2]
    t = time.perf_counter()
    g = train_models(X, y, ev, SGDSettings(16, lrs, seeds, 500, 2), device=dev, cuda_graph=True)
    e = train_models(X, y, ev, SGDSettings(16, lrs, seeds, 500, 2), device=dev, cuda_graph=False)
    alone = train_models(
        X, y, {}, SGDSettings(16, [lrs[2]], [seeds[2]], 500, 2), device=dev, cuda_graph=True
    )
    pc = {k: torch.from_numpy(v).to(dev) for k, v in g.params.items()}
    s_gpu = evaluate(
        pc,
        torch.from_numpy(X[:5000]).to(dev),
        torch.from_numpy(y[:5000].astype(np.float32)).view(-1, 1).to(dev),
    )
    pcpu = {k: torch.from_numpy(v) for k, v in g.params.items()}
    s_cpu = evaluate(
        pcpu, torch.from_numpy(X[:5000]), torch.from_numpy(y[:5000].astype(np.float32)).view(-1, 1)
    )
    out["correctness"] = {
        "graph_used": g.cuda_graph,
        "graph_vs_eager_max_param_diff": max_diff(g.params, e.params),
        "batched_vs_alone_max_param_diff": max_diff(g.params, alone.params, 2),
        "cuda_vs_cpu_scores_max_f1_diff": max(
            abs(a["f1"] - b["f1"]) for a, b in zip(s_gpu, s_cpu, strict=True)
        ),
        "valid_f1": [m["epochs"][-1]["valid"]["f1"] for m in g.models],
        "seconds": time.perf_counter() - t,
    }
    print("correctness:", json.dumps(out["correctness"]), flush=True)

    # 2. the full-size grid
    Xtr, ytr, ev = timing_data(args.rows, n_valid=50_000, n_test=500_000)
    lrs, sds = grid(args.models)
    for label, graph, epochs in (("graph", True, args.epochs), ("eager", False, 2)):
        torch.cuda.synchronize()
        t = time.perf_counter()
        r = train_models(
            Xtr,
            ytr,
            ev,
            SGDSettings(args.width, lrs, sds, args.batch, epochs),
            device=dev,
            cuda_graph=graph,
        )
        wall = time.perf_counter() - t
        res = {
            "models": len(lrs),
            "epochs": epochs,
            "rows": args.rows,
            "width": args.width,
            "batch": args.batch,
            "cuda_graph": r.cuda_graph,
            **run_row(r, epochs, wall, dev),
        }
        out[f"grid_{label}"] = res
        print(f"grid ({label}):", json.dumps(res), flush=True)
    gg = out["grid_graph"]
    print(
        f"TARGET {gg['models']} models x {gg['epochs']} epochs on {gg['rows']:,} rows: "
        f"{gg['train_seconds']:.2f} s of training (target <= 5 s): "
        f"{'MET' if gg['train_seconds'] <= 5 and gg['models'] >= 256 else 'NOT MET'}",
        flush=True,
    )
    # 2b. mini-batches per graph replay: training seconds per epoch (2 epochs, no scoring)
    sweep = {}
    for steps in (1, 16, 64, 256):
        cudagraph.GRAPH_STEPS = steps
        torch.cuda.synchronize()
        r = train_models(Xtr, ytr, {}, SGDSettings(args.width, lrs, sds, args.batch, 2), device=dev)
        sweep[steps] = r.train_seconds / 2
    cudagraph.GRAPH_STEPS = 64
    out["graph_steps_sweep_seconds_per_epoch"] = sweep
    print("graph steps per replay -> s/epoch:", json.dumps(sweep), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
