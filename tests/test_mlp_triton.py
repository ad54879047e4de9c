"""The fused Triton training kernel equals the eager batched path, checked in Triton's interpreter.

No GPU is needed: ``tests/fused_cases.py`` runs in a child process with ``TRITON_INTERPRET=1``
(Triton reads it when ``triton`` is first imported, so this process, which other tests share,
is left alone), trains every case with the interpreted kernel on CPU tensors and with the eager
batched path, and hands both results back. The data are small (the interpreter runs every block
operation in Python); the cases cover a partial and a full last batch, one and several chunks
per batch, two models sharing a seed, a diverging model, widths 4 (broadcast products) and 16
(``tl.dot``), plain SGD and momentum, after 1 and 3 epochs; a frozen model whose gradients
overflow, a NaN input, and the run-time self-check (:mod:`hw6lib.mlp.selfcheck`) with the
interpreted kernel and with a perturbed one (marked ``selfcheck``: CI must not skip them).
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fused_cases import CASES, EPOCHS

# under CI=true a skip here fails (tests/conftest.py): CI installs triton with torch
pytestmark = [
    pytest.mark.triton,
    pytest.mark.skipif(
        importlib.util.find_spec("triton") is None, reason="the fused kernel's tests need triton"
    ),
]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("fused") / "cases.pkl"
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "fused_cases.py"), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return pickle.loads(out.read_bytes())


def assert_same_models(a: dict, b: dict) -> None:
    """Parameters per model within float32 tolerance (1e-5 of each tensor's size; 1e-3 for a
    diverging model), the same divergence epochs, and training losses per epoch to 1e-5
    relative (1e-3 for a diverging model)."""
    for m in range(len(a["models"])):
        ma, mb = a["models"][m], b["models"][m]
        # SGD at a learning rate of 1000 amplifies rounding (1e-5 of the weights' size seen)
        tol = 1e-5 if mb["diverged_epoch"] is None else 1e-3
        for k, ref in b["params"].items():
            got, want = a["params"][k][m], ref[m]
            assert np.isfinite(want).all()
            scale = max(float(np.abs(want).max()), 1.0)
            np.testing.assert_allclose(
                got, want, rtol=10 * tol, atol=tol * scale, err_msg=f"model {m}, {k}"
            )
        assert ma["diverged_epoch"] == mb["diverged_epoch"], m
        assert [r["diverged"] for r in ma["epochs"]] == [r["diverged"] for r in mb["epochs"]]
        for ra, rb in zip(ma["epochs"], mb["epochs"], strict=True):
            if rb["train_loss"] is None:
                assert ra["train_loss"] is None
            else:  # a diverging model's loss (~1e18) sums huge terms: a looser match
                rel = 1e-5 if mb["diverged_epoch"] is None else 1e-3
                assert ra["train_loss"] == pytest.approx(rb["train_loss"], rel=rel)


def test_the_kernel_ran_in_the_interpreter(results) -> None:
    assert results["interpreted"] == "InterpretedFunction"


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("epochs", EPOCHS)
def test_fused_equals_eager_per_model(results, case, epochs) -> None:
    fused, eager = results[case][epochs]
    assert fused["engine"] == "triton"
    assert_same_models(fused, eager)
    # the huge learning rate diverged in epoch 1; the others did not
    assert [m["diverged_epoch"] for m in fused["models"]] == [None, None, 1, None]
    # models 0 and 1 share a seed (initial weights, row orders) but not a learning rate
    assert not np.allclose(fused["params"]["W2"][0], fused["params"]["W2"][1])


@pytest.mark.parametrize("case", list(CASES))
def test_diverged_model_stays_frozen(results, case) -> None:
    one, three = results[case][1][0], results[case][3][0]
    for k in one["params"]:
        np.testing.assert_array_equal(one["params"][k][2], three["params"][k][2])
    assert [r["diverged"] for r in three["models"][2]["epochs"]] == [True] * 3


def test_scores_after_every_epoch_match(results) -> None:
    fused, eager = results["scored"]
    assert_same_models(fused, eager)
    for m in (0, 1, 3):
        for ra, rb in zip(fused["models"][m]["epochs"], eager["models"][m]["epochs"], strict=True):
            assert ra["valid"]["loss"] == pytest.approx(rb["valid"]["loss"], rel=1e-4)
    assert all(r["valid"] is None for r in fused["models"][2]["epochs"])


def test_schedule_scales_the_fused_rates_as_the_eager_ones(results) -> None:
    fused, eager = results["cosine"]
    assert_same_models(fused, eager)
    constant = results["cosine_constant"]
    assert not np.allclose(eager["params"]["W1"][0], constant["params"]["W1"][0], atol=1e-4)


def test_learning_rate_is_a_per_model_input(results) -> None:
    r = results["lr_vector"]
    assert r["loss"].shape == (2,) and np.isfinite(r["loss"]).all()
    for k, before in r["before"].items():
        np.testing.assert_array_equal(r["after"][k][0], before[0])  # lr 0: unchanged
    assert not np.array_equal(r["after"]["b3"][1], r["before"]["b3"][1])


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_frozen_model_with_overflowing_gradients_stays_exactly_as_it_was(
    results, momentum
) -> None:
    r = results[f"frozen_overflow_{momentum}"]
    for k, before in r["before"].items():
        np.testing.assert_array_equal(r["after"][k][0], before[0], err_msg=k)
    for k, before in r["buf_before"].items():
        np.testing.assert_array_equal(r["buf_after"][k][0], before[0], err_msg=k)
    assert not np.array_equal(r["after"]["b3"][1], r["before"]["b3"][1])  # model 1 trained


def test_a_nan_input_gives_a_nan_loss_as_in_eager(results) -> None:
    r = results["nan_input"]
    assert np.isnan(r["eager_logits"][0]).all() and np.isfinite(r["eager_logits"][1]).all()
    assert np.isnan(r["loss"][0]) and np.isfinite(r["loss"][1])


@pytest.mark.selfcheck
def test_the_self_check_passes_the_interpreted_kernel(results) -> None:
    rec = results["selfcheck"]["fused"]
    assert rec["engine"] == "fused"
    [check] = rec["checks"]
    assert check["passed"] and check["engine"] == "fused" and check["error"] is None
    assert check["max_diff"] is not None and check["tolerance_ratio"] <= 1.0


@pytest.mark.selfcheck
def test_the_self_check_catches_a_perturbed_kernel_and_falls_back(results) -> None:
    rec = results["selfcheck"]["wrong"]
    assert rec["engine"] == "eager"
    [check] = rec["checks"]
    assert not check["passed"] and check["tolerance_ratio"] > 1.0
    assert "differs by" in check["error"]


def test_relu_keeps_nan_in_the_compiled_kernel() -> None:
    """``tl.maximum(z, 0)`` compiles to ``max.f32``, which drops a NaN operand (eager's
    ``clamp_min`` keeps it); the kernel's ReLU must compile to no such instruction."""
    if os.environ.get("TRITON_INTERPRET") == "1":
        pytest.skip("this process runs Triton's interpreter")
    from hw6lib.mlp.fused import compile_offline

    for width, momentum in ((16, 0.0), (4, 0.9)):
        ptx = compile_offline(width, momentum=momentum).asm["ptx"]
        assert "max.f32" not in ptx and "max.ftz.f32" not in ptx, (width, momentum)


