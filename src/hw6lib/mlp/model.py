"""The fraud classifier's model: many models' parameters at once, their forward and backward pass.

The model is ``Linear(7, h) -> ReLU -> ... -> Linear(h, h) -> ReLU -> Linear(h, 1)`` with
``depth`` hidden layers of ``h`` units (2 as the homework asks: ``mlp.depth``); its shape is
given once, as the layer sizes ``(7, h, ..., h, 1)`` of :func:`layer_sizes`, and every function
here loops over its ``L = depth + 1`` linear layers. It returns logits and is trained on
``BCEWithLogitsLoss`` (no sigmoid layer: the loss applies it, stably).

Many models are held as one: every parameter carries a leading *model* dimension ``M`` and
the layers are batched matrix products (``torch.bmm``). The forward and backward passes of
training are written out by hand (:func:`forward_backward`): no autograd graph per step and no
tensor allocated per step, a fixed sequence of kernels that a CUDA graph can capture and
replay (:mod:`hw6lib.mlp.cudagraph`). Training works feature-major (activations
``(M, units, rows)`` with a row of ones, each layer's weights and bias stacked:
:func:`stack_layers`); :mod:`hw6lib.mlp.engine` runs the steps.

Conventions
-----------
* The parameters are a dict ``W1, b1, ..., WL, bL`` (:func:`param_names`; :func:`n_layers`
  reads ``L`` off it). Weights are stored as ``(M, fan_in, fan_out)`` (the transpose of
  ``nn.Linear.weight``), biases as ``(M, 1, fan_out)``; both are drawn as ``nn.Linear`` draws
  them, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, layer by layer (weights, then bias) from
  ``numpy.random.default_rng([seed, 1])`` on the CPU, so a seed gives the same initial model on
  every device.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hw6lib.mlp.shape import DEFAULT_DEPTH, N_IN, layer_sizes, n_layers, param_names

Params = dict[str, torch.Tensor]


def init_params(
    width: int,
    seeds: Sequence[int],
    n_in: int = N_IN,
    device: torch.device | str = "cpu",
    depth: int = DEFAULT_DEPTH,
) -> Params:
    """Draw the initial parameters of ``len(seeds)`` models, each from its own seed.

    Parameters
    ----------
    width : int
        Units in each hidden layer.
    seeds : sequence of int
        One seed per model; equal seeds give equal models.
    n_in : int
        Number of input features.
    device : torch.device or str
        Where the tensors live.
    depth : int
        Number of hidden layers.

    Returns
    -------
    dict
        For layer ``k`` of :func:`layer_sizes` ``(n_in, h, ..., h, 1)``: ``Wk (M, fan_in,
        fan_out)`` and ``bk (M, 1, fan_out)``, float32 (for depth 2: ``W1 (M, n_in, h)``,
        ``b1 (M, 1, h)``, ``W2 (M, h, h)``, ``b2``, ``W3 (M, h, 1)``, ``b3 (M, 1, 1)``).
    """
    sizes = layer_sizes(width, depth, n_in)
    shapes = list(itertools.pairwise(sizes))
    out: dict[str, list[NDArray[np.float32]]] = {k: [] for k in param_names(len(shapes))}
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
        As returned by :func:`init_params` (``M`` models, any depth).
    X : torch.Tensor, shape (n, p) or (M, n, p)
        The same rows for every model, or each model's own rows.

    Returns
    -------
    torch.Tensor, shape (M, n)
    """
    L = n_layers(params)
    W1, b1 = params["W1"], params["b1"]
    WL, bL = params[f"W{L}"], params[f"b{L}"]
    M, p, h = W1.shape
    if X.dim() == 2:
        # feature-major, one column per row: the first layer of all models is one matrix
        # product, (M h, p) x (p, n); then one batched product per layer
        n = X.shape[0]
        z1 = torch.addmm(
            b1.transpose(1, 2).reshape(M * h, 1), W1.transpose(1, 2).reshape(M * h, p), X.T
        )
        a = z1.clamp_min_(0.0).view(M, h, n)
        for k in range(2, L):
            W, b = params[f"W{k}"], params[f"b{k}"]
            a = torch.baddbmm(b.transpose(1, 2), W.transpose(1, 2), a).clamp_min_(0.0)
        return torch.baddbmm(bL, WL.transpose(1, 2), a).view(M, n)
    a = X
    for k in range(1, L):
        a = torch.relu(torch.baddbmm(params[f"b{k}"], a, params[f"W{k}"]))
    # the one output unit as a row-vector product, z' = WL' a' (BLAS is slow at (n, h) x (h, 1))
    return torch.baddbmm(bL, WL.transpose(1, 2), a.transpose(1, 2)).squeeze(1)


