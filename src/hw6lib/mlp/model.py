"""The fraud classifier's model: many models' parameters at once, their forward and backward pass.

The model is ``Linear(7, h) -> ReLU -> Linear(h, h) -> ReLU -> Linear(h, 1)``; it returns logits
and is trained on ``BCEWithLogitsLoss`` (no sigmoid layer: the loss applies it, stably).

Many models are held as one: every parameter carries a leading *model* dimension ``M`` and
the layers are batched matrix products (``torch.bmm``). The forward and backward passes of
training are written out by hand (:func:`forward_backward`): no autograd graph per step and no
tensor allocated per step, a fixed sequence of kernels that a CUDA graph can capture and
replay (:mod:`hw6lib.mlp.cudagraph`). Training works feature-major (activations
``(M, units, rows)`` with a row of ones, each layer's weights and bias stacked:
:func:`stack_layers`); :mod:`hw6lib.mlp.engine` runs the steps.

Conventions
-----------
* Weights are stored as ``(M, fan_in, fan_out)`` (the transpose of ``nn.Linear.weight``), biases
  as ``(M, 1, fan_out)``; both are drawn as ``nn.Linear`` draws them,
  ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, from ``numpy.random.default_rng([seed, 1])`` on the CPU,
  so a seed gives the same initial model on every device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

#: Number of input features (the 7 columns of :data:`hw6lib.carddata.FEATURES`; not imported
#: from there so that this package needs only numpy and torch, e.g. on a bare GPU machine).
N_IN: int = 7

#: Parameter names, in the order of the layers.
PARAM_NAMES: tuple[str, ...] = ("W1", "b1", "W2", "b2", "W3", "b3")

Params = dict[str, torch.Tensor]


def init_params(
    width: int,
    seeds: Sequence[int],
    n_in: int = N_IN,
    device: torch.device | str = "cpu",
) -> Params:
    """Draw the initial parameters of ``len(seeds)`` models, each from its own seed.

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
    """Copy model ``m`` into a plain ``nn.Sequential`` (for checks; the pipeline does not use it).

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
class StepBuffers:
    """Preallocated activations and errors of one mini-batch size ``b``, feature-major.

    Activations are stored ``(M, units, b)`` (one column per row of the batch) with a last
    row of ones, so a layer is one matrix product with its weights and bias stacked
    (``[W; b]``, see :func:`stack_layers`). ``d3``, ``d2``, ``d1`` hold the errors of the three
    layers times each model's learning rate (``lr_b = lr / b``), so ``[a; 1] d'`` is the step
    itself.
    """

    a1: torch.Tensor  # (M, h + 1, b): relu(z1) and a row of ones
    a2: torch.Tensor  # (M, h + 1, b): relu(z2) and a row of ones
    z: torch.Tensor  # (M, h, b): z1, then z2 (contiguous: the CPU's batched product is faster)
    z3: torch.Tensor  # (M, 1, b)
    t: torch.Tensor  # (M, 1, b), per-row loss
    d3: torch.Tensor  # (M, 1, b)
    d2: torch.Tensor  # (M, h, b)
    d1: torch.Tensor  # (M, h, b)
    lr_b: torch.Tensor  # (M, 1, 1)
    v: dict[str, torch.Tensor]  # views made once: a1h, a2h (no ones row), d1t, d2t, d3t (d')


def step_buffers(M: int, b: int, h: int, device: torch.device) -> StepBuffers:
    """Allocate the buffers of ``M`` models of width ``h`` for mini-batches of ``b`` rows."""

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
    return StepBuffers(a1, a2, e(M, h, b), e(M, 1, b), e(M, 1, b), d3, d2, d1, e(M, 1, 1), views)


def param_views(stacked: Params) -> Params:
    """Make the views of the stacked parameters that the step reads (once: they share memory).

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


def forward_backward(pv: Params, xT: torch.Tensor, yT: torch.Tensor, w: StepBuffers) -> None:
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
        :func:`param_views` of ``A1 (M, p + 1, h)``, ``A2 (M, h + 1, h)``,
        ``A3 (M, h + 1, 1)``: each layer's weights with its bias as last row (read only).
    xT : torch.Tensor, shape (M, p + 1, b)
        Each model's mini-batch, one column per row, with a last row of ones.
    yT : torch.Tensor, shape (M, 1, b)
        Its 0/1 labels (float).
    w : StepBuffers
        Buffers for this ``M`` and ``b``.
    """
    v = w.v
    # z into a contiguous buffer, then relu into the rows above the ones: a product into the
    # strided a1h runs model by model on a CPU, into a contiguous one as one batched call
    torch.bmm(pv["A1t"], xT, out=w.z)
    torch.clamp_min(w.z, 0.0, out=v["a1h"])
    torch.bmm(pv["A2t"], w.a1, out=w.z)
    torch.clamp_min(w.z, 0.0, out=v["a2h"])
    torch.bmm(pv["A3t"], w.a2, out=w.z3)
    torch.addcmul(w.z3, yT, w.z3, value=-2.0, out=w.t)  # (1 - 2y) z3
    torch.ops.aten.softplus.out(w.t, 1.0, 20.0, out=w.t)
    torch.sigmoid(w.z3, out=w.d3)
    w.d3.sub_(yT).mul_(w.lr_b)
    torch.mul(pv["W3"], w.d3, out=w.d2)  # W3 d3 (an outer product)
    torch.ops.aten.threshold_backward.grad_input(w.d2, v["a2h"], 0.0, grad_input=w.d2)
    torch.bmm(pv["W2"], w.d2, out=w.d1)
    torch.ops.aten.threshold_backward.grad_input(w.d1, v["a1h"], 0.0, grad_input=w.d1)


def stack_layers(params: Params) -> Params:
    """Each layer's weights with its bias as last row: ``A1``, ``A2``, ``A3`` (new tensors)."""
    return {f"A{k}": torch.cat([params[f"W{k}"], params[f"b{k}"]], dim=1) for k in (1, 2, 3)}


def unstack_layers(stacked: Params) -> Params:
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
    """Compute the mean ``BCEWithLogitsLoss`` of every model on its mini-batch, and its gradient.

    The reference implementation of the gradient that training applies, for the tests (the
    pipeline does not call it): the forward and backward pass of training
    (:func:`forward_backward`, learning rate 1), with the products that training folds into its
    update computed on their own.

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
    w = step_buffers(M, B, h, xb.device)
    w.lr_b.fill_(1.0 / B)
    xT = _transposed(xb)
    forward_backward(param_views(stack_layers(params)), xT, yb.transpose(1, 2), w)
    grads = {
        "A1": torch.bmm(xT, w.d1.transpose(1, 2)),
        "A2": torch.bmm(w.a1, w.d2.transpose(1, 2)),
        "A3": torch.bmm(w.a2, w.d3.transpose(1, 2)),
    }
    return w.t.mean(dim=(1, 2)), unstack_layers(grads)
