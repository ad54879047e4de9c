"""The fraud MLP: architecture and loss, standardisation, batched training, divergence, devices."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from synthcard import synth_card
from torch import nn

from hw6lib.card.holdout import check_n_valid, split_valid
from hw6lib.card.split import CardSplit
from hw6lib.errors import ConfigError, InputError
from hw6lib.mlp import (
    SGDSettings,
    TrainingResult,
    cell_device,
    forward_logits,
    init_params,
    job_device,
    loss_and_grads,
    to_module,
    train_cell,
    train_models,
)

#: Unit roundoff of float32.
U32 = 2.0**-24


def path_tolerance(steps: int, params: dict[str, np.ndarray]) -> float:
    """How far one model's parameters may drift between two batch shapes after ``steps`` steps.

    A model trained in a batch of K models and in a batch of fewer (or alone) does the same
    arithmetic on the same rows; only the summation order inside the batched matrix products
    (BLAS blocking and SIMD width depend on the batch shape and the CPU) differs. Each step
    then changes a parameter by a different rounding of the same update: a few ulps of the
    parameter's magnitude (the update itself is smaller than the parameter). Summed over the
    steps without cancellation and with a factor 8 for the few ulps and for the drift the
    SGD map may amplify, the gap stays below ``8 * steps * u * max|p|`` (``u = 2**-24``).
    For the tests below (90 steps, max|p| ~ 1.3) that is ~6e-5; the gaps measured are 0 to
    5e-10 here and 9e-8 on an AVX-512 machine with OpenBLAS (issue 10). The bugs the
    comparison must catch move the parameters by 100 to 10,000 times more: a learning rate off
    by 1% by ~6e-3, another seed's rows by 7e-3 to 6e-2, a swapped learning rate by 0.3 to 0.5
    (:func:`test_path_tolerance_catches_leaked_learning_rate_and_mixed_rows`).
    """
    scale = max(1.0, max(float(np.abs(v).max()) for v in params.values()))
    return 8 * steps * U32 * scale


def assert_same_path(a: TrainingResult, i: int, b: TrainingResult, j: int, steps: int) -> None:
    """Model ``i`` of run ``a`` and model ``j`` of run ``b`` followed the same training path.

    Parameters within :func:`path_tolerance`; losses (training loss of every epoch and eval
    losses) within the same tolerance, absolute (the loss is 1-Lipschitz-ish in the
    parameters on standardised rows, and a loss of order 0.1 has rounding far below it);
    confusion counts within one row (a row whose logit lies within rounding of 0 may flip);
    divergence flags equal.
    """
    pa = {k: v[i] for k, v in a.params.items()}
    pb = {k: v[j] for k, v in b.params.items()}
    tol = path_tolerance(steps, pa)
    for k in pa:
        np.testing.assert_allclose(pa[k], pb[k], rtol=0, atol=tol, err_msg=k)
    ea, eb = a.models[i]["epochs"], b.models[j]["epochs"]
    assert len(ea) == len(eb)
    for ra, rb in zip(ea, eb, strict=True):
        assert ra["diverged"] == rb["diverged"]
        assert (ra["train_loss"] is None) == (rb["train_loss"] is None)
        if ra["train_loss"] is not None:
            assert abs(ra["train_loss"] - rb["train_loss"]) <= tol
        for name in set(ra) - {"epoch", "train_loss", "diverged"}:
            if ra[name] is None or rb[name] is None:
                assert ra[name] is rb[name] is None
                continue
            assert abs(ra[name]["loss"] - rb[name]["loss"]) <= tol
            for c in ("tp", "fp", "tn", "fn"):
                assert abs(ra[name][c] - rb[name][c]) <= 1


def test_architecture_two_relu_layers_logits_out() -> None:
    params = init_params(5, [0, 1])
    net = to_module(params, 1)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert (net[0].in_features, net[0].out_features) == (7, 5)
    assert (net[2].in_features, net[2].out_features) == (5, 5)
    assert (net[4].in_features, net[4].out_features) == (5, 1)
    X = torch.randn(20, 7)
    torch.testing.assert_close(forward_logits(params, X)[1], net(X).squeeze(-1))
    # no sigmoid inside: outputs are unbounded logits
    big = forward_logits(params, 100 * torch.randn(200, 7))
    assert (big.abs() > 1).any()


def test_init_like_nn_linear_and_seeded() -> None:
    a, b, c = init_params(16, [3]), init_params(16, [3]), init_params(16, [4])
    for k in a:
        assert torch.equal(a[k], b[k])
        assert not torch.equal(a[k], c[k])
    bound = 1 / np.sqrt(7)
    assert a["W1"].abs().max() <= bound and a["W1"].abs().max() > 0.8 * bound


def test_manual_gradient_equals_autograd_bce_with_logits() -> None:
    params = init_params(6, [0, 1, 2])
    gen = torch.Generator().manual_seed(0)
    xb = torch.randn(3, 11, 7, generator=gen)
    yb = (torch.rand(3, 11, 1, generator=gen) < 0.3).float()
    loss, grads = loss_and_grads(params, xb, yb)
    for m in range(3):
        net = to_module(params, m)
        ref = nn.BCEWithLogitsLoss()(net(xb[m]), yb[m])
        ref.backward()
        assert loss[m].item() == pytest.approx(ref.item(), rel=1e-6)
        for layer, lin in zip((1, 2, 3), (net[0], net[2], net[4]), strict=True):
            torch.testing.assert_close(grads[f"W{layer}"][m].T, lin.weight.grad)
            torch.testing.assert_close(grads[f"b{layer}"][m, 0], lin.bias.grad)


def test_standardisation_fitted_on_training_rows_only() -> None:
    X, y = synth_card(1200, seed=2)
    X_test = X[:300] * 1000.0 + 5.0  # wildly different test rows must not matter
    X_train = X.copy()
    X_train[-200:] += 1e4  # validation rows (the last 200) must not matter either
    split = CardSplit(X_train, y, X_test, y[:300], n_valid=200)
    out = train_cell(split, SGDSettings.grid(4, [0.1], [0], 100, 1))
    fit = X_train[:1000].astype(np.float64)
    np.testing.assert_allclose(out.standardizer["mean"], fit.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out.standardizer["scale"], fit.std(axis=0), rtol=1e-12)
    assert out.n_fit == 1000 and out.n_valid == 200 and out.n_test == 300


def test_split_valid_is_the_tail() -> None:
    assert split_valid(10, 3) == (slice(0, 7), slice(7, 10))
    for bad in (0, 10):
        with pytest.raises(ConfigError, match=f"^config key card.n_valid: {bad} must be"):
            split_valid(10, bad)
    check_n_valid(10, 1)
    check_n_valid(10, 9)


def test_sgd_settings_refuse_what_no_trainer_runs() -> None:
    with pytest.raises(ValueError, match="equal length"):
        SGDSettings(4, [0.1, 0.2], [0], 10, 1)
    with pytest.raises(ValueError, match="batch_size"):
        SGDSettings(4, [0.1], [0], 0, 1)
    with pytest.raises(ValueError, match="horizon"):
        SGDSettings(4, [0.1], [0], 10, 3, horizon=2)
    with pytest.raises(ValueError, match="one momentum at a time"):
        _ = SGDSettings(4, [0.1], [0], 10, 1, momentums=[0.0, 0.9]).momentum
    grid = SGDSettings.grid(4, [0.1, 0.2], [5, 6], 10, 1)
    assert grid.learning_rates == (0.1, 0.1, 0.2, 0.2) and grid.seeds == (5, 6, 5, 6)


def test_best_f1_is_logged_for_the_monitored_eval_set(data, caplog) -> None:
    X, y = data
    ev = {"first": (X[:300], y[:300]), "second": (X[300:600], y[300:600])}
    sgd = SGDSettings(4, [0.1], [0], 200, 1)
    with caplog.at_level(logging.INFO, logger="hw6"):
        train_models(X[:1000], y[:1000], ev, sgd)
        train_models(X[:1000], y[:1000], ev, sgd, monitor="second")
    assert "best first F1" in caplog.text and "best second F1" in caplog.text
    assert "valid" not in caplog.text


def test_batched_model_matches_model_trained_alone(data) -> None:
    X, y = data
    lrs, seeds = [0.05, 0.5, 0.2, 0.05], [0, 0, 7, 3]
    together = train_models(X, y, {}, SGDSettings(8, lrs, seeds, 64, 1))
    for m, (lr, seed) in enumerate(zip(lrs, seeds, strict=True)):
        alone = train_models(X, y, {}, SGDSettings(8, [lr], [seed], 64, 1))
        assert_same_path(together, m, alone, 0, steps=-(-len(X) // 64))


def test_momentum_matches_torch_sgd(data) -> None:
    X, y = data
    X, y = X[:256], y[:256]
    out = train_models(X, y, {}, SGDSettings(4, [0.1], [5], 256, 3, momentums=[0.9]))
    net = to_module(init_params(4, [5]), 0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    for _ in range(3):  # one full batch per epoch: the order does not matter
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(net(Xt), yt).backward()
        opt.step()
    np.testing.assert_allclose(out.params["W1"][0].T, net[0].weight.detach(), atol=1e-5)
    np.testing.assert_allclose(out.params["b3"][0, 0], net[4].bias.detach(), atol=1e-5)


def test_shuffled_minibatch_momentum_matches_a_plain_torch_sgd_loop(data) -> None:
    """Several epochs of shuffled mini-batches with momentum, a partial last batch included,
    against an independent loop: ``torch.optim.SGD`` on an ``nn.Sequential`` copy of the same
    initial weights, each epoch's order ``torch.randperm`` from a generator seeded with the
    model's seed (the documented order), one step per batch of the BCE-with-logits mean."""
    X, y = data
    X, y = X[:300], y[:300]  # 4 batches of 64 and one of 44
    lr, seed, momentum, batch, epochs = 0.2, 7, 0.9, 64, 3
    out = train_models(X, y, {}, SGDSettings(4, [lr], [seed], batch, epochs, momentums=[momentum]))
    net = to_module(init_params(4, [seed]), 0)
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
    for k, layer in (("1", 0), ("2", 2), ("3", 4)):
        np.testing.assert_allclose(out.params[f"W{k}"][0].T, net[layer].weight.detach(), atol=2e-5)
        np.testing.assert_allclose(
            out.params[f"b{k}"][0].ravel(), net[layer].bias.detach().ravel(), atol=2e-5
        )
    # the reference is sensitive to the order: the same loop without shuffling ends elsewhere
    plain = to_module(init_params(4, [seed]), 0)
    opt = torch.optim.SGD(plain.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        for s in range(0, len(X), batch):
            opt.zero_grad()
            nn.BCEWithLogitsLoss()(plain(Xt[s : s + batch]), yt[s : s + batch]).backward()
            opt.step()
    assert not np.allclose(out.params["W1"][0].T, plain[0].weight.detach(), atol=1e-3)


def test_training_is_deterministic_on_cpu(data) -> None:
    X, y = data
    args = (
        CardSplit(X[:2000], y[:2000], X[2000:], y[2000:], n_valid=500),
        SGDSettings.grid(8, [0.05, 0.5], [0, 1], 50, 3),
    )
    a = train_cell(*args)
    b = train_cell(*args)
    assert a == b
    assert len(a.models) == 4 and all(len(m.epochs) == 3 for m in a.models)
    rec = a.models[0].epochs[2]
    assert set(rec) == {"epoch", "train_loss", "diverged", "valid", "test"}
    assert {"loss", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"} <= set(
        rec["test"]
    )
    assert rec["valid"]["tp"] + rec["valid"]["fp"] + rec["valid"]["tn"] + rec["valid"]["fn"] == 500


def test_divergence_is_marked_and_frozen_and_others_go_on(data, caplog) -> None:
    X, y = data
    ev = {"valid": (X[:500], y[:500])}
    with caplog.at_level(logging.WARNING, logger="hw6"):
        out = train_models(X, y, ev, SGDSettings(8, [0.1, 1e30, 0.3], [0, 0, 1], 100, 3))
    good, bad, other = out.models
    assert bad["diverged_epoch"] == 1
    assert [r["diverged"] for r in bad["epochs"]] == [True, True, True]
    assert all(r["valid"] is None for r in bad["epochs"])
    assert good["diverged_epoch"] is None and other["diverged_epoch"] is None
    assert "diverged" in caplog.text
    # the others are unaffected by their diverging neighbour (to float32 rounding: the batch
    # shapes differ, so may the BLAS kernels' summation order)
    ref = train_models(X, y, ev, SGDSettings(8, [0.1, 0.3], [0, 1], 100, 3))
    assert_same_path(out, 0, ref, 0, steps=3 * 30)
    assert_same_path(out, 2, ref, 1, steps=3 * 30)


def test_path_tolerance_catches_leaked_learning_rate_and_mixed_rows(data, monkeypatch) -> None:
    """The tolerance of :func:`assert_same_path` is tight enough to see the bugs it guards."""
    from hw6lib.mlp import engine, steps

    X, y = data
    ev = {"valid": (X[:500], y[:500])}
    args = (X, y, ev, SGDSettings(8, [0.1, 0.3], [0, 1], 100, 3))
    ref = train_models(*args)
    assert_same_path(ref, 1, train_models(*args), 1, steps=90)
    # a learning rate 1% off
    off = train_models(X, y, ev, SGDSettings(8, [0.1, 0.303], [0, 1], 100, 3))
    with pytest.raises(AssertionError):
        assert_same_path(off, 1, ref, 1, steps=90)
    train_epoch = engine.train_epoch

    def leaked_lr(state, perm, *a, **k):  # every model steps with its neighbour's rate
        lr = state.lr.clone()
        state.lr.copy_(lr.roll(1, dims=0))
        steps.begin_epoch(state)
        train_epoch(state, perm, *a, **k)
        state.lr.copy_(lr)

    def mixed_rows(state, perm, *a, **k):  # every seed's batches are another seed's
        train_epoch(state, perm.roll(1, dims=0), *a, **k)

    for bug in (leaked_lr, mixed_rows):
        with monkeypatch.context() as mp:
            mp.setattr(engine, "train_epoch", bug)
            buggy = train_models(*args)
        for m in (0, 1):
            with pytest.raises(AssertionError):
                assert_same_path(buggy, m, ref, m, steps=90)


def test_learning_rate_zero_means_no_change(data) -> None:
    X, y = data
    out = train_models(X, y, {}, SGDSettings(4, [0.0], [9], 100, 1))
    for k, v in init_params(4, [9]).items():
        np.testing.assert_array_equal(out.params[k], v.numpy())


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_requested_without_cuda_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"mlp\.device.*no CUDA device"):
        cell_device("cuda", 0)