def to_module(params: Params, m: int) -> nn.Sequential:
    """Copy model ``m`` into a plain ``nn.Sequential`` (for checks; the pipeline does not use it).

    Returns
    -------
    torch.nn.Sequential
        ``Linear(p, h), ReLU, ..., Linear(h, h), ReLU, Linear(h, 1)`` (one ``Linear`` per layer
        of ``params``) on the CPU, float32, returning logits; train it with
        ``nn.BCEWithLogitsLoss``.
    """
    L = n_layers(params)
    linears = [nn.Linear(*params[f"W{k}"].shape[1:]) for k in range(1, L + 1)]
    net = nn.Sequential(*[mod for lin in linears[:-1] for mod in (lin, nn.ReLU())], linears[-1])
    with torch.no_grad():
        for layer, lin in enumerate(linears, start=1):
            lin.weight.copy_(params[f"W{layer}"][m].T.cpu())
            lin.bias.copy_(params[f"b{layer}"][m, 0].cpu())
    return net


@dataclass
class StepBuffers:
    """Preallocated activations and errors of one mini-batch size ``b``, feature-major.

    Activations are stored ``(M, units, b)`` (one column per row of the batch) with a last
    row of ones, so a layer is one matrix product with its weights and bias stacked
    (``[W; b]``, see :func:`stack_layers`). ``d[k - 1]`` holds the errors of layer ``k`` times
    each model's learning rate (``lr_b = lr / b``), so ``[a; 1] d'`` is the step itself.
    Every buffer is made once (:func:`step_buffers`), so a CUDA graph can capture the steps.
    """

    a: list[torch.Tensor]  # per hidden layer k: (M, h_k + 1, b), relu(z_k) and a row of ones
    z: dict[int, torch.Tensor]  # (M, h, b) per hidden width: z_k before the relu (contiguous:
    # the CPU's batched product is faster), shared by the hidden layers of one width
    zL: torch.Tensor  # (M, 1, b): the output layer's logits
    t: torch.Tensor  # (M, 1, b), per-row loss
    d: list[torch.Tensor]  # per layer k: (M, units_k, b), its errors times lr / b
    lr_b: torch.Tensor  # (M, 1, 1)
    ah: list[torch.Tensor]  # views made once: a[k] without its row of ones
    dt: list[torch.Tensor]  # views made once: d[k] transposed (d')


def step_buffers(M: int, b: int, sizes: Sequence[int], device: torch.device) -> StepBuffers:
    """Allocate the buffers of ``M`` models of ``sizes`` (:func:`layer_sizes`) for ``b`` rows."""

    def e(*shape: int) -> torch.Tensor:
        return torch.empty(shape, dtype=torch.float32, device=device)

    ones = {"dtype": torch.float32, "device": device}
    hidden = list(sizes[1:-1])
    a = [torch.ones(M, h + 1, b, **ones) for h in hidden]
    d = [e(M, units, b) for units in reversed(sizes[1:])][::-1]  # the output's first, as before
    z = {h: e(M, h, b) for h in dict.fromkeys(hidden)}
    return StepBuffers(
        a=a,
        z=z,
        zL=e(M, 1, b),
        t=e(M, 1, b),
        d=d,
        lr_b=e(M, 1, 1),
        ah=[ak[:, :h] for ak, h in zip(a, hidden, strict=True)],
        dt=[dk.transpose(1, 2) for dk in d],
    )


def param_views(stacked: Params) -> Params:
    """Make the views of the stacked parameters that the step reads (once: they share memory).

    ``Akt`` (``[Wk; bk]'``) for every layer (the last, ``(M, 1, h + 1)``, a view of
    ``AL (M, h + 1, 1)``), ``Wk`` without the bias row for every layer but the first, and the
    stacked tensors themselves.
    """
    L = n_layers(stacked)
    AL = stacked[f"A{L}"]
    M, h1, _ = AL.shape
    views = {**stacked}
    for k in range(1, L):
        views[f"A{k}t"] = stacked[f"A{k}"].transpose(1, 2)
    views[f"A{L}t"] = AL.view(M, 1, h1)  # the same memory: AL is (M, h + 1, 1)
    for k in range(2, L + 1):
        views[f"W{k}"] = stacked[f"A{k}"][:, :-1]
    return views


