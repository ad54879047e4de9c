"""Cases for the fused Triton kernel, run in Triton's interpreter by ``tests/test_mlp_triton.py``.

Run as a script (``python tests/fused_cases.py OUT.pkl``) in a fresh process whose environment
has ``TRITON_INTERPRET=1``: Triton reads the flag when a function is decorated with
``@triton.jit``, including its own library functions (``tl.sum``, ``tl.sigmoid``) when
``triton.language`` is first imported, so it must be set before ``triton`` is imported at all,
and the tests' own process must not be switched to the interpreter for good. Every case trains
with the fused kernel (CPU tensors, interpreted) and with the eager batched path of
:func:`hw6lib.mlp.engine.train_models`, and the results go to a pickle for the tests to compare.
"""

from __future__ import annotations

import os
import pickle
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

#: Model m: learning rate, seed. Models 0 and 1 share seed 0; model 2 diverges in epoch 1.
LRS = [0.1, 0.5, 1000.0, 0.2]
SEEDS = [0, 0, 1, 2]

#: name: (width, rows, batch, momentum, chunk) for the fused vs eager comparisons.
CASES: dict[str, tuple[int, int, int, float, int]] = {
    # 8 full batches and a partial one of 16 rows; one chunk per batch (broadcast products)
    "w4_partial": (4, 400, 48, 0.0, 64),
    # 4 full batches, none partial; 2 chunks of 64 rows per batch (tl.dot)
    "w16_full": (16, 384, 96, 0.0, 64),
    # momentum, partial last batch (8 rows), 3 chunks of 16 rows per batch
    "w16_momentum": (16, 400, 48, 0.9, 16),
}

EPOCHS = (1, 3)


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthcard import synth_card

    from hw6lib.card.standardize import fit_standardizer

    X, y = synth_card(n, seed=4)
    return fit_standardizer(X).transform(X), y


