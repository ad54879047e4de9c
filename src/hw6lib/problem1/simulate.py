"""Simulated data of Problem 1: ``x ~ N(0, 1)``, ``y = sigmoid(x)``."""

from __future__ import annotations

import numpy as np

from hw6lib.problem1.chain import FloatArray, sigmoid


def simulate(n: int, seed: int) -> tuple[FloatArray, FloatArray]:
    """Draw the Problem 1 data exactly as the published solution did.

    The published code ran ``np.random.seed(3); x = np.random.normal(0, 1, size=(n, 1))``.
    The same stream is drawn here from a private ``numpy.random.RandomState`` (no global state
    is touched), so ``seed = 3`` reproduces the published data bit for bit.

    Parameters
    ----------
    n : int
        Number of observations, at least 1.
    seed : int
        Seed of the legacy Mersenne-Twister generator, ``0 <= seed < 2**32``.

    Returns
    -------
    x, y : numpy.ndarray, shape (n,)
        Inputs and targets ``y = sigmoid(x)``, float64.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    x = np.random.RandomState(seed).normal(0.0, 1.0, size=(n, 1)).ravel()
    return x, sigmoid(x)