def forward_backward(pv: Params, xT: torch.Tensor, yT: torch.Tensor, w: StepBuffers) -> None:
    """Forward and backward pass of every model on its mini-batch, into the buffers ``w``.

    Fills ``w.t`` with each row's ``BCEWithLogitsLoss`` and ``w.d`` with the errors
    (derivatives of the batch-mean loss by ``z1, ..., zL``) times each model's learning
    rate (``w.lr_b`` holds ``lr / b``: the learning rate and the mean's ``1 / b``).
    Written out (``b`` rows, ``s`` the logistic function): ``dL = (s(zL) - y) / b``,
    ``d_{L-1} = WL dL * 1[z_{L-1} > 0]`` (an outer product), then down the layers
    ``d_k = W_{k+1} d_{k+1} * 1[z_k > 0]`` (feature-major: one column per row); the gradient
    of ``[W_k; b_k]`` is ``[a_{k-1}; 1] d_k'``. No tensor is allocated (all results go into
    ``w``), so the same kernels run for every batch.

    The loss of a 0/1 label is ``softplus((1 - 2y) zL)`` (``softplus(z)`` for ``y = 0``,
    ``softplus(-z)`` for ``y = 1``), exact where ``softplus(z) - y z`` would cancel.

    Parameters
    ----------
    pv : dict
        :func:`param_views` of ``A1 (M, p + 1, h)``, ..., ``AL (M, h + 1, 1)``: each layer's
        weights with its bias as last row (read only).
    xT : torch.Tensor, shape (M, p + 1, b)
        Each model's mini-batch, one column per row, with a last row of ones.
    yT : torch.Tensor, shape (M, 1, b)
        Its 0/1 labels (float).
    w : StepBuffers
        Buffers for this ``M``, ``b`` and shape.
    """
    L = len(w.d)
    # z into a contiguous buffer, then relu into the rows above the ones: a product into the
    # strided a_k's rows runs model by model on a CPU, into a contiguous one as one batched call
    inputs = xT
    for k in range(1, L):
        z = w.z[w.ah[k - 1].shape[1]]
        torch.bmm(pv[f"A{k}t"], inputs, out=z)
        torch.clamp_min(z, 0.0, out=w.ah[k - 1])
        inputs = w.a[k - 1]
    torch.bmm(pv[f"A{L}t"], inputs, out=w.zL)
    torch.addcmul(w.zL, yT, w.zL, value=-2.0, out=w.t)  # (1 - 2y) zL
    torch.ops.aten.softplus.out(w.t, 1.0, 20.0, out=w.t)
    dL = w.d[L - 1]
    torch.sigmoid(w.zL, out=dL)
    dL.sub_(yT).mul_(w.lr_b)
    torch.mul(pv[f"W{L}"], dL, out=w.d[L - 2])  # WL dL (an outer product)
    for k in range(L - 1, 0, -1):  # layer k's errors, from layer k + 1's
        if k < L - 1:
            torch.bmm(pv[f"W{k + 1}"], w.d[k], out=w.d[k - 1])
        torch.ops.aten.threshold_backward.grad_input(
            w.d[k - 1], w.ah[k - 1], 0.0, grad_input=w.d[k - 1]
        )


def stack_layers(params: Params) -> Params:
    """Each layer's weights with its bias as last row: ``A1, ..., AL`` (new tensors)."""
    return {
        f"A{k}": torch.cat([params[f"W{k}"], params[f"b{k}"]], dim=1)
        for k in range(1, n_layers(params) + 1)
    }


def unstack_layers(stacked: Params) -> Params:
    """``W1, b1, ..., bL`` as views of the stacked tensors (they share memory)."""
    out = {}
    for k in range(1, n_layers(stacked) + 1):
        A = stacked[f"A{k}"]
        out[f"W{k}"], out[f"b{k}"] = A[:, :-1], A[:, -1:]
    return out


def _transposed(xb: torch.Tensor) -> torch.Tensor:
    """``(M, b, p)`` rows to ``(M, p + 1, b)`` columns with a last row of ones."""
    M, b, p = xb.shape
    xT = torch.ones(M, p + 1, b, dtype=torch.float32, device=xb.device)
    xT[:, :p].copy_(xb.transpose(1, 2))
    return xT


def shape_of(params: Params) -> tuple[int, ...]:
    """Return the layer sizes of ``params`` (``(p, h, ..., h, 1)``, see :func:`layer_sizes`)."""
    L = n_layers(params)
    return (int(params["W1"].shape[1]), *(int(params[f"W{k}"].shape[2]) for k in range(1, L + 1)))


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
        ``M`` models, any depth.
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
    w = step_buffers(M, B, shape_of(params), xb.device)
    w.lr_b.fill_(1.0 / B)
    xT = _transposed(xb)
    forward_backward(param_views(stack_layers(params)), xT, yb.transpose(1, 2), w)
    inputs = [xT, *w.a]
    grads = {f"A{k}": torch.bmm(inputs[k - 1], w.dt[k - 1]) for k in range(1, len(w.d) + 1)}
    return w.t.mean(dim=(1, 2)), unstack_layers(grads)
