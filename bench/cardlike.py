"""Card-like rows for the benchmarks, with numpy alone (design notes §4).

The pipeline's generator is :func:`hw6lib.carddata.generate_card_data` (it needs pandas); this
one follows the same recipe without it, so that the benchmarks also run on a bare GPU machine
that has only numpy and torch.
"""

from __future__ import annotations

import numpy as np


def card_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows: features (float32, the 7 columns in file order) and fraud labels (uint8)."""
    rng = np.random.default_rng(seed)
    home = np.exp(rng.normal(2.31, 1.40, n))
    last = np.exp(rng.normal(0.0, 1.80, n))
    ratio = np.exp(rng.normal(0.0, 1.09, n))
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


def standardised(X: np.ndarray) -> np.ndarray:
    """Columns centred and scaled (float32)."""
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)