def test_device_choice_logs_gpu_fallback(caplog) -> None:
    with pytest.raises(InputError, match="unknown device"):
        cell_device("tpu")
    with caplog.at_level(logging.INFO, logger="hw6"):
        dev = cell_device("auto", gpus=1)
    if not torch.cuda.is_available():
        assert dev.type == "cpu"
        assert "training runs on the CPU" in caplog.text
        assert "no CUDA device available" in caplog.text
    assert cell_device("cpu").type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_job_device_counts_the_gpus_the_job_was_given(caplog) -> None:
    """A training job's device, from mlp.device and its resources (gpu count or gres string)."""
    for resources in ({"gpu": 1}, {"gres": "gpu:a100:2"}):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="hw6"):
            assert job_device("auto", resources).type == "cpu"
        assert "training runs on the CPU" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hw6"):
        assert job_device("auto", {"gpu": 0, "gres": "tmpspace:10"}).type == "cpu"
    assert "training runs on the CPU" not in caplog.text


def test_input_width_is_the_feature_count() -> None:
    from hw6lib.card.csvfile import FEATURES
    from hw6lib.mlp import N_IN

    assert len(FEATURES) == N_IN


def test_graph_replay_covers_the_epoch_as_the_eager_steps_do(data) -> None:
    """The CUDA-graph path's bookkeeping, checked on the CPU: a stand-in graph that runs the
    captured steps eagerly replays whole groups of mini-batches, and the eager path does the
    rest, so that every mini-batch of the epoch is trained once, in order."""
    from hw6lib.mlp import cudagraph
    from hw6lib.mlp.engine import new_state, run_epoch
    from hw6lib.mlp.training import DeviceRows, RowOrders

    X, y = data
    X, y = X[:1050], y[:1050]  # 10 full batches of 100 and one of 50
    sgd = SGDSettings(4, [0.1, 0.3, 0.2], [0, 0, 1], 100, 1, momentums=[0.9])
    rows = DeviceRows.load(X, y, {}, torch.device("cpu"))
    perms = RowOrders.for_settings(sgd, torch.device("cpu")).draw(rows.n)
    eager = new_state(rows, sgd)
    loss_eager = run_epoch(eager, perms, sgd.batch_size, None)
    replayed = new_state(rows, sgd)
    steps = 4  # two replays of 4 batches; 2 full batches and the last one run eagerly
    idx = torch.zeros(len(sgd.distinct_seeds()), steps * sgd.batch_size, dtype=torch.long)
    replays = []

    class StandIn:
        def replay(self) -> None:
            replays.append(idx.clone())
            cudagraph._graph_steps(replayed, idx, steps, sgd.batch_size)

    graph = cudagraph.StepGraph(StandIn(), idx, steps, sgd.batch_size)
    loss_replayed = run_epoch(replayed, perms, sgd.batch_size, graph)
    assert len(replays) == 2
    assert torch.equal(replays[1], perms[:, 400:800])
    np.testing.assert_allclose(loss_replayed, loss_eager, rtol=1e-6)
    for k, v in eager.params.items():
        np.testing.assert_allclose(replayed.params[k].numpy(), v.numpy(), rtol=0, atol=1e-6)


