"""Learning-rate schedules: the rate of each epoch equals the formula, in the function and in
training."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from synthcard import synth_card
from torch import nn

from hw6lib.card.standardize import fit_standardizer
from hw6lib.mlp import SGDSettings, init_params, to_module, train_models
from hw6lib.mlp.schedule import SCHEDULES, lr_factor
from hw6lib.report.narrative.mlp import schedule_text


@pytest.mark.parametrize("horizon", [1, 2, 5, 12, 20])
def test_factors_equal_the_formulas(horizon) -> None:
    for e in range(1, horizon + 1):
        assert lr_factor("constant", e, horizon) == 1.0
        assert lr_factor("cosine", e, horizon) == pytest.approx(
            0.5 * (1 + math.cos(math.pi * (e - 1) / horizon)), abs=1e-15
        )
        milestones = [max(1, math.floor(0.5 * horizon)), max(1, math.floor(0.75 * horizon))]
        passed = sum(e - 1 >= m for m in milestones)
        assert lr_factor("step", e, horizon) == pytest.approx(0.1**passed)
    assert lr_factor("cosine", 1, horizon) == 1.0 == lr_factor("step", 1, horizon)


def test_step_and_cosine_on_a_twenty_epoch_run() -> None:
    step = [lr_factor("step", e, 20) for e in range(1, 21)]
    assert step == pytest.approx([1.0] * 10 + [0.1] * 5 + [0.01] * 5)
    cos = [lr_factor("cosine", e, 20) for e in range(1, 21)]
    assert all(a > b > 0 for a, b in itertools.pairwise(cos))
    assert cos[10] == pytest.approx(0.5)  # epoch 11 of 20: half way


def test_schedules_agree_with_torch_schedulers() -> None:
    net = nn.Linear(1, 1)
    for name, make in [
        ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8)),
        ("step", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [4, 6], gamma=0.1)),
    ]:
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        sched = make(opt)
        for e in range(1, 9):
            assert opt.param_groups[0]["lr"] == pytest.approx(0.5 * lr_factor(name, e, 8))
            opt.step()
            sched.step()


def test_bad_schedule_or_epoch_is_an_error() -> None:
    with pytest.raises(ValueError, match="schedule"):
        lr_factor("linear", 1, 5)
    with pytest.raises(ValueError, match="outside"):
        lr_factor("cosine", 6, 5)
    with pytest.raises(ValueError, match="schedule"):
        train_models(
            np.zeros((4, 7)), np.zeros(4), {}, SGDSettings(2, [0.1], [0], 4, 1, schedule="linear")
        )
    for s in SCHEDULES:
        assert schedule_text(s)


@pytest.mark.parametrize(("schedule", "momentum"), [("cosine", 0.0), ("step", 0.9)])
def test_training_uses_the_scheduled_rate_in_every_epoch(schedule, momentum) -> None:
    """Full-batch training (one step per epoch, so the order of rows does not matter) equals
    torch.optim.SGD with the rate set to the formula's value at the start of every epoch."""
    X, y = synth_card(300, seed=4)
    X = fit_standardizer(X).transform(X)
    epochs, base = 6, 0.5
    out = train_models(
        X, y, {}, SGDSettings(5, [base], [2], 300, epochs, momentums=[momentum], schedule=schedule)
    )
    net = to_module(init_params(5, [2]), 0)
    opt = torch.optim.SGD(net.parameters(), lr=base, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    for e in range(1, epochs + 1):
        for g in opt.param_groups:
            g["lr"] = base * lr_factor(schedule, e, epochs)
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(net(Xt), yt).backward()
        opt.step()
    for layer, lin in zip((1, 2, 3), (net[0], net[2], net[4]), strict=True):
        np.testing.assert_allclose(out.params[f"W{layer}"][0].T, lin.weight.detach(), atol=1e-5)
        np.testing.assert_allclose(out.params[f"b{layer}"][0, 0], lin.bias.detach(), atol=1e-5)
    # and the schedule mattered: a constant rate ends elsewhere
    const = train_models(X, y, {}, SGDSettings(5, [base], [2], 300, epochs, momentums=[momentum]))
    assert np.abs(const.params["W1"] - out.params["W1"]).max() > 1e-3
