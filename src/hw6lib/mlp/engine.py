"""The torch trainer: many models of one width and batch size trained at once with SGD.

Model ``m`` has its own learning rate, its own seed (initial weights and the shuffling of every
epoch) and sees its own mini-batches, so it follows the path it would follow alone (to float32
rounding: the summation order inside the batched products may depend on the batch shape); only
the arithmetic is shared. :func:`train_models` reads as the algorithm: per epoch, set the
schedule's rate, draw each seed's order of the rows, run the steps
(:mod:`hw6lib.mlp.steps`, replayed from a CUDA graph where one was captured:
:mod:`hw6lib.mlp.cudagraph`), check each model's health, freeze the diverged, score the eval
sets (:class:`hw6lib.mlp.progress.TrainingProgress`). On a CUDA device it hands the run to the
fused Triton kernel (:mod:`hw6lib.mlp.fused`) where that kernel runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import torch
from numpy.typing import ArrayLike

from hw6lib.mlp.cudagraph import StepGraph, capture_steps
from hw6lib.mlp.denormals import flush_denormals
from hw6lib.mlp.model import (
    init_params,
    param_views,
    stack_layers,
    step_buffers,
    unstack_layers,
)
from hw6lib.mlp.progress import TrainingProgress
from hw6lib.mlp.schedule import lr_factor
from hw6lib.mlp.shape import layer_sizes
from hw6lib.mlp.steps import TrainState, begin_epoch, train_epoch
from hw6lib.mlp.training import DeviceRows, RowOrders, SGDSettings, TrainingResult


def train_models(
    X_train: ArrayLike,
    y_train: ArrayLike,
    eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
    sgd: SGDSettings,
    device: torch.device | str = "cpu",
    cuda_graph: bool = True,
    logger: logging.Logger | None = None,
    engine: str = "auto",
    monitor: str | None = None,
    require_graph: bool = False,
) -> TrainingResult:
    """Train the ``sgd.n_models`` models of one width and batch size at once.

    Parameters
    ----------
    X_train : array_like, shape (n, p)
        Training rows, already standardised.
    y_train : array_like, shape (n,)
        0/1 labels.
    eval_sets : mapping
        Name (e.g. ``"valid"``, ``"test"``) to ``(X, y)``, scored after every epoch.
    sgd : SGDSettings
        The models and how they are trained (one momentum: :attr:`SGDSettings.momentum`).
    device : torch.device or str
        Training device.
    cuda_graph : bool
        On a CUDA device, replay the steps from a CUDA graph (:mod:`hw6lib.mlp.cudagraph`;
        falls back to eager kernels if capture fails). Ignored on the CPU.
    logger : logging.Logger, optional
        Progress messages.
    engine : {"auto", "torch"}
        ``auto``: on a CUDA device where the fused kernel of :mod:`hw6lib.mlp.fused` runs
        (Triton importable, two hidden layers; no ``sgd.horizon`` beyond ``sgd.epochs``), train
        with it (same semantics); ``torch``: the path below. On a CPU, subnormal floats are
        flushed to zero while it runs (:func:`hw6lib.mlp.denormals.flush_denormals`).
    monitor : str, optional
        The eval set whose best F1 the log shows each epoch (default: the first).
    require_graph : bool
        Raise ``RuntimeError`` when no CUDA graph was captured (capture failed, no full
        mini-batch, not a CUDA device) instead of training eagerly (the ``graph`` engine of
        :mod:`hw6lib.mlp.engines`).

    Returns
    -------
    TrainingResult
        The models' records and final parameters (see
        :class:`hw6lib.mlp.training.TrainingResult`).
    """
    log = logger or logging.getLogger("hw6")
    device = torch.device(device)
    rows = DeviceRows.load(X_train, y_train, eval_sets, device)
    if engine == "auto" and device.type == "cuda" and sgd.span == sgd.epochs:
        from hw6lib.mlp import fused

        if fused.usable(device, sgd.width, sgd.momentum, log, sgd.depth):
            return fused.train_models_fused(rows, sgd, log, monitor)
    with flush_denormals(device):
        return _train_torch(rows, sgd, cuda_graph, log, monitor, require_graph)


def _train_torch(
    rows: DeviceRows,
    sgd: SGDSettings,
    cuda_graph: bool,
    log: logging.Logger,
    monitor: str | None,
    require_graph: bool,
) -> TrainingResult:
    """Run the torch path of :func:`train_models` (the caller flushes subnormals on a CPU)."""
    device = rows.X.device
    state = new_state(rows, sgd)
    orders = RowOrders.for_settings(sgd, device)
    graph = None
    if device.type == "cuda" and cuda_graph:
        graph = capture_steps(state, len(orders.seeds), rows.n, sgd.batch_size, log)
    if graph is None and require_graph:
        raise RuntimeError("CUDA graph capture failed or found no full mini-batch")
    progress = TrainingProgress.start(state.params, rows, sgd, monitor)
    for epoch in range(1, sgd.epochs + 1):
        progress.start_epoch()
        set_schedule_factor(state, lr_factor(sgd.schedule, epoch, sgd.span))
        train_loss = run_epoch(state, orders.draw(rows.n), sgd.batch_size, graph)
        newly = progress.end_epoch(epoch, state.params, train_loss, rows, log)
        if newly:
            freeze(state, progress.alive(device))
    return TrainingResult(
        models=progress.models(sgd),
        params={k: v.cpu().numpy() for k, v in state.params.items()},
        train_seconds=progress.clock.train_seconds,
        eval_seconds=progress.clock.eval_seconds,
        cuda_graph=graph is not None,
    )


def new_state(rows: DeviceRows, sgd: SGDSettings) -> TrainState:
    """Set up the initial models of ``sgd`` (:func:`hw6lib.mlp.model.init_params`) and buffers.

    Parameters
    ----------
    rows : DeviceRows
        The training rows, on the training device.
    sgd : SGDSettings
        The models (one momentum).

    Returns
    -------
    TrainState
        Ready for the first epoch (learning rates at the schedule's factor 1).
    """
    X, y = rows.X, rows.y
    device = X.device
    n, p = X.shape
    M = sgd.n_models
    umap = torch.tensor(sgd.seed_rows(), dtype=torch.long, device=device)
    # features, 1 (the bias input), label: one gather fetches a row's x and y
    XY = torch.cat([X, torch.ones_like(y), y], dim=1)
    base_lr = torch.tensor(sgd.learning_rates, dtype=torch.float32, device=device).view(M, 1, 1)
    stacked = stack_layers(init_params(sgd.width, sgd.seeds, p, device, sgd.depth))
    momentum = sgd.momentum
    batch = min(sgd.batch_size, n)
    sizes = {batch, n % sgd.batch_size} - {0}
    state = TrainState(
        stacked=stacked,
        views=param_views(stacked),
        params=unstack_layers(stacked),
        buffers={k: torch.zeros_like(v) for k, v in stacked.items()} if momentum else None,
        base_lr=base_lr,
        lr=base_lr.clone(),
        factor=1.0,
        loss_rows=torch.zeros(M, 1, batch, dtype=torch.float32, device=device),
        XY=XY,
        umap=umap,
        momentum=float(momentum),
        work={b: step_buffers(M, b, layer_sizes(sgd.width, sgd.depth, p), device) for b in sizes},
        blocks={},
    )
    begin_epoch(state)
    return state


def set_schedule_factor(state: TrainState, factor: float) -> None:
    """Set every model's rate to its own times the schedule's ``factor`` (momentum included).

    The buffers hold ``lr`` times ``torch.optim.SGD``'s buffers, so they are rescaled with
    the rate.
    """
    if factor != state.factor:
        state.lr.copy_(state.base_lr).mul_(factor)
        if state.buffers is not None:
            for v in state.buffers.values():
                v.mul_(factor / state.factor)
        state.factor = factor


def run_epoch(
    state: TrainState, perms: torch.Tensor, batch_size: int, graph: StepGraph | None
) -> np.ndarray:
    """One epoch of SGD of every model, in the seeds' orders ``perms`` (U, n).

    Returns
    -------
    numpy.ndarray, shape (M,)
        Each model's mean training loss over the epoch's rows.
    """
    begin_epoch(state)
    state.loss_rows.zero_()
    with torch.no_grad():
        done = graph.replay_epoch(perms) if graph is not None else 0
        train_epoch(state, perms, batch_size, first=done)
    n = perms.shape[1]
    return state.loss_rows.sum(dim=(1, 2), dtype=torch.float64).div_(n).cpu().numpy()


def freeze(state: TrainState, alive: torch.Tensor) -> None:
    """Stop the models where ``alive`` (M, 1, 1) is 0: their rates and buffers become 0."""
    state.base_lr.mul_(alive)
    state.lr.mul_(alive)
    if state.buffers is not None:
        for v in state.buffers.values():
            v.mul_(alive)
