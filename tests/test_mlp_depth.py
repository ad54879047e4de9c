"""The network's depth: its shape given once, any depth trained as ``torch.optim.SGD`` trains an
``nn.Sequential`` of that shape, and the homework's depth 2 computed exactly as before."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from helpers import REPO
from torch import nn

from hw6lib.card.split import CardSplit
from hw6lib.card.standardize import fit_standardizer
from hw6lib.mlp import (
    SGDSettings,
    evaluate,
    forward_logits,
    init_params,
    loss_and_grads,
    to_module,
    train_cell,
    train_models,
)
from hw6lib.mlp.grid import best_summary, grid_rows
from hw6lib.mlp.model import (
    _transposed,
    forward_backward,
    param_views,
    stack_layers,
    step_buffers,
)
from hw6lib.mlp.shape import (
    DEFAULT_DEPTH,
    PARAM_NAMES,
    layer_sizes,
    n_layers,
    param_names,
    step_flops_per_row,
)
from hw6lib.pipeline.config import load_schema


def test_the_shape_is_given_once_and_read_back_from_the_parameters() -> None:
    assert DEFAULT_DEPTH == 2 and PARAM_NAMES == param_names(3)
    # the library's default is the schema's (which the workflow reads for the cell names)
    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    assert schema["properties"]["mlp"]["properties"]["depth"]["default"] == DEFAULT_DEPTH
    assert layer_sizes(16) == (7, 16, 16, 1)
    assert layer_sizes(5, 3) == (7, 5, 5, 5, 1) and layer_sizes(4, 1, n_in=3) == (3, 4, 1)
    with pytest.raises(ValueError, match="depth"):
        layer_sizes(4, 0)
    for depth in (1, 2, 3):
        sizes = layer_sizes(5, depth)
        params = init_params(5, [0, 1], depth=depth)
        assert tuple(params) == param_names(depth + 1) and n_layers(params) == depth + 1
        assert n_layers(stack_layers(params)) == depth + 1
        for k in range(1, depth + 2):
            assert params[f"W{k}"].shape == (2, sizes[k - 1], sizes[k])
            assert params[f"b{k}"].shape == (2, 1, sizes[k])


def test_depth_two_draws_the_initial_weights_as_before() -> None:
    """The SHA-256 of ``init_params(16, [0, 1, 2])`` as the hand-written two-layer code drew it
    (commit 681cc8f): the default run's results stay byte-identical only if the draws do. A
    deeper net draws its first layers from the same stream, in the same order."""
    p = init_params(16, [0, 1, 2])
    h = hashlib.sha256()
    for k in PARAM_NAMES:
        h.update(p[k].numpy().tobytes())
    assert h.hexdigest() == "8d50560a78ef7c04dc6810f0f4e958e87ece18c34eab7a4380034456c2fafe2e"
    deeper = init_params(16, [0, 1, 2], depth=3)
    for k in ("W1", "b1", "W2", "b2"):
        assert torch.equal(deeper[k], p[k])


def _hand_written_depth_two(pv, xT, yT, lr_b):
    """The kernels of the two-hidden-layer step as they were written out by hand before the
    loop over layers (commit 681cc8f), into fresh buffers."""
    M, _, b = xT.shape
    h = pv["W2"].shape[1]
    a1, a2 = torch.ones(M, h + 1, b), torch.ones(M, h + 1, b)
    z, z3, t = torch.empty(M, h, b), torch.empty(M, 1, b), torch.empty(M, 1, b)
    d3, d2, d1 = torch.empty(M, 1, b), torch.empty(M, h, b), torch.empty(M, h, b)
    torch.bmm(pv["A1t"], xT, out=z)
    torch.clamp_min(z, 0.0, out=a1[:, :h])
    torch.bmm(pv["A2t"], a1, out=z)
    torch.clamp_min(z, 0.0, out=a2[:, :h])
    torch.bmm(pv["A3t"], a2, out=z3)
    torch.addcmul(z3, yT, z3, value=-2.0, out=t)
    torch.ops.aten.softplus.out(t, 1.0, 20.0, out=t)
    torch.sigmoid(z3, out=d3)
    d3.sub_(yT).mul_(lr_b)
    torch.mul(pv["W3"], d3, out=d2)
    torch.ops.aten.threshold_backward.grad_input(d2, a2[:, :h], 0.0, grad_input=d2)
    torch.bmm(pv["W2"], d2, out=d1)
    torch.ops.aten.threshold_backward.grad_input(d1, a1[:, :h], 0.0, grad_input=d1)
    return t, [d1, d2, d3], [a1, a2]


def test_the_loop_over_layers_runs_the_hand_written_kernels_at_depth_two(data) -> None:
    """Bit for bit: the same kernels in the same order, so the default run's results stay."""
    X, y = data
    params = init_params(16, [0, 1, 2])
    xb = torch.from_numpy(X[:300].reshape(3, 100, 7).astype(np.float32))
    yb = torch.from_numpy(y[:300].reshape(3, 100, 1).astype(np.float32))
    xT, yT = _transposed(xb), yb.transpose(1, 2)
    pv = param_views(stack_layers(params))
    w = step_buffers(3, 100, layer_sizes(16), xb.device)
    w.lr_b.copy_(torch.tensor([0.1, 1.0, 3.0]).view(3, 1, 1) / 100)
    forward_backward(pv, xT, yT, w)
    t, d, a = _hand_written_depth_two(pv, xT, yT, w.lr_b)
    assert torch.equal(w.t, t)
    for got, want in zip([*w.d, *w.a], [*d, *a], strict=True):
        assert torch.equal(got, want)


