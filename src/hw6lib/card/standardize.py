"""Standardisation of the features: the training rows' column means and deviations.

The MLP sees standardised features, scaled with statistics of the rows it is fitted on only
(never validation or test rows). Needs only numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Standardizer:
    """Column means and standard deviations of the training rows."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    def transform(self, X: ArrayLike) -> NDArray[np.float32]:
        """Return ``(X - mean) / scale`` in float32."""
        X = np.asarray(X, dtype=np.float64)
        return ((X - self.mean) / self.scale).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        """Return the means and scales as plain lists, for JSON."""
        return {"mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale]}


def fit_standardizer(X_train: ArrayLike) -> Standardizer:
    """Means and (population) standard deviations of the training rows' columns.

    A constant column gets scale 1 (it is centred, not blown up).

    Parameters
    ----------
    X_train : array_like, shape (n, p)
        The rows the models are trained on (never validation or test rows).

    Returns
    -------
    Standardizer
        The statistics, with :meth:`Standardizer.transform` to apply them.
    """
    X = np.asarray(X_train, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X_train must be a non-empty 2-d array, got shape {X.shape}")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[~(scale > 0)] = 1.0
    return Standardizer(mean=mean, scale=scale)
