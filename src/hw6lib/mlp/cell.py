"""One cell of the grid (one depth, width and batch size) from the split, and the job's device.

The split (:class:`hw6lib.card.split.CardSplit`) holds the validation rows (the last ``n_valid``
training rows), the fitting rows before them and their standardisation (those rows' statistics
only); the models are trained on the fitting rows, and validation and test rows are scored after
every epoch. :func:`job_device` is the device of a training job, from the config and the
resources the job was given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from hw6lib.card.split import CardSplit
from hw6lib.mlp.cellfile import Cell, CellEngine, CellModel
from hw6lib.mlp.engines import Engine, default_engines
from hw6lib.mlp.selfcheck import choose_engine
from hw6lib.mlp.shape import DEFAULT_DEPTH
from hw6lib.mlp.training import SGDSettings
from hw6lib.pipeline.runlog import GPU_FALLBACK


def train_cell(
    split: CardSplit,
    sgd: SGDSettings,
    cuda_graph: bool = True,
    logger: logging.Logger | None = None,
    engine: str = "auto",
    engines: Sequence[Engine] | None = None,
) -> Cell:
    """Every model of one (width, batch size) cell of the grid, with each of its momentums.

    The models of one momentum are trained together by one engine
    (:mod:`hw6lib.mlp.engines`), one momentum after the other; each momentum's engine is
    chosen, and a fast one checked against the eager reference on the cell's own rows, by
    :func:`hw6lib.mlp.selfcheck.choose_engine`.

    Parameters
    ----------
    split : hw6lib.card.split.CardSplit
        The data, with ``n_valid`` (the models fit the rows before the validation slice,
        standardised by those rows' statistics; validation and test rows are scored every
        epoch, never used to fit) and the training device.
    sgd : SGDSettings
        The cell's models (:meth:`SGDSettings.grid`) and their training.
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
    Cell
        Its models each with the ``momentum`` and the ``engine`` that trained it, and per
        momentum the engine and its self-checks (:meth:`hw6lib.mlp.selfcheck.EngineChoice.record`:
        largest difference, cost as a fraction of the job's work).
    """
    log = logger or logging.getLogger("hw6")
    X_fit, y_fit, evals = split.X_fit, split.y_fit, split.evals
    if engines is None:
        engines = [e for e in default_engines() if cuda_graph or e.name != "graph"]
    device = torch.device(split.device)
    models, used = [], []
    for mu in sgd.momentums:
        run = sgd.with_momentum(mu)
        choice = choose_engine(engines, X_fit, y_fit, run, device, engine, log)
        out = choice.engine.train(X_fit, y_fit, evals, run, device, log)
        name = choice.engine.name
        models += [CellModel(momentum=float(mu), engine=name, **m) for m in out.models]
        used.append(CellEngine.extend(choice.record(), momentum=float(mu)))
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
    return Cell(
        depth=sgd.depth if sgd.depth != DEFAULT_DEPTH else None,
        width=int(sgd.width),
        batch_size=int(sgd.batch_size),
        momentums=[float(mu) for mu in sgd.momentums],
        schedule=sgd.schedule,
        epochs=int(sgd.epochs),
        n_fit=int(split.fit.stop),
        n_valid=int(split.n_valid),
        n_test=split.n_test,
        standardizer=split.standardizer.to_dict(),
        models=models,
        engines=used,
    )


def cell_device(name: str, gpus: int = 0, logger: logging.Logger | None = None) -> torch.device:
    """Choose the device of one training job: the configured name, and what was granted.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda"}
        ``mlp.device`` from the config (see :func:`hw6lib.pipeline.device.resolve_device`).
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
    from hw6lib.pipeline.device import resolve_device

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


def job_device(
    name: str, resources: Mapping[str, Any], logger: logging.Logger | None = None
) -> torch.device:
    """Choose the device of a training job: :func:`cell_device` with the GPUs it was given.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda"}
        ``mlp.device``.
    resources : mapping
        The job's resources (``snakemake.resources``): its ``gpu`` count or ``gres`` string
        (:func:`hw6lib.pipeline.device.granted_gpus`).
    logger : logging.Logger, optional
        Where to say which device was used and why.

    Returns
    -------
    torch.device
    """
    from hw6lib.pipeline.device import granted_gpus

    gpus = granted_gpus(resources.get("gpu", 0), resources.get("gres", ""))
    return cell_device(name, gpus, logger)
