"""The run-time self-check of the fast engines on a real GPU (run by bench/gpu_check.sh).

For widths 16 and 32, batch sizes 100 and 1000 and momentums 0 and 0.9 (of the default grid;
four compiled variants of the fused kernel, within a minute), runs
:func:`hw6lib.mlp.selfcheck.choose_engine` with the default engines (fused, then CUDA graph,
then eager) on card-like rows, as a training job does before it trains, and then the CUDA
graph's check on its own (so that it is checked even where the fused kernel passes). Prints
one JSON line per case (engine chosen, every check's largest difference, its ratio to the
bound, the check's seconds) and a last line ``SELFCHECK PASS`` when every fast engine passed
everywhere, else ``SELFCHECK FAIL``. Writes ``gpu_selfcheck.json`` into ``--out``.

On the CPU (``--dry-run``, with ``TRITON_INTERPRET=1``) the fused kernel runs in Triton's
interpreter on tiny sizes, to check this script's flow.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cardlike import card_like, standardised

from hw6lib.mlp import SGDSettings
from hw6lib.mlp.engines import EagerEngine, FusedEngine, GraphEngine, default_engines
from hw6lib.mlp.selfcheck import choose_engine, self_check


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=450_000, help="the job's training rows")
    ap.add_argument("--out", default=".")
    ap.add_argument("--dry-run", action="store_true", help="CPU, interpreter, tiny sizes")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    log = logging.getLogger("hw6")
    if args.dry_run:
        dev, rows, widths, batches = torch.device("cpu"), 400, [4], [50]
        engines = [FusedEngine(cuda_only=False), EagerEngine()]
    elif torch.cuda.is_available():
        dev, rows, widths, batches = torch.device("cuda"), args.rows, [16, 32], [100, 1000]
        engines = default_engines()
    else:
        print("gpu_selfcheck: torch sees no CUDA device", flush=True)
        sys.exit(2)
    X, y = card_like(rows, seed=2)
    X = standardised(X)
    out: dict = {
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu (dry run)",
        "torch": torch.__version__,
        "cases": [],
    }
    ok = True
    for width in widths:
        for batch in batches:
            for momentum in (0.0, 0.9):
                sgd = SGDSettings.grid(
                    width, [0.03, 0.1, 0.3, 1.0, 3.0], [0, 1, 2], batch, 12, [momentum], "cosine"
                )
                t = time.perf_counter()
                choice = choose_engine(engines, X, y, sgd, dev, "auto", log)
                case = {
                    "width": width,
                    "batch": batch,
                    "momentum": momentum,
                    **choice.record().to_json(),
                    "seconds": time.perf_counter() - t,
                }
                if dev.type == "cuda" and choice.engine.name == "fused":  # graph on its own too
                    rec = self_check(GraphEngine(), EagerEngine(), X, y, sgd, dev, log)
                    case["graph_alone"] = rec.__dict__
                    ok &= rec.passed
                ok &= choice.engine.name == engines[0].name
                out["cases"].append(case)
                print("case:", json.dumps(case), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_selfcheck.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"SELFCHECK {'PASS' if ok else 'FAIL'}", flush=True)


if __name__ == "__main__":
    main()
