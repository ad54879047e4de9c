"""One cell of the grid (one depth, width and batch size) from the split arrays, and its device.

The last ``n_valid`` training rows are the validation rows (:func:`hw6lib.holdout.split_valid`);
the models are trained on the others, standardised with those rows' statistics only
(:func:`hw6lib.standardize.fit_standardizer`); validation and test rows are scored after every
epoch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from hw6lib.holdout import split_valid
from hw6lib.mlp.engines import Engine, default_engines
from hw6lib.mlp.model import DEFAULT_DEPTH
from hw6lib.mlp.selfcheck import choose_engine
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
    engine: str = "auto",
    engines: Sequence[Engine] | None = None,
) -> dict[str, Any]:
    """Every model of one (width, batch size) cell of the grid, with each of its momentums.

    The models of one momentum are trained together by one engine
    (:mod:`hw6lib.mlp.engines`), one momentum after the other; each momentum's engine is
    chosen, and a fast one checked against the eager reference on the cell's own rows, by
    :func:`hw6lib.mlp.selfcheck.choose_engine`.

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
        ``False`` leaves the CUDA-graph engine out of the default engines.
    logger : logging.Logger, optional
        Progress messages.
    engine : {"auto", "fused", "graph", "eager"}
        ``mlp.engine`` (see :func:`hw6lib.mlp.selfcheck.choose_engine`).
    engines : sequence of Engine, optional
        The engines in order of preference (default
        :func:`hw6lib.mlp.engines.default_engines`; tests pass stand-ins).

    Returns
    -------
    dict
        ``depth`` (only where it is not the homework's 2, so that the cells of the default grid
        are as before), ``width``, ``batch_size``, ``momentums``, ``schedule``, ``epochs``,
        ``n_fit``, ``n_valid``, ``n_test``, ``standardizer``, ``models`` (see
        :class:`hw6lib.mlp.training.TrainingResult`), each with its ``momentum`` and the
        ``engine`` that trained it, and ``engines``: per momentum the engine and its self-checks
        (:meth:`hw6lib.mlp.selfcheck.EngineChoice.record`: largest difference, cost as a
        fraction of the job's work); no timings, so that equal configurations give equal files.
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
    if engines is None:
        engines = [e for e in default_engines() if cuda_graph or e.name != "graph"]
    device = torch.device(device)
    models, used = [], []
    for mu in sgd.momentums:
        run = sgd.with_momentum(mu)
        choice = choose_engine(engines, X_fit, y_train[fit], run, device, engine, log)
        out = choice.engine.train(X_fit, y_train[fit], evals, run, device, log)
        models += [{"momentum": float(mu), "engine": choice.engine.name, **m} for m in out.models]
        used.append({"momentum": float(mu), **choice.record()})
        log.info(
            "cell w%d b%d momentum %g: %d models x %d epochs with engine %s, training %.1fs, "
            "scoring %.1fs",
            sgd.width,
            sgd.batch_size,
            mu,
            sgd.n_models,
            sgd.epochs,
            choice.engine.name,
            out.train_seconds,
            out.eval_seconds,
        )
    depth = {"depth": sgd.depth} if sgd.depth != DEFAULT_DEPTH else {}
    return {
        **depth,
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
        "engines": used,
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