def run(out: Path) -> None:
    """Train every case both ways and pickle ``{case: {epochs: (fused, eager)}}`` and extras."""
    if os.environ.get("TRITON_INTERPRET") != "1":
        raise SystemExit("fused_cases: set TRITON_INTERPRET=1 before running")
    import torch

    from hw6lib.mlp import SGDSettings, fused, init_params, train_models
    from hw6lib.mlp.training import DeviceRows

    def both(X, y, ev, sgd, chunk=None):  # (fused, eager) as plain dicts
        with np.errstate(all="ignore"):  # the diverging model overflows inside numpy
            rows = DeviceRows.load(X, y, ev, torch.device("cpu"))
            f = fused.train_models_fused(rows, sgd, chunk=chunk)
        return asdict(f), asdict(train_models(X, y, ev, sgd))

    res: dict[str, Any] = {"interpreted": type(fused._epoch_kernel).__name__}
    X, y = _data(500)
    for name, (width, n, batch, mom, chunk) in CASES.items():
        res[name] = {}
        for epochs in EPOCHS:
            sgd = SGDSettings(width, LRS, SEEDS, batch, epochs, momentums=[mom])
            res[name][epochs] = both(X[:n], y[:n], {}, sgd, chunk)

    # scores after every epoch, with a validation set
    ev = {"valid": (X[300:], y[300:])}
    res["scored"] = both(X[:300], y[:300], ev, SGDSettings(4, LRS, SEEDS, 64, 2))

    # a learning-rate schedule: the fused path scales the rates per epoch as the eager one does
    cosine = SGDSettings(4, LRS, SEEDS, 64, 3, momentums=[0.9], schedule="cosine")
    res["cosine"] = both(X[:200], y[:200], {}, cosine)
    constant = SGDSettings(4, LRS, SEEDS, 64, 3, momentums=[0.9])
    res["cosine_constant"] = asdict(train_models(X[:200], y[:200], {}, constant))

    # one epoch through train_epoch directly: a learning rate of 0 leaves a model as it was
    params = init_params(4, [0, 1])
    before = {k: v.clone() for k, v in params.items()}
    gen = torch.Generator().manual_seed(0)
    xy = torch.cat([torch.randn(1, 30, 7, generator=gen), torch.ones(1, 30, 1)], dim=2)
    loss = fused.train_epoch(
        params,
        None,
        xy.contiguous(),
        torch.tensor([0, 1], dtype=torch.int32),
        torch.zeros(2, dtype=torch.int32),
        torch.tensor([0.0, 0.3]),
        8,
    )
    res["lr_vector"] = {
        "loss": loss.numpy(),
        "before": {k: v.numpy() for k, v in before.items()},
        "after": {k: v.numpy() for k, v in params.items()},
    }
    res["usable_cpu"] = fused.usable("cpu", 16, 0.9)

    # a frozen model (lr 0) whose gradients overflow keeps its parameters and buffers exactly
    # (W - 0 * inf would be NaN); a NaN input gives a NaN loss, as eager's clamp_min keeps NaN
    for mom in (0.0, 0.9):
        params = init_params(16, [0, 1])
        with torch.no_grad():
            params["W1"][0].fill_(1e30)
            params["W2"][0].fill_(1e30)
        buffers = {k: torch.full_like(v, 0.5) for k, v in params.items()} if mom else None
        before = {k: v.clone() for k, v in params.items()}
        before_buf = {k: v.clone() for k, v in (buffers or {}).items()}
        with np.errstate(all="ignore"):
            fused.train_epoch(
                params,
                buffers,
                xy.contiguous(),
                torch.tensor([0, 1], dtype=torch.int32),
                torch.zeros(2, dtype=torch.int32),
                torch.tensor([0.0, 0.3]),
                8,
                mom,
            )
        res[f"frozen_overflow_{mom}"] = {
            "before": {k: v.numpy() for k, v in before.items()},
            "after": {k: v.numpy() for k, v in params.items()},
            "buf_before": {k: v.numpy() for k, v in before_buf.items()},
            "buf_after": {k: v.numpy() for k, v in (buffers or {}).items()},
        }
    params = init_params(16, [0, 1])
    with torch.no_grad():
        params["b1"][0, 0, 3] = float("nan")
    from hw6lib.mlp import forward_logits

    eager_logits = forward_logits(params, xy[0, :, :7])
    with np.errstate(all="ignore"):
        loss = fused.train_epoch(
            params,
            None,
            xy.contiguous(),
            torch.tensor([0, 1], dtype=torch.int32),
            torch.zeros(2, dtype=torch.int32),
            torch.tensor([0.1, 0.1]),
            30,
        )
    res["nan_input"] = {"loss": loss.numpy(), "eager_logits": eager_logits.numpy()}

    # the run-time self-check with the interpreted kernel: it passes, and a kernel run with a
    # perturbed update (learning rates 1% off) is caught and fallen back from
    from hw6lib.mlp.engines import EagerEngine, FusedEngine
    from hw6lib.mlp.selfcheck import choose_engine

    class PerturbedFused(FusedEngine):
        def train(self, X, y, eval_sets, sgd, device, log, monitor=None):
            lrs = [lr * 1.01 for lr in sgd.learning_rates]
            return super().train(X, y, eval_sets, replace(sgd, learning_rates=lrs), device, log)

    sgd = SGDSettings(4, [0.1, 1.0, 0.3], [0, 1, 1], 16, 3, momentums=[0.9], schedule="cosine")
    res["selfcheck"] = {}
    engines = {"fused": FusedEngine(cuda_only=False), "wrong": PerturbedFused(cuda_only=False)}
    for name, engine in engines.items():
        with np.errstate(all="ignore"):
            choice = choose_engine([engine, EagerEngine()], X[:300], y[:300], sgd, "cpu")
        res["selfcheck"][name] = choice.record().to_json()
    out.write_bytes(pickle.dumps(res))


if __name__ == "__main__":
    run(Path(sys.argv[1]))
