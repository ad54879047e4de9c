"""The fraud MLP: architecture and loss, standardisation, batched training, divergence, devices."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from synthcard import synth_card
from torch import nn

from hw6lib.mlp import (
    cell_device,
    fit_standardizer,
    forward_logits,
    init_params,
    loss_and_grads,
    split_valid,
    to_module,
    train_cell,
    train_models,
)
from hw6lib.runlog import InputError


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = synth_card(3000, seed=1)
    st = fit_standardizer(X)
    return st.transform(X), y


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
    out = train_cell(X_train, y, X_test, y[:300], 200, 4, 100, [0.1], [0], 1)
    fit = X_train[:1000].astype(np.float64)
    np.testing.assert_allclose(out["standardizer"]["mean"], fit.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["standardizer"]["scale"], fit.std(axis=0), rtol=1e-12)
    assert out["n_fit"] == 1000 and out["n_valid"] == 200 and out["n_test"] == 300


def test_split_valid_is_the_tail() -> None:
    assert split_valid(10, 3) == (slice(0, 7), slice(7, 10))
    with pytest.raises(ValueError):
        split_valid(10, 10)


def test_batched_model_matches_model_trained_alone(data) -> None:
    X, y = data
    lrs, seeds = [0.05, 0.5, 0.2, 0.05], [0, 0, 7, 3]
    together = train_models(X, y, {}, 8, lrs, seeds, 64, 1)
    for m, (lr, seed) in enumerate(zip(lrs, seeds, strict=True)):
        alone = train_models(X, y, {}, 8, [lr], [seed], 64, 1)
        for k, v in alone["params"].items():
            np.testing.assert_allclose(together["params"][k][m], v[0], atol=1e-5, rtol=0)
        assert together["models"][m]["epochs"][0]["train_loss"] == pytest.approx(
            alone["models"][0]["epochs"][0]["train_loss"], rel=1e-5
        )


def test_momentum_matches_torch_sgd(data) -> None:
    X, y = data
    X, y = X[:256], y[:256]
    out = train_models(X, y, {}, 4, [0.1], [5], 256, 3, momentum=0.9)
    net = to_module(init_params(4, [5]), 0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    for _ in range(3):  # one full batch per epoch: the order does not matter
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(net(Xt), yt).backward()
        opt.step()
    np.testing.assert_allclose(out["params"]["W1"][0].T, net[0].weight.detach(), atol=1e-5)
    np.testing.assert_allclose(out["params"]["b3"][0, 0], net[4].bias.detach(), atol=1e-5)


def test_training_is_deterministic_on_cpu(data) -> None:
    X, y = data
    args = (X[:2000], y[:2000], X[2000:], y[2000:], 500, 8, 50, [0.05, 0.5], [0, 1], 3)
    a = train_cell(*args)
    b = train_cell(*args)
    assert a == b
    assert len(a["models"]) == 4 and all(len(m["epochs"]) == 3 for m in a["models"])
    rec = a["models"][0]["epochs"][2]
    assert set(rec) == {"epoch", "train_loss", "diverged", "valid", "test"}
    assert {"loss", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"} <= set(
        rec["test"]
    )
    assert rec["valid"]["tp"] + rec["valid"]["fp"] + rec["valid"]["tn"] + rec["valid"]["fn"] == 500


def test_divergence_is_marked_and_frozen_and_others_go_on(data, caplog) -> None:
    X, y = data
    ev = {"valid": (X[:500], y[:500])}
    with caplog.at_level(logging.WARNING, logger="hw6"):
        out = train_models(X, y, ev, 8, [0.1, 1e30, 0.3], [0, 0, 1], 100, 3)
    good, bad, other = out["models"]
    assert bad["diverged_epoch"] == 1
    assert [r["diverged"] for r in bad["epochs"]] == [True, True, True]
    assert all(r["valid"] is None for r in bad["epochs"])
    assert good["diverged_epoch"] is None and other["diverged_epoch"] is None
    assert "diverged" in caplog.text
    # the others are unaffected by their diverging neighbour
    ref = train_models(X, y, ev, 8, [0.1, 0.3], [0, 1], 100, 3)
    assert ref["models"][0]["epochs"] == good["epochs"]
    assert ref["models"][1]["epochs"] == other["epochs"]


def test_learning_rate_zero_means_no_change(data) -> None:
    X, y = data
    out = train_models(X, y, {}, 4, [0.0], [9], 100, 1)
    for k, v in init_params(4, [9]).items():
        np.testing.assert_array_equal(out["params"][k], v.numpy())


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


def test_input_width_is_the_feature_count() -> None:
    from hw6lib.carddata import FEATURES
    from hw6lib.mlp import N_IN

    assert len(FEATURES) == N_IN
