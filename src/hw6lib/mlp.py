"""The fraud classifier: a two-ReLU-layer perceptron trained with plain SGD, many models at once.

The model is ``Linear(7, h) -> ReLU -> Linear(h, h) -> ReLU -> Linear(h, 1)``; it returns logits
and is trained on ``BCEWithLogitsLoss`` (no sigmoid layer: the loss applies it, stably).

Many models are trained as one: every parameter carries a leading *model* dimension ``M`` and
the layers are batched matrix products (``torch.bmm``). Model ``m`` has its own learning rate,
its own seed (initial weights and the shuffling of every epoch) and sees its own mini-batches,
so it follows the path it would follow alone (to float32 rounding: the summation order inside
the batched products may depend on the batch shape); only the arithmetic is shared. The
forward and backward passes are written out by hand: no autograd graph per step and no tensor
allocated per step, a fixed sequence of some 18 kernels (three products forward, one back, one
fused update per layer) that a CUDA graph can capture and replay per mini-batch
(:func:`train_models` with ``cuda_graph=True`` on a CUDA device). Training works
feature-major (activations ``(M, units, rows)`` with a row of ones, each layer's weights and
bias stacked), and each epoch gathers each seed's rows once, block by block, so that every step
reads a contiguous slice (:func:`_train_epoch`).

Conventions
-----------
* Weights are stored as ``(M, fan_in, fan_out)`` (the transpose of ``nn.Linear.weight``), biases
  as ``(M, 1, fan_out)``; both are drawn as ``nn.Linear`` draws them,
  ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, from ``numpy.random.default_rng([seed, 1])`` on the CPU,
  so a seed gives the same initial model on every device.
* Each epoch's order of the training rows is ``torch.randperm`` from a generator seeded with
  ``seed`` on the training device (the CPU order is deterministic; a CUDA run draws other,
  equally random orders). Models that share a seed share initial weights and orders (common
  random numbers across learning rates).
* After every epoch a model is marked diverged at that epoch when its training loss or
  parameters are not finite, or when the epoch's mean training loss exceeds
  :data:`DIVERGENCE_FACTOR` times the loss of its initial weights on the training rows (SGD
  steps so large that they overshoot: with a learning rate of 1000 the loss stays finite but
  grows to some 50 times its start). Its learning rate becomes 0 (its parameters stop moving,
  and are meaningless) and its later records hold no metrics. The other models go on.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from torch import nn

from hw6lib.metrics import metrics_from_counts
from hw6lib.runlog import GPU_FALLBACK
from hw6lib.schedule import lr_factor

#: Number of input features (the 7 columns of :data:`hw6lib.carddata.FEATURES`; not imported
#: from there so that this module needs only numpy and torch, e.g. on a bare GPU machine).
N_IN: int = 7

#: A model whose epoch-mean training loss exceeds this multiple of its initial loss diverged.
DIVERGENCE_FACTOR: float = 2.0

#: Parameter names, in the order of the layers.
PARAM_NAMES: tuple[str, ...] = ("W1", "b1", "W2", "b2", "W3", "b3")

Params = dict[str, torch.Tensor]


# --------------------------------------------------------------------------------------------
# Standardisation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standardizer:
    """Column means and standard deviations of the training rows."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    def transform(self, X: ArrayLike) -> NDArray[np.float32]:
        """``(X - mean) / scale`` in float32."""
        X = np.asarray(X, dtype=np.float64)
        return ((X - self.mean) / self.scale).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists, for JSON."""
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
    """
    X = np.asarray(X_train, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X_train must be a non-empty 2-d array, got shape {X.shape}")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[~(scale > 0)] = 1.0
    return Standardizer(mean=mean, scale=scale)


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def init_params(
    width: int,
    seeds: Sequence[int],
    n_in: int = N_IN,
    device: torch.device | str = "cpu",
) -> Params:
    """Initial parameters of ``len(seeds)`` models, each drawn from its own seed.

    Parameters
    ----------
    width : int
        Units in each of the two hidden layers.
    seeds : sequence of int
        One seed per model; equal seeds give equal models.
    n_in : int
        Number of input features.
    device : torch.device or str
        Where the tensors live.

    Returns
    -------
    dict
        ``W1 (M, n_in, h)``, ``b1 (M, 1, h)``, ``W2 (M, h, h)``, ``b2 (M, 1, h)``,
        ``W3 (M, h, 1)``, ``b3 (M, 1, 1)``, float32.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    shapes = [(n_in, width), (width, width), (width, 1)]
    out: dict[str, list[NDArray[np.float32]]] = {k: [] for k in PARAM_NAMES}
    for seed in seeds:
        rng = np.random.default_rng([int(seed), 1])
        for layer, (fan_in, fan_out) in enumerate(shapes, start=1):
            bound = 1.0 / math.sqrt(fan_in)
            w = rng.uniform(
                -bound, bound, size=(fan_out, fan_in)
            ).T  # nn.Linear's layout, transposed
            b = rng.uniform(-bound, bound, size=(1, fan_out))
            out[f"W{layer}"].append(w.astype(np.float32))
            out[f"b{layer}"].append(b.astype(np.float32))
    return {
        k: torch.from_numpy(np.ascontiguousarray(np.stack(v))).to(device) for k, v in out.items()
    }


def forward_logits(params: Params, X: torch.Tensor) -> torch.Tensor:
    """Logits of every model on rows ``X``.

    Parameters
    ----------
    params : dict
        As returned by :func:`init_params` (``M`` models).
    X : torch.Tensor, shape (n, p) or (M, n, p)
        The same rows for every model, or each model's own rows.

    Returns
    -------
    torch.Tensor, shape (M, n)
    """
    W1, b1, W2, b2, W3, b3 = (params[k] for k in PARAM_NAMES)
    M, p, h = W1.shape
    if X.dim() == 2:
        # feature-major, one column per row: the first layer of all models is one matrix
        # product, (M h, p) x (p, n); then one batched product per layer
        n = X.shape[0]
        z1 = torch.addmm(
            b1.transpose(1, 2).reshape(M * h, 1), W1.transpose(1, 2).reshape(M * h, p), X.T
        )
        a1 = z1.clamp_min_(0.0).view(M, h, n)
        a2 = torch.baddbmm(b2.transpose(1, 2), W2.transpose(1, 2), a1).clamp_min_(0.0)
        return torch.baddbmm(b3, W3.transpose(1, 2), a2).view(M, n)
    a1 = torch.relu(torch.baddbmm(b1, X, W1))
    a2 = torch.relu(torch.baddbmm(b2, a1, W2))
    # the one output unit as a row-vector product, z3' = W3' a2' (BLAS is slow at (n, h) x (h, 1))
    return torch.baddbmm(b3, W3.transpose(1, 2), a2.transpose(1, 2)).squeeze(1)


def to_module(params: Params, m: int) -> nn.Sequential:
    """Model ``m`` as a plain ``nn.Sequential`` (for checks and for use outside the pipeline).

    Returns
    -------
    torch.nn.Sequential
        ``Linear(p, h), ReLU, Linear(h, h), ReLU, Linear(h, 1)`` on the CPU, float32, returning
        logits; train it with ``nn.BCEWithLogitsLoss``.
    """
    _, p, h = params["W1"].shape
    net = nn.Sequential(nn.Linear(p, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 1))
    with torch.no_grad():
        for layer, lin in zip((1, 2, 3), (net[0], net[2], net[4]), strict=True):
            lin.weight.copy_(params[f"W{layer}"][m].T.cpu())
            lin.bias.copy_(params[f"b{layer}"][m, 0].cpu())
    return net


@dataclass
class _Work:
    """Preallocated activations and errors of one mini-batch size ``b``, feature-major.

    Activations are stored ``(M, units, b)`` (one column per row of the batch) with a last
    row of ones, so a layer is one matrix product with its weights and bias stacked
    (``[W; b]``, see :class:`_State`). ``d3``, ``d2``, ``d1`` hold the errors of the three
    layers times each model's learning rate (``lr_b = lr / b``), so ``[a; 1] d'`` is the step
    itself.
    """

    a1: torch.Tensor  # (M, h + 1, b): relu(z1) and a row of ones
    a2: torch.Tensor  # (M, h + 1, b): relu(z2) and a row of ones
    z3: torch.Tensor  # (M, 1, b)
    t: torch.Tensor  # (M, 1, b), per-row loss
    d3: torch.Tensor  # (M, 1, b)
    d2: torch.Tensor  # (M, h, b)
    d1: torch.Tensor  # (M, h, b)
    lr_b: torch.Tensor  # (M, 1, 1)
    v: dict[str, torch.Tensor]  # views made once: a1h, a2h (no ones row), d1t, d2t, d3t (d')


def _work(M: int, b: int, h: int, device: torch.device) -> _Work:
    def e(*shape: int) -> torch.Tensor:
        return torch.empty(shape, dtype=torch.float32, device=device)

    ones = {"dtype": torch.float32, "device": device}
    a1, a2 = torch.ones(M, h + 1, b, **ones), torch.ones(M, h + 1, b, **ones)
    d3, d2, d1 = e(M, 1, b), e(M, h, b), e(M, h, b)
    views = {
        "a1h": a1[:, :h],
        "a2h": a2[:, :h],
        "d1t": d1.transpose(1, 2),
        "d2t": d2.transpose(1, 2),
        "d3t": d3.transpose(1, 2),
    }
    return _Work(a1, a2, e(M, 1, b), e(M, 1, b), d3, d2, d1, e(M, 1, 1), views)


def _param_views(stacked: Params) -> Params:
    """Views of the stacked parameters that the step reads (made once: they share memory).

    ``A1t``, ``A2t`` (``[W; b]'``), ``A3t`` (``[W3; b3]'``, ``(M, 1, h + 1)``), ``W2``
    and ``W3`` (without the bias row), and the stacked tensors themselves.
    """
    A1, A2, A3 = stacked["A1"], stacked["A2"], stacked["A3"]
    M, h1, _ = A2.shape
    return {
        **stacked,
        "A1t": A1.transpose(1, 2),
        "A2t": A2.transpose(1, 2),
        "A3t": A3.view(M, 1, h1),  # the same memory: A3 is (M, h + 1, 1)
        "W2": A2[:, :-1],
        "W3": A3[:, :-1],
    }


def _forward_backward(pv: Params, xT: torch.Tensor, yT: torch.Tensor, w: _Work) -> None:
    """Forward and backward pass of every model on its mini-batch, into the buffers ``w``.

    Fills ``w.t`` with each row's ``BCEWithLogitsLoss`` and ``w.d3, w.d2, w.d1`` with the
    errors (derivatives of the batch-mean loss by ``z3, z2, z1``) times each model's learning
    rate (``w.lr_b`` holds ``lr / b``: the learning rate and the mean's ``1 / b``).
    Written out (``b`` rows, ``s`` the logistic function): ``d3 = (s(z3) - y) / b``,
    ``d2 = W3 d3 * 1[z2 > 0]``, ``d1 = W2 d2 * 1[z1 > 0]`` (feature-major: one column per
    row); the gradient of ``[W_l; b_l]`` is ``[a_{l-1}; 1] d_l'``. No tensor is allocated (all
    results go into ``w``), so the same kernels run for every batch.

    The loss of a 0/1 label is ``softplus((1 - 2y) z3)`` (``softplus(z)`` for ``y = 0``,
    ``softplus(-z)`` for ``y = 1``), exact where ``softplus(z) - y z`` would cancel.

    Parameters
    ----------
    pv : dict
        :func:`_param_views` of ``A1 (M, p + 1, h)``, ``A2 (M, h + 1, h)``,
        ``A3 (M, h + 1, 1)``: each layer's weights with its bias as last row (read only).
    xT : torch.Tensor, shape (M, p + 1, b)
        Each model's mini-batch, one column per row, with a last row of ones.
    yT : torch.Tensor, shape (M, 1, b)
        Its 0/1 labels (float).
    w : _Work
        Buffers for this ``M`` and ``b``.
    """
    v = w.v
    torch.bmm(pv["A1t"], xT, out=v["a1h"])
    w.a1.clamp_min_(0.0)  # relu (the row of ones stays)
    torch.bmm(pv["A2t"], w.a1, out=v["a2h"])
    w.a2.clamp_min_(0.0)
    torch.bmm(pv["A3t"], w.a2, out=w.z3)
    torch.addcmul(w.z3, yT, w.z3, value=-2.0, out=w.t)  # (1 - 2y) z3
    torch.ops.aten.softplus.out(w.t, 1.0, 20.0, out=w.t)
    torch.sigmoid(w.z3, out=w.d3)
    w.d3.sub_(yT).mul_(w.lr_b)
    torch.mul(pv["W3"], w.d3, out=w.d2)  # W3 d3 (an outer product)
    torch.ops.aten.threshold_backward.grad_input(w.d2, v["a2h"], 0.0, grad_input=w.d2)
    torch.bmm(pv["W2"], w.d2, out=w.d1)
    torch.ops.aten.threshold_backward.grad_input(w.d1, v["a1h"], 0.0, grad_input=w.d1)


def _stack(params: Params) -> Params:
    """Each layer's weights with its bias as last row: ``A1``, ``A2``, ``A3`` (new tensors)."""
    return {f"A{k}": torch.cat([params[f"W{k}"], params[f"b{k}"]], dim=1) for k in (1, 2, 3)}


def _unstack(stacked: Params) -> Params:
    """``W1, b1, ..., b3`` as views of the stacked tensors (they share memory)."""
    out = {}
    for k in (1, 2, 3):
        A = stacked[f"A{k}"]
        out[f"W{k}"], out[f"b{k}"] = A[:, :-1], A[:, -1:]
    return out


def _transposed(xb: torch.Tensor) -> torch.Tensor:
    """``(M, b, p)`` rows to ``(M, p + 1, b)`` columns with a last row of ones."""
    M, b, p = xb.shape
    xT = torch.ones(M, p + 1, b, dtype=torch.float32, device=xb.device)
    xT[:, :p].copy_(xb.transpose(1, 2))
    return xT


def loss_and_grads(
    params: Params, xb: torch.Tensor, yb: torch.Tensor
) -> tuple[torch.Tensor, Params]:
    """Mean ``BCEWithLogitsLoss`` of every model on its own mini-batch, and its gradient.

    The forward and backward pass of training (:func:`_forward_backward`, learning rate 1),
    with the products that training folds into its update computed on their own; for checks.

    Parameters
    ----------
    params : dict
        ``M`` models.
    xb : torch.Tensor, shape (M, B, p)
        Each model's mini-batch.
    yb : torch.Tensor, shape (M, B, 1)
        Its 0/1 labels (float).

    Returns
    -------
    loss : torch.Tensor, shape (M,)
        Mean loss of each model on its batch.
    grads : dict
        Gradients, shaped like ``params``.
    """
    M, B, _ = xb.shape
    h = params["W2"].shape[1]
    w = _work(M, B, h, xb.device)
    w.lr_b.fill_(1.0 / B)
    xT = _transposed(xb)
    _forward_backward(_param_views(_stack(params)), xT, yb.transpose(1, 2), w)
    grads = {
        "A1": torch.bmm(xT, w.d1.transpose(1, 2)),
        "A2": torch.bmm(w.a1, w.d2.transpose(1, 2)),
        "A3": torch.bmm(w.a2, w.d3.transpose(1, 2)),
    }
    return w.t.mean(dim=(1, 2)), _unstack(grads)


# --------------------------------------------------------------------------------------------
# Training many models at once
# --------------------------------------------------------------------------------------------


@dataclass
class _State:
    stacked: Params  # A1, A2, A3: the parameters, updated in place (see _forward_backward)
    views: Params  # _param_views(stacked)
    params: Params  # W1, ..., b3: views of ``stacked``
    buffers: Params | None  # momentum buffers like ``stacked``, in step units (lr * SGD's)
    lr: torch.Tensor  # (M, 1, 1), each model's learning rate (0 freezes it)
    loss_rows: torch.Tensor  # (M, 1, B), each batch column's loss summed over the epoch
    XY: torch.Tensor  # (n, p + 2), training rows: features, 1, label
    umap: torch.Tensor  # (M,) model -> row of the per-seed permutations
    momentum: float
    work: dict[int, _Work]  # buffers per mini-batch size (full batches, last batch)
    blocks: dict[tuple[int, int], tuple[torch.Tensor, ...]]  # see _train_epoch


def _begin_epoch(state: _State) -> None:
    """Refresh the per-batch-size ``lr / b`` from ``state.lr`` (after any change of it).

    A change of the learning rates between epochs is ``state.lr.mul_(f)`` followed by this;
    with momentum, also multiply ``state.buffers`` by ``f`` (they hold ``lr`` times
    ``torch.optim.SGD``'s buffers).
    """
    for b, w in state.work.items():
        torch.div(state.lr, b, out=w.lr_b)


def _step(state: _State, xT: torch.Tensor, yT: torch.Tensor, t: torch.Tensor) -> None:
    """One SGD step of every model on its mini-batch, in place.

    ``xT`` (M, p + 1, b) holds the batch's rows as columns with a row of ones, ``yT``
    (M, 1, b) their labels; the rows' losses are added to ``t`` (M, 1, b).
    ``torch.optim.SGD`` semantics (no dampening, no weight decay, no Nesterov) with each
    model's learning rate ``lr``: ``p -= lr * g``; with momentum ``mu > 0``,
    ``buf = mu * buf + g`` (``buf`` starts at 0) and ``p -= lr * buf``. The errors carry the
    learning rate (see :func:`_forward_backward`), so each layer's update is one fused
    ``[W; b] -= [a; 1] d'``, and the buffers hold ``lr * buf``; the errors are computed with
    the weights before the step.
    """
    w = state.work[xT.shape[2]]
    _forward_backward(state.views, xT, yT, w)
    t.add_(w.t)
    S, buf, v = state.stacked, state.buffers, w.v
    for k, lhs, dt in (("A3", w.a2, v["d3t"]), ("A2", w.a1, v["d2t"]), ("A1", xT, v["d1t"])):
        if buf is None:
            S[k].baddbmm_(lhs, dt, alpha=-1.0)
        else:
            buf[k].baddbmm_(lhs, dt, beta=state.momentum)
            S[k].sub_(buf[k])


def _train_step(state: _State, idx: torch.Tensor) -> None:
    """One SGD step of every model; ``idx`` (U, B) holds the rows of each seed's batch.

    Gathers the batch itself (used by the CUDA-graph path, which replays these kernels).
    """
    rows = idx.index_select(0, state.umap)  # (M, B)
    b = rows.shape[1]
    xyT = state.XY[rows].transpose(1, 2).contiguous()  # (M, p + 2, B)
    _step(state, xyT[:, :-1], xyT[:, -1:], state.loss_rows[:, :, :b])


def _train_epoch(state: _State, perm: torch.Tensor, batch_size: int, first: int = 0) -> None:
    """The epoch's mini-batches from number ``first`` on, each seed's rows gathered once.

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
            _step(state, xs[k], ys[k], t)
        start += steps * b


def _chunks(total: int, size: int) -> list[int]:
    """``total`` split into runs of ``size`` and a last shorter one."""
    return [min(size, total - s) for s in range(0, total, size)]


def evaluate(
    params: Params, X: torch.Tensor, y: torch.Tensor, chunk: int | None = None
) -> list[dict[str, Any]]:
    """Loss and classification metrics of every model on rows ``(X, y)``.

    The prediction is fraud when the logit is positive (probability above 1/2); the metrics
    come from :func:`hw6lib.metrics.metrics_from_counts`.

    Parameters
    ----------
    params : dict
        ``M`` models.
    X : torch.Tensor, shape (n, p)
        Standardised rows, on the models' device.
    y : torch.Tensor, shape (n, 1)
        0/1 labels (float).
    chunk : int, optional
        Rows per forward pass (bounds memory); chosen from the device and ``M`` by default.

    Returns
    -------
    list of dict
        Per model: ``loss`` (mean BCE) and the entries of ``metrics_from_counts``.
    """
    M, _, h = params["W1"].shape
    n = X.shape[0]
    if chunk is None:
        budget = 2**27 if X.is_cuda else 2**18  # elements of one hidden activation
        chunk = max(256, budget // max(1, M * h))
    sums = torch.zeros(4, M, dtype=torch.float64, device=X.device)  # loss, tp, fp, fn
    with torch.no_grad():
        for s in range(0, n, chunk):
            z = forward_logits(params, X[s : s + chunk])  # (M, c)
            yc = y[s : s + chunk, 0]
            pred = z > 0
            pos = yc > 0.5
            # BCEWithLogitsLoss of a 0/1 label: softplus((1 - 2y) z), as in training
            sums[0] += F.softplus(z * (1 - 2 * yc)).sum(dim=1, dtype=torch.float64)
            tp = (pred & pos).sum(dim=1)
            sums[1] += tp
            sums[2] += pred.sum(dim=1) - tp
            sums[3] += pos.sum() - tp
    sums_np = sums.cpu().numpy()
    out = []
    for m in range(M):
        tp, fp, fn = (round(float(v)) for v in sums_np[1:, m])
        rec = metrics_from_counts({"tp": tp, "fp": fp, "fn": fn, "tn": n - tp - fp - fn})
        rec["loss"] = float(sums_np[0, m] / n) if n else float("nan")
        out.append(rec)
    return out


def _graph_steps(state: _State, idx_static: torch.Tensor, steps: int) -> None:
    """``steps`` training steps reading consecutive ``B``-row slices of ``idx_static``."""
    batch = idx_static.shape[1] // steps
    for k in range(steps):
        _train_step(state, idx_static[:, k * batch : (k + 1) * batch])


def _capture_graph(state: _State, idx_static: torch.Tensor, steps: int, log: logging.Logger) -> Any:
    """Capture ``steps`` training steps as one CUDA graph; ``None`` (and a log line) on failure.

    ``idx_static`` (U, steps * B) holds the rows of the next ``steps`` mini-batches of every
    seed; each replay runs all of them with one launch, so the per-batch cost is the kernels'
    alone (no Python, no launch overhead). Warm-up runs on a side stream (as CUDA graphs
    require) on the live state, so the state is saved first and restored after capture.
    """
    saved = {k: v.clone() for k, v in state.stacked.items()}
    saved_buf = {k: v.clone() for k, v in (state.buffers or {}).items()}
    saved_loss = state.loss_rows.clone()
    graph = None
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            _graph_steps(state, idx_static, min(steps, 3))
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            _graph_steps(state, idx_static, steps)
    except Exception as err:  # pragma: no cover - needs a GPU
        log.warning("CUDA graph capture failed (%s); training with eager kernels", err)
        graph = None
    finally:
        torch.cuda.synchronize()
        with torch.no_grad():
            for k, v in saved.items():
                state.stacked[k].copy_(v)
            for k, v in saved_buf.items():
                assert state.buffers is not None
                state.buffers[k].copy_(v)
            state.loss_rows.copy_(saved_loss)
    return graph


@dataclass
class TrainingProgress:
    """Per-model health and per-epoch records of one batched training run.

    Shared by the torch path (:func:`train_models`) and the fused kernel
    (:func:`hw6lib.mlp_triton.train_models_fused`), so that both apply the same divergence rule
    (:data:`DIVERGENCE_FACTOR`) and write the same records.
    """

    initial_loss: np.ndarray  # mean training loss of the initial weights, per model
    diverged: list[int | None] = field(default_factory=list)  # epoch it diverged, or None
    records: list[list[dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        M = len(self.initial_loss)
        self.diverged = self.diverged or [None] * M
        self.records = self.records or [[] for _ in range(M)]

    def healthy(self, params: Params, train_loss: np.ndarray) -> np.ndarray:
        """Models whose parameters are finite and whose epoch loss is finite and at most
        :data:`DIVERGENCE_FACTOR` times their initial loss."""
        finite = torch.stack([torch.isfinite(v).flatten(1).all(dim=1) for v in params.values()])
        return (
            finite.all(dim=0).cpu().numpy()
            & np.isfinite(train_loss)
            & (train_loss <= DIVERGENCE_FACTOR * self.initial_loss)
        )

    def update(
        self,
        epoch: int,
        train_loss: np.ndarray,
        healthy: np.ndarray,
        scores: Mapping[str, list[dict[str, Any]]],
    ) -> list[int]:
        """Mark newly diverged models, append every model's record of ``epoch``; return the
        models that diverged in this epoch (their record keeps the loss, not the scores)."""
        newly = [m for m, d in enumerate(self.diverged) if d is None and not healthy[m]]
        for m in newly:
            self.diverged[m] = epoch
        for m, d in enumerate(self.diverged):
            rec: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": float(train_loss[m]) if d in (None, epoch) else None,
                "diverged": d is not None,
            }
            for name, per_model in scores.items():
                rec[name] = None if d is not None else per_model[m]
            self.records[m].append(rec)
        return newly

    def report_epoch(
        self,
        log: logging.Logger,
        epoch: int,
        newly: Sequence[int],
        learning_rates: Sequence[float],
        seconds: tuple[float, float],
        scores: Mapping[str, list[dict[str, Any]]],
        engine: str = "",
    ) -> None:
        """Log the models frozen in ``epoch`` (if any) and the epoch's times and best F1."""
        if newly:
            log.warning(
                "epoch %d: %d model(s) diverged (lr %s), frozen",
                epoch,
                len(newly),
                [learning_rates[m] for m in newly],
            )
        log.info(
            "epoch %d%s: train %.2fs, eval %.2fs; best valid F1 %s",
            epoch,
            f" ({engine})" if engine else "",
            *seconds,
            self.best_valid_f1(scores),
        )

    def alive(self, device: torch.device) -> torch.Tensor:
        """1.0 for models still training, 0.0 for frozen ones, shape ``(M, 1, 1)``."""
        alive = [d is None for d in self.diverged]
        return torch.tensor(alive, dtype=torch.float32, device=device).view(-1, 1, 1)

    def best_valid_f1(self, scores: Mapping[str, list[dict[str, Any]]]) -> str:
        """The best validation F1 of the models still training, for the log ("-" if none)."""
        f1 = [
            scores["valid"][m]["f1"]
            for m, d in enumerate(self.diverged)
            if d is None and "valid" in scores
        ]
        return f"{max(f1):.4f}" if f1 else "-"

    def models(self, learning_rates: Sequence[float], seeds: Sequence[int]) -> list[dict[str, Any]]:
        """The ``models`` entry of :func:`train_models`'s result."""
        return [
            {
                "lr": float(learning_rates[m]),
                "seed": int(seeds[m]),
                "diverged_epoch": self.diverged[m],
                "initial_train_loss": float(self.initial_loss[m]),
                "epochs": self.records[m],
            }
            for m in range(len(self.initial_loss))
        ]


#: Mini-batches per CUDA-graph replay (fewer replays, but a longer capture).
GRAPH_STEPS = 64


def train_models(
    X_train: ArrayLike,
    y_train: ArrayLike,
    eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
    width: int,
    learning_rates: Sequence[float],
    seeds: Sequence[int],
    batch_size: int,
    epochs: int,
    momentum: float = 0.0,
    device: torch.device | str = "cpu",
    cuda_graph: bool = True,
    logger: logging.Logger | None = None,
    schedule: str = "constant",
    engine: str = "auto",
    horizon: int | None = None,
) -> dict[str, Any]:
    """Train ``M = len(learning_rates)`` models of one width and batch size at once.

    Parameters
    ----------
    X_train : array_like, shape (n, p)
        Training rows, already standardised.
    y_train : array_like, shape (n,)
        0/1 labels.
    eval_sets : mapping
        Name (e.g. ``"valid"``, ``"test"``) to ``(X, y)``, scored after every epoch.
    width : int
        Units per hidden layer.
    learning_rates, seeds : sequence
        Model ``m`` has learning rate ``learning_rates[m]`` and seed ``seeds[m]``.
    batch_size : int
        Rows per mini-batch (the last batch of an epoch holds the remainder).
    epochs : int
        Number of passes over the training rows.
    momentum : float
        SGD momentum (0: plain SGD).
    device : torch.device or str
        Training device.
    cuda_graph : bool
        On a CUDA device, capture :data:`GRAPH_STEPS` training steps once as a CUDA graph and
        replay it per group of full mini-batches (the leftover batches run eagerly; falls back
        to eager kernels if capture fails). Ignored on the CPU.
    logger : logging.Logger, optional
        Progress messages.
    schedule : {"constant", "cosine", "step"}
        Learning-rate schedule over the ``epochs`` (:func:`hw6lib.schedule.lr_factor`): every
        model's rate is its ``learning_rates`` entry times the epoch's factor, set once at the
        start of each epoch.
    engine : {"auto", "torch"}
        ``auto``: on a CUDA device where the fused kernel of :mod:`hw6lib.mlp_triton` runs
        (Triton importable), train with it (same semantics); ``torch``: the path below.
    horizon : int, optional
        Epochs the schedule spans (default ``epochs``): training the first ``epochs`` of a run
        scheduled over ``horizon`` epochs gives that run's model after ``epochs`` epochs (the
        ``torch`` engine only).

    Returns
    -------
    dict
        ``models``: per model ``lr``, ``seed``, ``diverged_epoch`` (``None`` if never),
        ``initial_train_loss`` (mean loss of the initial weights on the training rows) and
        ``epochs`` (one record per epoch: ``epoch``, ``train_loss``, ``diverged`` and per eval set
        the metrics of :func:`evaluate`, or ``None`` once diverged); ``params``: the final
        parameters as numpy arrays; ``train_seconds`` and ``eval_seconds`` (wall-clock, for logs
        and benchmarks only: not for result files); ``cuda_graph`` (whether a graph was used).
    """
    log = logger or logging.getLogger("hw6")
    device = torch.device(device)
    if horizon is not None and horizon < epochs:
        raise ValueError(f"horizon {horizon} is shorter than the {epochs} epochs trained")
    if engine == "auto" and device.type == "cuda" and horizon in (None, epochs):
        from hw6lib import mlp_triton

        if mlp_triton.usable(device, width, momentum, log):
            args = (X_train, y_train, eval_sets, width, learning_rates, seeds, batch_size, epochs)
            return mlp_triton.train_models_fused(*args, momentum, device, logger, schedule=schedule)
    if len(learning_rates) != len(seeds) or not learning_rates:
        raise ValueError("learning_rates and seeds must be non-empty and of equal length")
    if batch_size < 1 or epochs < 0:
        raise ValueError(f"batch_size must be >= 1 and epochs >= 0, got {batch_size}, {epochs}")
    lr_factor(schedule, 1, 1)  # an unknown schedule fails before any work
    Xn = np.ascontiguousarray(X_train, dtype=np.float32)
    n, p = Xn.shape
    if n == 0:
        raise ValueError("no training rows")
    M = len(learning_rates)
    useeds = sorted(set(int(s) for s in seeds))
    umap = torch.tensor([useeds.index(int(s)) for s in seeds], dtype=torch.long, device=device)

    def to_dev(X: ArrayLike, y: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(device)
        yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1)).to(device)
        return Xt, yt

    X, y = to_dev(Xn, y_train)
    # features, 1 (the bias input), label: one gather fetches a row's x and y
    XY = torch.cat([X, torch.ones_like(y), y], dim=1)
    evals = {name: to_dev(*xy) for name, xy in eval_sets.items()}
    # each model's own rate, 0 once frozen; times the schedule's factor in each epoch
    base_lr = torch.tensor(learning_rates, dtype=torch.float32, device=device).view(M, 1, 1)
    stacked = _stack(init_params(width, seeds, p, device))
    n_full, rest = divmod(n, batch_size)
    state = _State(
        stacked=stacked,
        views=_param_views(stacked),
        params=_unstack(stacked),
        buffers={k: torch.zeros_like(v) for k, v in stacked.items()} if momentum else None,
        lr=base_lr.clone(),
        loss_rows=torch.zeros(M, 1, min(batch_size, n), dtype=torch.float32, device=device),
        XY=XY,
        umap=umap,
        momentum=float(momentum),
        work={b: _work(M, b, width, device) for b in {min(batch_size, n), rest} if b},
        blocks={},
    )
    gens = [torch.Generator(device=device).manual_seed(s) for s in useeds]
    _begin_epoch(state)
    graph = None
    idx_static = None
    steps = min(GRAPH_STEPS, n_full)
    if device.type == "cuda" and cuda_graph and n_full > 0:
        idx_static = torch.zeros(len(useeds), steps * batch_size, dtype=torch.long, device=device)
        graph = _capture_graph(state, idx_static, steps, log)
    progress = TrainingProgress(np.array([r["loss"] for r in evaluate(state.params, X, y)]))
    t_train = t_eval = 0.0
    previous_factor = 1.0
    for epoch in range(1, epochs + 1):
        sync(device)
        t0 = time.perf_counter()
        factor = lr_factor(schedule, epoch, horizon or epochs)
        if factor != previous_factor:
            # the buffers hold lr * torch.optim.SGD's buffers: rescale them with the rate
            state.lr.copy_(base_lr).mul_(factor)
            if state.buffers is not None:
                for v in state.buffers.values():
                    v.mul_(factor / previous_factor)
            previous_factor = factor
        perms = torch.stack([torch.randperm(n, generator=g, device=device) for g in gens])
        _begin_epoch(state)
        state.loss_rows.zero_()
        with torch.no_grad():
            done = 0
            if graph is not None:  # whole groups of `steps` batches, one replay each
                assert idx_static is not None
                span = steps * batch_size
                for _ in range(n_full // steps):
                    idx_static.copy_(perms[:, done * batch_size : done * batch_size + span])
                    graph.replay()
                    done += steps
            _train_epoch(state, perms, batch_size, first=done)
        train_loss = state.loss_rows.sum(dim=(1, 2), dtype=torch.float64).div_(n).cpu().numpy()
        healthy = progress.healthy(state.params, train_loss)
        sync(device)
        t1 = time.perf_counter()
        scores = {name: evaluate(state.params, Xe, ye) for name, (Xe, ye) in evals.items()}
        sync(device)
        t_train += t1 - t0
        t_eval += time.perf_counter() - t1
        newly = progress.update(epoch, train_loss, healthy, scores)
        if newly:
            alive = progress.alive(device)
            base_lr.mul_(alive)
            state.lr.mul_(alive)
            if state.buffers is not None:
                for v in state.buffers.values():
                    v.mul_(alive)
        seconds = (t1 - t0, time.perf_counter() - t1)
        progress.report_epoch(log, epoch, newly, learning_rates, seconds, scores)
    return {
        "models": progress.models(learning_rates, seeds),
        "params": {k: v.cpu().numpy() for k, v in state.params.items()},
        "train_seconds": t_train,
        "eval_seconds": t_eval,
        "cuda_graph": graph is not None,
    }


def sync(device: torch.device) -> None:
    """Wait for the device's queued kernels (timings on CUDA); nothing on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --------------------------------------------------------------------------------------------
# One grid cell, from the split arrays
# --------------------------------------------------------------------------------------------


def split_valid(n_train: int, n_valid: int) -> tuple[slice, slice]:
    """Rows used to fit and rows held out for validation: the last ``n_valid`` training rows.

    Raises
    ------
    ValueError
        Unless ``0 < n_valid < n_train``.
    """
    if not 0 < n_valid < n_train:
        raise ValueError(f"n_valid must lie strictly between 0 and {n_train}, got {n_valid}")
    return slice(0, n_train - n_valid), slice(n_train - n_valid, n_train)


def train_cell(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    n_valid: int,
    width: int,
    batch_size: int,
    learning_rates: Sequence[float],
    seeds: Sequence[int],
    epochs: int,
    momentums: Sequence[float] = (0.0,),
    device: torch.device | str = "cpu",
    cuda_graph: bool = True,
    logger: logging.Logger | None = None,
    schedule: str = "constant",
) -> dict[str, Any]:
    """Every (momentum x learning rate x seed) model of one (width, batch size) cell of the grid.

    The last ``n_valid`` training rows are the validation rows; the models are trained on the
    others, standardised with those rows' means and deviations only; validation and test rows
    are scored after every epoch. The models of one momentum are trained together by one call
    of :func:`train_models` (momentum is a scalar there), one momentum after the other.

    Parameters
    ----------
    momentums : sequence of float
        SGD momentum coefficients (0: plain SGD); every (learning rate, seed) is trained with each.
    schedule : str
        Learning-rate schedule over the ``epochs`` (:mod:`hw6lib.schedule`).

    Returns
    -------
    dict
        ``width``, ``batch_size``, ``momentums``, ``schedule``, ``epochs``, ``n_fit``,
        ``n_valid``, ``n_test``, ``standardizer``, and ``models`` (see :func:`train_models`),
        each with its ``momentum``; no timings, so that equal configurations give equal files.
    """
    log = logger or logging.getLogger("hw6")
    if not momentums:
        raise ValueError("momentums must not be empty")
    X_train = np.asarray(X_train)
    fit, valid = split_valid(X_train.shape[0], n_valid)
    y_train = np.asarray(y_train).ravel()
    st = fit_standardizer(X_train[fit])
    lrs = [float(lr) for lr in learning_rates for _ in seeds]
    sds = [int(s) for _ in learning_rates for s in seeds]
    X_fit = st.transform(X_train[fit])
    evals = {
        "valid": (st.transform(X_train[valid]), y_train[valid]),
        "test": (st.transform(X_test), np.asarray(y_test).ravel()),
    }
    models = []
    for mu in momentums:
        out = train_models(
            X_fit,
            y_train[fit],
            evals,
            width=width,
            learning_rates=lrs,
            seeds=sds,
            batch_size=batch_size,
            epochs=epochs,
            momentum=float(mu),
            device=device,
            cuda_graph=cuda_graph,
            logger=logger,
            schedule=schedule,
        )
        models += [{"momentum": float(mu), **m} for m in out["models"]]
        log.info(
            "cell w%d b%d momentum %g: %d models x %d epochs, training %.1fs, scoring %.1fs",
            width,
            batch_size,
            mu,
            len(lrs),
            epochs,
            out["train_seconds"],
            out["eval_seconds"],
        )
    return {
        "width": int(width),
        "batch_size": int(batch_size),
        "momentums": [float(mu) for mu in momentums],
        "schedule": schedule,
        "epochs": int(epochs),
        "n_fit": int(fit.stop),
        "n_valid": int(n_valid),
        "n_test": int(np.asarray(X_test).shape[0]),
        "standardizer": st.to_dict(),
        "models": models,
    }


def cell_device(name: str, gpus: int = 0, logger: logging.Logger | None = None) -> torch.device:
    """The device of one training job: the configured name, and what the scheduler granted.

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


def divergence_rule(factor: float = DIVERGENCE_FACTOR) -> str:
    """The rule that marks a model diverged in :func:`train_models`, in words (for the report).

    Parameters
    ----------
    factor : float
        The multiple of the initial training loss above which a model diverged
        (:data:`DIVERGENCE_FACTOR`, the value the training uses).
    """
    return (
        "its training loss or a parameter stopped being finite, or its mean training loss over "
        f"an epoch exceeded {factor:g} times the loss of its initial weights"
    )