def test_graph_warm_up_steps_full_batches_of_a_long_index(data) -> None:
    """The warm-up before CUDA-graph capture, on the CPU: with more full batches than it runs
    (here 10, of which it runs 3) it trains 3 ordinary mini-batches, as the eager steps do
    (it once cut the whole index into 3 slices of 333 rows, a size with no work buffers:
    KeyError, and every capture failed)."""
    from hw6lib.mlp import cudagraph
    from hw6lib.mlp.engine import new_state
    from hw6lib.mlp.steps import begin_epoch, train_epoch
    from hw6lib.mlp.training import DeviceRows, RowOrders

    X, y = data
    X, y = X[:1050], y[:1050]
    sgd = SGDSettings(4, [0.1, 0.3, 0.2], [0, 0, 1], 100, 1, momentums=[0.9])
    rows = DeviceRows.load(X, y, {}, torch.device("cpu"))
    perms = RowOrders.for_settings(sgd, torch.device("cpu")).draw(rows.n)
    idx = perms[:, :1000].clone()  # the captured graph's index: 10 full batches
    warmed = new_state(rows, sgd)
    with torch.no_grad():
        cudagraph.warm_up(warmed, idx, sgd.batch_size)
    eager = new_state(rows, sgd)
    begin_epoch(eager)
    with torch.no_grad():
        train_epoch(eager, perms[:, :300].contiguous(), sgd.batch_size)
    for k, v in eager.params.items():
        np.testing.assert_allclose(warmed.params[k].numpy(), v.numpy(), rtol=0, atol=1e-6)
        assert not torch.equal(v, new_state(rows, sgd).params[k]), k  # it trained
