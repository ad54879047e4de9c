"""The SGD step of many models at once, and an epoch's mini-batches (the torch trainer's core).

:class:`TrainState` holds every model's stacked parameters
(:func:`hw6lib.mlp.model.stack_layers`), learning rate, momentum buffers and work buffers;
:func:`step` is one fused SGD step of every model on its own mini-batch, and
:func:`train_epoch` feeds it the epoch's mini-batches, each seed's rows gathered once, block by
block, so that every step reads a contiguous slice. :mod:`hw6lib.mlp.cudagraph` replays the same
steps from a CUDA graph; :mod:`hw6lib.mlp.engine` runs the epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hw6lib.mlp.model import Params, StepBuffers, forward_backward


@dataclass
class TrainState:
    """Everything one training run updates in place, and the rows it reads.

    Attributes
    ----------
    stacked : dict
        ``A1, ..., AL``: the parameters, one per linear layer, updated in place (see
        :func:`hw6lib.mlp.model.forward_backward`).
    views : dict
        :func:`hw6lib.mlp.model.param_views` of ``stacked``.
    params : dict
        ``W1, ..., bL``: views of ``stacked``.
    buffers : dict or None
        Momentum buffers like ``stacked``, in step units (``lr`` times ``torch.optim.SGD``'s).
    base_lr : torch.Tensor, shape (M, 1, 1)
        Each model's own learning rate, 0 once frozen.
    lr : torch.Tensor, shape (M, 1, 1)
        This epoch's rate: ``base_lr`` times the schedule's ``factor``.
    factor : float
        The schedule's factor that ``lr`` and ``buffers`` carry.
    loss_rows : torch.Tensor, shape (M, 1, B)
        Each batch column's loss summed over the epoch.
    XY : torch.Tensor, shape (n, p + 2)
        Training rows: features, 1 (the bias input), label.
    umap : torch.Tensor, shape (M,)
        Model to row of the per-seed permutations.
    momentum : float
        SGD momentum (0: no buffers).
    work : dict
        :class:`hw6lib.mlp.model.StepBuffers` per mini-batch size (full batches, last batch).
    blocks : dict
        Gather buffers of :func:`train_epoch`, by (batch size, steps).
    """

    stacked: Params
    views: Params
    params: Params
    buffers: Params | None
    base_lr: torch.Tensor
    lr: torch.Tensor
    factor: float
    loss_rows: torch.Tensor
    XY: torch.Tensor
    umap: torch.Tensor
    momentum: float
    work: dict[int, StepBuffers]
    blocks: dict[tuple[int, int], tuple[torch.Tensor, ...]]


def begin_epoch(state: TrainState) -> None:
    """Refresh the per-batch-size ``lr / b`` from ``state.lr`` (after any change of it).

    A change of the learning rates between epochs is ``state.lr.mul_(f)`` followed by this;
    with momentum, also multiply ``state.buffers`` by ``f`` (they hold ``lr`` times
    ``torch.optim.SGD``'s buffers).
    """
    for b, w in state.work.items():
        torch.div(state.lr, b, out=w.lr_b)


def step(state: TrainState, xT: torch.Tensor, yT: torch.Tensor, t: torch.Tensor) -> None:
    """One SGD step of every model on its mini-batch, in place.

    ``xT`` (M, p + 1, b) holds the batch's rows as columns with a row of ones, ``yT``
    (M, 1, b) their labels; the rows' losses are added to ``t`` (M, 1, b).
    ``torch.optim.SGD`` semantics (no dampening, no weight decay, no Nesterov) with each
    model's learning rate ``lr``: ``p -= lr * g``; with momentum ``mu > 0``,
    ``buf = mu * buf + g`` (``buf`` starts at 0) and ``p -= lr * buf``. The errors carry the
    learning rate (see :func:`forward_backward`), so each layer's update is one fused
    ``[W; b] -= [a; 1] d'``, and the buffers hold ``lr * buf``; the errors are computed with
    the weights before the step.
    """
    w = state.work[xT.shape[2]]
    forward_backward(state.views, xT, yT, w)
    t.add_(w.t)
    S, buf = state.stacked, state.buffers
    inputs = [xT, *w.a]  # layer k's input: the batch, then the hidden activations
    for layer in range(len(w.d), 0, -1):  # the last layer first
        k, lhs, dt = f"A{layer}", inputs[layer - 1], w.dt[layer - 1]
        if buf is None:
            S[k].baddbmm_(lhs, dt, alpha=-1.0)
        else:
            buf[k].baddbmm_(lhs, dt, beta=state.momentum)
            S[k].sub_(buf[k])


def train_epoch(state: TrainState, perm: torch.Tensor, batch_size: int, first: int = 0) -> None:
    """Run the epoch's mini-batches from number ``first`` on, each seed's rows gathered once.

    ``perm`` (U, n) holds each seed's order of the rows. The rows of a run of consecutive
    mini-batches are gathered by one ``index_select`` (each training row once per seed and
    epoch; models that share a seed share it), turned feature-major into a contiguous block
    ``(steps, U, p + 2, B)``, copied out to the models (``(steps, M, p + 2, B)``) only where
    seeds are shared or reordered, and each step reads one contiguous slice of the block. The
    blocks are allocated at the first epoch and reused.
    """
    U, n = perm.shape
    M = state.umap.shape[0]
    q = state.XY.shape[1]
    n_full, rest = divmod(n, batch_size)
    n_full -= min(first, n_full)
    budget = 2**22 if perm.is_cuda else 2**16  # rows per block (on a CPU: stays in cache)
    spans = [(batch_size, k) for k in _chunks(n_full, max(1, budget // (M * batch_size)))]
    if rest:
        spans.append((rest, 1))
    shared = M != U or not torch.equal(state.umap.cpu(), torch.arange(M))
    start = first * batch_size
    for b, steps in spans:
        if (b, steps) not in state.blocks:
            e = {"dtype": torch.float32, "device": perm.device}
            state.blocks[b, steps] = (
                torch.empty(steps, U, b, dtype=torch.long, device=perm.device),
                torch.empty(steps, U, b, q, **e),
                torch.empty(steps, U, q, b, **e),
            ) + ((torch.empty(steps, M, q, b, **e),) if shared else ())
        idx, rows, cols, *per_model = state.blocks[b, steps]
        idx.copy_(perm[:, start : start + steps * b].view(U, steps, b).transpose(0, 1))
        torch.index_select(state.XY, 0, idx.view(-1), out=rows.view(-1, q))
        cols.copy_(rows.transpose(2, 3))
        if per_model:
            cols = torch.index_select(cols, 1, state.umap, out=per_model[0])
        t = state.loss_rows[:, :, :b]
        xs, ys = cols[:, :, :-1], cols[:, :, -1:]
        for k in range(steps):
            step(state, xs[k], ys[k], t)
        start += steps * b


def _chunks(total: int, size: int) -> list[int]:
    """``total`` split into runs of ``size`` and a last shorter one."""
    return [min(size, total - s) for s in range(0, total, size)]