def test_probe_reports_the_kernel_usable(results) -> None:
    assert results["usable_cpu"] is True


def test_cpu_training_never_takes_the_fused_path() -> None:
    from hw6lib.mlp import SGDSettings, train_models

    X = np.random.default_rng(0).standard_normal((64, 7)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.uint8)
    out = train_models(X, y, {}, SGDSettings(4, [0.1], [0], 32, 1), device="cpu")
    assert out.engine == "torch" and not out.cuda_graph


def test_kernel_compiles_for_an_h100_without_a_gpu() -> None:
    """Ahead-of-time compilation for sm_90 (the wheel's ptxas): the interpreter alone would not
    catch what only the compiler rejects (loop-carried types, dot shapes)."""
    if os.environ.get("TRITON_INTERPRET") == "1":
        pytest.skip("this process runs Triton's interpreter")
    from hw6lib.mlp.fused import compile_offline

    kernel = compile_offline(16, momentum=0.9)
    assert len(kernel.asm["cubin"]) > 0


def test_wide_models_keep_the_torch_path(caplog) -> None:
    from hw6lib.mlp.fused import MAX_WIDTH, launch_config, usable

    with caplog.at_level("INFO", logger="hw6"):
        assert not usable("cpu", MAX_WIDTH + 1)
    # refused for its width, before any attempt to compile or run (which fails on a CPU anyway)
    assert f"width {MAX_WIDTH + 1} > {MAX_WIDTH}; using the torch path" in caplog.text
    for width in (4, 16, 32, MAX_WIDTH):
        chunk, warps = launch_config(width)
        assert chunk >= 16 and chunk & (chunk - 1) == 0 and warps in (4, 8)


def test_other_depths_keep_the_torch_path(caplog) -> None:
    """The kernel is the fast path of two hidden layers: any other depth is refused in one line
    before any attempt to compile, the fused engine says why, and the job falls back."""
    import torch

    from hw6lib.mlp import SGDSettings
    from hw6lib.mlp.engines import EagerEngine, FusedEngine
    from hw6lib.mlp.fused import train_models_fused, usable
    from hw6lib.mlp.selfcheck import choose_engine
    from hw6lib.mlp.training import DeviceRows

    with caplog.at_level("INFO", logger="hw6"):
        assert not usable("cpu", 16, depth=3)
    assert "serves 2 hidden layers only, the model has 3; using the torch path" in caplog.text
    X = np.random.default_rng(0).standard_normal((64, 7)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.uint8)
    cpu = torch.device("cpu")
    for depth in (1, 3):
        sgd = SGDSettings(16, [0.1], [0], 32, 1, depth=depth)
        caplog.clear()
        with caplog.at_level("INFO", logger="hw6"):
            choice = choose_engine([FusedEngine(cuda_only=False), EagerEngine()], X, y, sgd, cpu)
        assert choice.engine.name == "eager"
        assert f"serves 2 hidden layers only, the model has {depth}" in caplog.text
        with pytest.raises(ValueError, match="serves 2 hidden layers only"):
            train_models_fused(DeviceRows.load(X, y, {}, cpu), sgd)
