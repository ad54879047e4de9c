"""One cell of the grid (one width and batch size) from the split arrays, and its device.

The last ``n_valid`` training rows are the validation rows (:func:`hw6lib.holdout.split_valid`);
the models are trained on the others, standardised with those rows' statistics only
(:func:`hw6lib.standardize.fit_standardizer`); validation and test rows are scored after every
epoch.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from hw6lib.holdout import split_valid
from hw6lib.mlp.engine import train_models
from hw6lib.mlp.training import SGDSettings
from hw6lib.runlog import GPU_FALLBACK
from hw6lib.standardize import fit_standardizer


def train_cell(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    n_valid: int,
    sgd: SGDSettings,
    device: torch.device | str = "cpu",
    cuda_graph: bool = True,
    logger: logging.Logger | None = None,
) -> dict[str, Any]:
    """Every model of one (width, batch size) cell of the grid, with each of its momentums.

    The models of one momentum are trained together by one call of
    :func:`hw6lib.mlp.engine.train_models`, one momentum after the other.

    Parameters
    ----------
    X_train, y_train : array_like
        The training rows and labels; the last ``n_valid`` are the validation rows.
    X_test, y_test : array_like
        The test rows and labels (scored every epoch, never used to choose).
    n_valid : int
        ``card.n_valid``.
    sgd : SGDSettings
        The cell's models (:meth:`SGDSettings.grid`) and their training.
    device : torch.device or str
        Training device.
    cuda_graph : bool
        Passed to :func:`hw6lib.mlp.engine.train_models`.
    logger : logging.Logger, optional
        Progress messages.

    Returns
    -------
    dict
        ``width``, ``batch_size``, ``momentums``, ``schedule``, ``epochs``, ``n_fit``,
        ``n_valid``, ``n_test``, ``standardizer``, and ``models`` (see
        :class:`hw6lib.mlp.training.TrainingResult`), each with its ``momentum``; no timings, so
        that equal configurations give equal files.
    """
    log = logger or logging.getLogger("hw6")
    X_train = np.asarray(X_train)
    fit, valid = split_valid(X_train.shape[0], n_valid)
    y_train = np.asarray(y_train).ravel()
    st = fit_standardizer(X_train[fit])
    X_fit = st.transform(X_train[fit])
    evals = {
        "valid": (st.transform(X_train[valid]), y_train[valid]),
        "test": (st.transform(X_test), np.asarray(y_test).ravel()),
    }
    models = []
    for mu in sgd.momentums:
        out = train_models(
            X_fit, y_train[fit], evals, sgd.with_momentum(mu), device, cuda_graph, logger
        )
        models += [{"momentum": float(mu), **m} for m in out.models]
        log.info(
            "cell w%d b%d momentum %g: %d models x %d epochs, training %.1fs, scoring %.1fs",
            sgd.width,
            sgd.batch_size,
            mu,
            sgd.n_models,
            sgd.epochs,
            out.train_seconds,
            out.eval_seconds,
        )
    return {
        "width": int(sgd.width),
        "batch_size": int(sgd.batch_size),
        "momentums": [float(mu) for mu in sgd.momentums],
        "schedule": sgd.schedule,
        "epochs": int(sgd.epochs),
        "n_fit": int(fit.stop),
        "n_valid": int(n_valid),
        "n_test": int(np.asarray(X_test).shape[0]),
        "standardizer": st.to_dict(),
        "models": models,
    }


def cell_device(name: str, gpus: int = 0, logger: logging.Logger | None = None) -> torch.device:
    """Choose the device of one training job: the configured name, and what was granted.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda"}
        ``mlp.device`` from the config (see :func:`hw6lib.device.resolve_device`).
    gpus : int
        GPUs the job was given (Snakemake's ``gpu`` resource, set by a GPU profile).
    logger : logging.Logger, optional
        Where to say which device was used and why.

    Returns
    -------
    torch.device

    Raises
    ------
    hw6lib.errors.InputError
        For ``cuda`` without a CUDA device, or an unknown name.
    """
    from hw6lib.device import resolve_device

    log = logger or logging.getLogger("hw6")
    dev = resolve_device(name, log)
    if gpus and dev.type != "cuda":
        log.warning(
            "the job was given %d %s (device %r, CUDA %s)",
            gpus,
            GPU_FALLBACK,
            name,
            "available" if torch.cuda.is_available() else "not available",
        )
    return dev
