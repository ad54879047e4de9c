"""A faithful synthetic stand-in for ``card_transdata.csv``, in the real file's format.

:func:`generate_card_data` draws rows with the real file's columns and statistical structure, as
measured on a 50,000-row prefix of it (the constants below); :func:`write_card_csv` writes them in
the real file's format (read back by :func:`hw6lib.card.csvfile.load_card_csv`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from hw6lib.card.csvfile import COLUMNS, FEATURES, LABEL
from hw6lib.pipeline.resultfiles import atomic_open

#: Log-normal parameters (log-mean, log-sd) measured on a 50,000-row prefix of the real file.
LOGNORMAL: dict[str, tuple[float, float]] = {
    "distance_from_home": (2.31, 1.40),
    "distance_from_last_transaction": (0.00, 1.80),
    "ratio_to_median_purchase_price": (0.00, 1.09),
}
#: ``repeat_retailer`` is exactly 1 when ``distance_from_home`` exceeds this.
REPEAT_RETAILER_THRESHOLD: float = 1.9
#: Probabilities of the independent flags.
FLAG_RATES: dict[str, float] = {"used_chip": 0.35, "used_pin_number": 0.10, "online_order": 0.65}
#: The label rule's score threshold (see :func:`fraud_score`).
FRAUD_SCORE_THRESHOLD: int = 8
#: Share of labels that disagree with the rule in the real file (3 of 49,999 rows).
LABEL_NOISE: float = 3 / 49_999


def fraud_score(frame: pd.DataFrame) -> np.ndarray:
    """Compute the score behind the label: ``3A + 2B + 2C + 2D + E + 3F + G``.

    With ``A = ratio > 4``, ``B = distance_from_home > 100``, ``C = distance_from_last_transaction
    > 50``, ``D = online_order``, ``E = not used_chip``, ``F = not used_pin_number``,
    ``G = not repeat_retailer``. On the real file, ``fraud == (score >= 8)`` in 49,996 of 49,999
    rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The columns of :data:`FEATURES`.

    Returns
    -------
    numpy.ndarray of int
    """
    return (
        3 * (frame["ratio_to_median_purchase_price"].to_numpy() > 4)
        + 2 * (frame["distance_from_home"].to_numpy() > 100)
        + 2 * (frame["distance_from_last_transaction"].to_numpy() > 50)
        + 2 * (frame["online_order"].to_numpy() == 1)
        + 1 * (frame["used_chip"].to_numpy() == 0)
        + 3 * (frame["used_pin_number"].to_numpy() == 0)
        + 1 * (frame["repeat_retailer"].to_numpy() == 0)
    )


def generate_card_data(n: int, seed: int, label_noise: float = LABEL_NOISE) -> pd.DataFrame:
    """Draw a synthetic stand-in for ``card_transdata.csv``.

    The three continuous columns are log-normal with the parameters of :data:`LOGNORMAL`;
    ``repeat_retailer`` is 1 exactly when ``distance_from_home > 1.9``; ``used_chip``,
    ``used_pin_number`` and ``online_order`` are independent Bernoulli draws with the rates of
    :data:`FLAG_RATES`; ``fraud`` is ``score >= 8`` (:func:`fraud_score`), flipped with
    probability ``label_noise``. About 8.7% of the rows are fraud.

    Parameters
    ----------
    n : int
        Number of rows, at least 1.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same rows.
    label_noise : float
        Probability that a label disagrees with the rule (default: the real file's 3/49,999).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, all float64 (binary columns hold 0.0 and 1.0), as in
        the real file.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for col, (mu, sd) in LOGNORMAL.items():
        data[col] = np.exp(rng.normal(mu, sd, n))
    data["repeat_retailer"] = (data["distance_from_home"] > REPEAT_RETAILER_THRESHOLD).astype(
        np.float64
    )
    for col, p in FLAG_RATES.items():
        data[col] = (rng.random(n) < p).astype(np.float64)
    frame = pd.DataFrame({c: data[c] for c in FEATURES})
    label = fraud_score(frame) >= FRAUD_SCORE_THRESHOLD
    label ^= rng.random(n) < label_noise
    frame[LABEL] = label.astype(np.float64)
    return frame


def write_card_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    r"""Write rows in the real file's format, atomically.

    Header line, ``\n`` line ends, floats with the shortest round-trip digits (up to 17), binary
    columns as ``1.0``/``0.0``, no index.
    """
    with atomic_open(path, "w") as f:
        frame.loc[:, list(COLUMNS)].to_csv(f, index=False, lineterminator="\n")