@pytest.mark.parametrize(("width", "depth"), [(8, 2), (32, 2), (5, 1), (6, 3)])
def test_the_step_does_the_multiply_adds_the_benchmark_counts(data, width, depth) -> None:
    """``step_flops_per_row`` (the benchmark's floor) against torch's count of the products
    that a real epoch runs (the in-place update ``baddbmm_`` counted as ``baddbmm``); the last
    layer's errors, an outer product, are elementwise."""
    from torch.utils.flop_counter import FlopCounterMode

    from hw6lib.mlp.engine import new_state, run_epoch
    from hw6lib.mlp.training import DeviceRows, RowOrders

    X, y = data
    n = 1000
    sgd = SGDSettings.grid(width, [0.1, 1.0], [0, 1], 300, 1, depth=depth)  # a smaller last batch
    rows = DeviceRows.load(X[:n], y[:n], {}, torch.device("cpu"))
    state = new_state(rows, sgd)
    perms = RowOrders.for_settings(sgd, torch.device("cpu")).draw(n)

    def baddbmm_(acc, a, b, *args, out_shape=None, **kwargs) -> int:
        (batch, m, k), cols = a, b[2]  # shapes (torch passes them)
        return 2 * batch * m * k * cols

    inplace = {torch.ops.aten.baddbmm_: baddbmm_}
    with FlopCounterMode(display=False, custom_mapping=inplace) as counter:
        run_epoch(state, perms, sgd.batch_size, None)
    outer = 2 * width  # flops per row of the last layer's errors (torch.mul, not counted)
    assert counter.get_total_flops() == (step_flops_per_row(layer_sizes(width, depth)) - outer) * (
        n * sgd.n_models
    )
    assert step_flops_per_row(layer_sizes(32)) == 2 * (3 * 32**2 + 21 * 32 + 2) == 7492


@pytest.mark.parametrize("depth", [1, 3])
def test_other_depths_are_an_nn_sequential_of_that_shape(depth) -> None:
    params = init_params(6, [0, 1, 2], depth=depth)
    net = to_module(params, 1)
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU] * depth + [nn.Linear]
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(
        zip(layer_sizes(6, depth)[:-1], layer_sizes(6, depth)[1:], strict=True)
    )
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(20, 7, generator=gen)
    torch.testing.assert_close(forward_logits(params, X)[1], net(X).squeeze(-1))
    xb = torch.randn(3, 11, 7, generator=gen)
    yb = (torch.rand(3, 11, 1, generator=gen) < 0.3).float()
    torch.testing.assert_close(forward_logits(params, xb)[1], net(xb[1]).squeeze(-1))
    loss, grads = loss_and_grads(params, xb, yb)
    for m in range(3):
        net = to_module(params, m)
        ref = nn.BCEWithLogitsLoss()(net(xb[m]), yb[m])
        ref.backward()
        assert loss[m].item() == pytest.approx(ref.item(), rel=1e-6)
        for layer, lin in enumerate((m for m in net if isinstance(m, nn.Linear)), start=1):
            torch.testing.assert_close(grads[f"W{layer}"][m].T, lin.weight.grad)
            torch.testing.assert_close(grads[f"b{layer}"][m, 0], lin.bias.grad)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("depth", [1, 3])
