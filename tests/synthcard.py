"""Card-like arrays for the MLP tests, from :func:`hw6lib.card.synthetic.generate_card_data`."""

from __future__ import annotations

import numpy as np

from hw6lib.card.csvfile import FEATURES, LABEL
from hw6lib.card.synthetic import generate_card_data


def synth_card(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of the synthetic stand-in: features (float32, 7 columns) and labels (uint8)."""
    frame = generate_card_data(n, seed)
    return frame[list(FEATURES)].to_numpy(np.float32), frame[LABEL].to_numpy().astype(np.uint8)
