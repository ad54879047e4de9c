"""Subnormal floats are flushed to zero while the MLP trains and is scored, and only then."""

from __future__ import annotations

import numpy as np
import torch
from synthcard import synth_card

from hw6lib.card.standardize import fit_standardizer
from hw6lib.mlp import SGDSettings, engine, evaluate, init_params, progress, train_models
from hw6lib.mlp.denormals import flush_denormals, flushing

TINY = 1e-39  # a subnormal float32


def test_flush_is_on_inside_and_the_mode_found_is_restored() -> None:
    x = torch.tensor([TINY], dtype=torch.float32)
    assert not flushing() and (x * 1.5).item() > 0  # torch's default: subnormals kept
    with flush_denormals("cpu") as active:
        assert active and flushing()
        assert (x * 1.5).item() == 0.0
        with flush_denormals("cpu"):  # nested: still on after the inner block
            pass
        assert flushing()
    assert not flushing() and (x * 1.5).item() > 0
    torch.set_flush_denormal(True)  # a caller that flushes keeps flushing afterwards
    try:
        with flush_denormals("cpu"):
            pass
        assert flushing()
    finally:
        torch.set_flush_denormal(False)
    with flush_denormals("cpu", on=False) as active:
        assert not active and not flushing()


def test_training_and_scoring_run_flushed_and_leave_the_mode_off(monkeypatch) -> None:
    X, y = synth_card(600, seed=2)
    X = fit_standardizer(X).transform(X)
    seen: list[tuple[str, bool]] = []
    run_epoch, forward = engine.run_epoch, progress.forward_logits

    def spy_epoch(*a, **k):
        seen.append(("train", flushing()))
        return run_epoch(*a, **k)

    def spy_forward(*a, **k):
        seen.append(("score", flushing()))
        return forward(*a, **k)

    monkeypatch.setattr(engine, "run_epoch", spy_epoch)
    monkeypatch.setattr(progress, "forward_logits", spy_forward)
    train_models(X, y, {"valid": (X[:100], y[:100])}, SGDSettings(4, [0.1], [0], 100, 2))
    assert {k for k, _ in seen} == {"train", "score"}
    assert all(on for _, on in seen), seen
    assert not flushing()
    seen.clear()
    yt = torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    evaluate(init_params(4, [0]), torch.from_numpy(X), yt)
    assert seen and all(on for _, on in seen)
    assert not flushing()