def test_other_depths_train_like_torch_sgd_on_an_nn_sequential(data, depth, momentum) -> None:
    """As tests/test_mlp.py checks depth 2: shuffled mini-batches, a partial last batch, against
    ``torch.optim.SGD`` on an ``nn.Sequential`` copy of the same initial weights, each epoch's
    order ``torch.randperm`` from a generator seeded with the model's seed."""
    X, y = data
    X, y = X[:300], y[:300]  # 4 batches of 64 and one of 44
    lr, seed, batch, epochs = 0.2, 7, 64, 3
    sgd = SGDSettings(4, [lr], [seed], batch, epochs, momentums=[momentum], depth=depth)
    out = train_models(X, y, {}, sgd)
    assert len(out.params) == 2 * (depth + 1)
    net = to_module(init_params(4, [seed], depth=depth), 0)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=g)
        for s in range(0, len(X), batch):
            rows = order[s : s + batch]
            opt.zero_grad()
            nn.BCEWithLogitsLoss()(net(Xt[rows]), yt[rows]).backward()
            opt.step()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    for k, lin in enumerate(linears, start=1):
        np.testing.assert_allclose(out.params[f"W{k}"][0].T, lin.weight.detach(), atol=2e-5)
        np.testing.assert_allclose(out.params[f"b{k}"][0].ravel(), lin.bias.detach(), atol=2e-5)
    # the comparison sees the training: the initial weights are far from the trained ones
    start = init_params(4, [seed], depth=depth)
    assert not np.allclose(out.params["W1"][0], start["W1"][0].numpy(), atol=1e-3)


def test_a_depth_three_cell_runs_through_train_cell_and_the_grid(data) -> None:
    X, y = data
    split = CardSplit(X[:2000], y[:2000], X[2000:], y[2000:], n_valid=500)
    deep = train_cell(split, SGDSettings.grid(8, [0.05, 0.5], [0, 1], 50, 2, depth=3))
    assert deep.depth == 3 and deep.to_json()["depth"] == 3
    assert len(deep.models) == 4 and all(len(m.epochs) == 2 for m in deep.models)
    assert {m.engine for m in deep.models} == {"eager"}
    # the cell trained three hidden layers: its models' initial loss is that of the depth-3 draw
    st = fit_standardizer(X[:1500])
    Xf = torch.from_numpy(st.transform(X[:1500]))
    yf = torch.from_numpy(y[:1500].astype(np.float32)).view(-1, 1)
    for m, seed in zip(deep.models[:2], (0, 1), strict=True):
        want = evaluate(init_params(8, [seed], depth=3), Xf, yf)[0]["loss"]
        assert m.initial_train_loss == pytest.approx(want, rel=1e-5)
    # a cell of the homework's depth names none (its file is as before) ...
    plain = train_cell(split, SGDSettings.grid(8, [0.05, 0.5], [0, 1], 50, 2))
    assert plain.depth is None and "depth" not in plain.to_json()
    assert "depth" not in grid_rows([plain], [1, 2])[0]
    # ... and a grid over depths makes the depth a dimension of the rows, the best and its edges
    rows = grid_rows([deep, plain], [1, 2])
    assert {r["depth"] for r in rows} == {2, 3} and next(iter(rows[0])) == "depth"
    summary = best_summary([deep, plain], [1, 2])
    assert summary.best.depth in (2, 3) and summary.n_configurations == 8  # depth x lr x epochs
    edges = {d.dimension: d for d in summary.edges.dimensions}
    assert edges["depth"].tried == [2, 3]
    assert summary.near_best.values[0].name == "depth"
    # the best's record names its depth, and its file keeps the key first
    assert next(iter(summary.best.to_json())) == "depth"
