"""Speed of MLP training, seconds per model-epoch, four ways on the same data (not a test).

    .venv/bin/python bench/mlp_speed.py [--rows 1000000] [--device cpu|cuda] [--models 32]

All four train Linear(7,16)-ReLU-Linear(16,16)-ReLU-Linear(16,1) with batch 500, plain SGD
(momentum 0), on the same standardised synthetic card rows:

1. the published loop: ``DataLoader(TensorDataset(X, y), batch_size=500, shuffle=True)``,
   ``nn.Sequential``, autograd, ``torch.optim.SGD`` (the published code's structure);
2. ours, one model (:func:`hw6lib.mlp.engine.train_models` with one learning rate);
3. ours, ``--models`` models at once (different learning rates and seeds);
4. scikit-learn ``MLPClassifier(hidden_layer_sizes=(16, 16), solver="sgd", momentum=0)``.

The slow ones (1, and 4 on big data) are timed on a prefix of an epoch (``--max-seconds``) and
scaled to a full epoch; the output says so. Our loops are timed without per-epoch scoring, over
all their epochs (the first includes allocating the training buffers). All four run in this one
process, one after the other, so the ratios compare loops under the same load; the targets
(issue 13) are printed with whether they are met:

* ours, ``--models`` at once: >= 35x the published loop and >= 5x scikit-learn;
* ours, one model: >= 15x the published loop.

    .venv/bin/python bench/mlp_speed.py --rows 500000 --threads 1 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cardlike import card_like, standardised

from hw6lib.mlp import SGDSettings, train_models

H, BATCH = 16, 500

#: (ratio name, description, target) printed after the table.
TARGETS = (
    ("batched_vs_published", "batched vs published", 35.0),
    ("batched_vs_sklearn", "batched vs scikit-learn", 5.0),
    ("single_vs_published", "one model vs published", 15.0),
)


def published_loop(
    X: np.ndarray, y: np.ndarray, max_seconds: float, clock=time.perf_counter
) -> tuple[float, float]:
    """Seconds for the part of an epoch done within ``max_seconds``, and that fraction.

    ``clock`` measures them (``time.process_time``: CPU seconds, as ``mlp_peer.py`` does).
    """
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)))
    loader = torch.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=True)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(7, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0)
    loss_fn = nn.BCEWithLogitsLoss()
    n_batches = len(loader)
    t0 = clock()
    done = 0
    for xb, yb in loader:
        loss = loss_fn(net(xb).squeeze(-1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        done += 1
        if clock() - t0 > max_seconds:
            break
    return clock() - t0, done / n_batches


def sklearn_loop(
    X: np.ndarray, y: np.ndarray, max_rows: int, clock=time.perf_counter
) -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    n = min(len(X), max_rows)
    clf = MLPClassifier(
        hidden_layer_sizes=(H, H),
        solver="sgd",
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=BATCH,
        learning_rate_init=0.1,
        max_iter=1,
        shuffle=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = clock()
        clf.fit(X[:n], y[:n])
        return clock() - t0, n / len(X)


def ours(X: np.ndarray, y: np.ndarray, models: int, device: str, epochs: int) -> float:
    lrs = list(np.geomspace(0.01, 1.0, models))
    out = train_models(
        X, y, {}, SGDSettings(H, lrs, list(range(models)), BATCH, epochs), device=device
    )
    return out.train_seconds / epochs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=2, help="epochs of our loops")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="time budget of the slow loops")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (0: torch's default; 1 is steadiest)"
    )
    ap.add_argument("--json", help="also write the table to this JSON file")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    X, y = card_like(args.rows, seed=0)
    X = standardised(X)
    print(
        f"data: {args.rows:,} rows, h={H}, batch {BATCH}, momentum 0; device {args.device}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    rows = []
    sec, frac = published_loop(X, y, args.max_seconds)
    rows.append(("published DataLoader loop", sec / frac, 1, frac))
    # our loops: time epochs after the first (warm-up)
    single = ours(X, y, 1, args.device, args.epochs)
    rows.append(("ours, one model", single, 1, 1.0))
    batched = ours(X, y, args.models, args.device, args.epochs)
    rows.append((f"ours, {args.models} models at once", batched / args.models, args.models, 1.0))
    sk_rows = max(BATCH, int(args.rows * min(1.0, args.max_seconds / 60)))
    try:
        sec, frac = sklearn_loop(X, y, sk_rows)
        rows.append(("scikit-learn MLPClassifier(sgd)", sec / frac, 1, frac))
    except ImportError:
        rows.append(("scikit-learn (not installed)", float("nan"), 1, 1.0))
    pub = rows[0][1]
    ratios = {
        "batched_vs_published": pub / rows[2][1],
        "batched_vs_sklearn": rows[3][1] / rows[2][1],
        "single_vs_published": pub / single,
    }
    print(f"{'loop':36s} {'s / model-epoch':>16s} {'vs published':>13s}  timed")
    for name, s, _, frac in rows:
        timed = "full epoch(s)" if frac >= 1 else f"{100 * frac:.1f}% of an epoch, scaled"
        print(f"{name:36s} {s:16.4f} {pub / s:12.1f}x  {timed}")
    met = {key: bool(ratios[key] >= target) for key, _, target in TARGETS}
    for key, label, target in TARGETS:
        verdict = "met" if met[key] else "NOT met"
        print(f"target {label:26s} {ratios[key]:6.1f}x  (>= {target:g}x): {verdict}")
    print("all targets met" if all(met.values()) else "some targets NOT met")
    if args.json:
        table = [
            {"loop": r[0], "seconds_per_model_epoch": r[1], "epoch_fraction": r[3]} for r in rows
        ]
        Path(args.json).write_text(
            json.dumps(
                {
                    "rows": args.rows,
                    "device": args.device,
                    "threads": torch.get_num_threads(),
                    "table": table,
                    **ratios,
                    "targets_met": met,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
