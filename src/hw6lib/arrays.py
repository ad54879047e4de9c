"""Typed binary arrays on disk: ``.npy`` files, written atomically (byte-deterministic)."""

from __future__ import annotations

import os

import numpy as np

from hw6lib.io import atomic_open


def save_array(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save one array as ``.npy`` atomically (``.npy`` has no timestamps, unlike ``.npz``)."""
    with atomic_open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: str | os.PathLike[str], mmap: bool = False) -> np.ndarray:
    """Load an array saved by :func:`save_array` (never unpickles)."""
    return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
