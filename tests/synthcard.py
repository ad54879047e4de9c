"""A stand-in for the card data (design.md §4), for tests and benchmarks only.

The pipeline's own generator is ``hw6lib.carddata.generate_card_data`` (the data issue); this
fixture follows the same rule of thumb so that the MLP code can be exercised before that lands.
"""

from __future__ import annotations

import numpy as np


def synth_card(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of card-like features (float32, 7 columns) and fraud labels (uint8)."""
    rng = np.random.default_rng(seed)
    home = rng.lognormal(2.31, 1.40, n)
    last = rng.lognormal(0.0, 1.80, n)
    ratio = rng.lognormal(0.0, 1.09, n)
    repeat = (home > 1.9).astype(np.float64)
    chip = (rng.random(n) < 0.35).astype(np.float64)
    pin = (rng.random(n) < 0.10).astype(np.float64)
    online = (rng.random(n) < 0.65).astype(np.float64)
    score = (
        3 * (ratio > 4)
        + 2 * (home > 100)
        + 2 * (last > 50)
        + 2 * online
        + (1 - chip)
        + 3 * (1 - pin)
        + (1 - repeat)
    )
    X = np.column_stack([home, last, ratio, repeat, chip, pin, online]).astype(np.float32)
    return X, (score >= 8).astype(np.uint8)


def write_split(directory, n_train: int, n_test: int, seed: int = 0) -> None:
    """Write ``X_train.npy``, ``y_train.npy``, ``X_test.npy``, ``y_test.npy``, ``summary.json``."""
    import json
    from pathlib import Path

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    X, y = synth_card(n_train + n_test, seed)
    np.save(d / "X_train.npy", X[:n_train])
    np.save(d / "y_train.npy", y[:n_train])
    np.save(d / "X_test.npy", X[n_train:])
    np.save(d / "y_test.npy", y[n_train:])
    summary = {"n_train": n_train, "n_test": n_test, "source": "tests/synthcard.py", "seed": seed}
    (d / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
