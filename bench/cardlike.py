"""Card-like rows for the benchmarks: the pipeline's own stand-in generator and standardiser.

Thin wrappers around :func:`hw6lib.card.synthetic.generate_card_data` and
:func:`hw6lib.card.standardize.fit_standardizer`, returning the arrays the trainers take.
"""

from __future__ import annotations

import numpy as np

from hw6lib.card.csvfile import FEATURES, LABEL
from hw6lib.card.standardize import fit_standardizer
from hw6lib.card.synthetic import generate_card_data


def card_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows: features (float32, the 7 columns in file order) and fraud labels (uint8)."""
    frame = generate_card_data(n, seed)
    X = frame[list(FEATURES)].to_numpy(dtype=np.float32)
    return X, frame[LABEL].to_numpy().astype(np.uint8)


def standardised(X: np.ndarray) -> np.ndarray:
    """Columns centred and scaled by their own means and deviations (float32)."""
    return fit_standardizer(X).transform(X)
