"""Learning-rate schedules side by side: constant, cosine and step, on the default stand-in.

    .venv/bin/python bench/mlp_schedule.py [--width 16] [--batches 250 1000] [--epochs 12]

Trains, under each schedule, the same models (width ``--width``; every batch size, learning
rate, momentum 0 and 0.9, seeds 0-2; ``--epochs`` epochs, the schedule's horizon) with
:func:`hw6lib.mlp.cell.train_cell` on the pipeline's stand-in (1,000,000 rows from its generator
with the default seed 425, train = the first 500,000; taken from the generator, not read back
through the CSV, so the figures differ slightly from a run's), and prints, per schedule and
momentum, the
configuration with the best mean validation F1 over seeds (any epoch), its test F1 (mean ± sd
over seeds), and the best validation F1 at the last epoch. Not a test: a measurement (it takes
minutes on a CPU).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cardlike import card_like

from hw6lib.card.split import CardSplit
from hw6lib.mlp import SGDSettings, train_cell
from hw6lib.mlp.grid import grid_rows, summarise
from hw6lib.mlp.schedule import SCHEDULES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batches", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--lrs", type=float, nargs="+", default=[0.03, 0.1, 0.3, 1.0, 3.0])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--schedules", nargs="+", default=list(SCHEDULES))
    args = ap.parse_args()
    torch.set_num_threads(1)
    X, y = card_like(1_000_000, seed=425)
    split = CardSplit(X[:500_000], y[:500_000], X[500_000:], y[500_000:], n_valid=50_000)
    print(
        f"width {args.width}, batches {args.batches}, learning rates {args.lrs}, momentum 0 and "
        f"0.9, seeds 0-2, {args.epochs} epochs (the schedule's horizon)"
    )
    print(
        f"{'schedule':9s} {'mom.':>4s}  best (lr, batch, epoch)   valid F1   test F1 ± sd"
        f"        best valid F1 at the last epoch"
    )
    for sched in args.schedules:
        cells = [
            train_cell(
                split,
                SGDSettings.grid(
                    args.width,
                    args.lrs,
                    [0, 1, 2],
                    b,
                    args.epochs,
                    momentums=[0.0, 0.9],
                    schedule=sched,
                ),
            )
            for b in args.batches
        ]
        summaries = summarise(grid_rows(cells, list(range(1, args.epochs + 1))))
        for mu in (0.0, 0.9):
            s = next(s for s in summaries if s.momentum == mu)
            last = max(
                (t for t in summaries if t.momentum == mu and t.epochs == args.epochs),
                key=lambda t: t.score,
            )
            t = s.test_f1
            print(
                f"{sched:9s} {mu:4g}  lr {s.lr:<5g} b {s.batch_size:<5d} e {s.epochs:<3d}"
                f"   {s.score:.4f}   {t.mean:.4f} ± {np.nan_to_num(t.sd):.4f}"
                f"     {last.score:.4f} (lr {last.lr:g}, b {last.batch_size})"
            )


if __name__ == "__main__":
    main()
