"""What the GPU benchmarks (gpu_check.py, gpu_fused.py) share: arguments, run records."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch
from cardlike import card_like, standardised

from hw6lib.mlp import TrainingResult


def run_arguments() -> argparse.ArgumentParser:
    """Return a parser with the sizes of a timed run: rows, epochs, width, batch, output folder."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--out", default=".")
    return ap


def grid(n_models: int) -> tuple[list[float], list[int]]:
    """Return the learning rates and seeds of ``n_models`` models: 16 rates from 0.003 to 3."""
    n_lr = 16
    n_seed = max(1, n_models // n_lr)
    lrs = [float(v) for v in np.geomspace(0.003, 3.0, n_lr) for _ in range(n_seed)]
    return lrs, [s for _ in range(n_lr) for s in range(n_seed)]


def timing_data(
    rows: int, n_valid: int, n_test: int
) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Return standardised card-like training rows and their validation and test sets."""
    Xa, ya = card_like(rows + n_valid + n_test, seed=0)
    Xa = standardised(Xa)
    ev = {
        "valid": (Xa[rows : rows + n_valid], ya[rows : rows + n_valid]),
        "test": (Xa[rows + n_valid :], ya[rows + n_valid :]),
    }
    return Xa[:rows], ya[:rows], ev


def run_row(
    result: TrainingResult, epochs: int, wall: float, device: torch.device
) -> dict[str, Any]:
    """Times, divergences, best validation F1 and peak GPU memory of one ``train_models`` run.

    Parameters
    ----------
    result : TrainingResult
        What the trainer returned.
    epochs : int
        Epochs it ran.
    wall : float
        Wall-clock seconds of the call, measured by the caller around it.
    device : torch.device
        The training device (peak memory only on CUDA).
    """
    f1 = [m["epochs"][-1]["valid"]["f1"] for m in result.models if m["diverged_epoch"] is None]
    return {
        "train_seconds": result.train_seconds,
        "train_seconds_per_epoch": result.train_seconds / epochs,
        "eval_seconds": result.eval_seconds,
        "wall_seconds": wall,
        "diverged": sum(m["diverged_epoch"] is not None for m in result.models),
        "best_valid_f1": max(f1) if f1 else None,
        "max_memory_gib": torch.cuda.max_memory_allocated() / 2**30
        if device.type == "cuda"
        else None,
    }
