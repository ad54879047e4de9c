"""Learning-rate schedules over the epochs of plain SGD: the rate of each epoch as a pure function.

A schedule multiplies every model's base learning rate by one factor per epoch, set at the
start of the epoch and held for all its mini-batches (the update rule stays plain SGD):

``constant``
    factor 1 in every epoch.
``cosine``
    ``(1 + cos(pi * (e - 1) / H)) / 2`` in epoch ``e = 1..H`` of a run of ``H`` epochs
    (``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``T_max = H``, ``eta_min = 0``,
    stepped once per epoch): the full rate in epoch 1, falling to
    ``(1 + cos(pi * (H - 1) / H)) / 2`` in the last.
``step``
    :data:`STEP_GAMMA` to the power of the number of milestones passed, the milestones at the
    fractions :data:`STEP_MILESTONES` of the run (``MultiStepLR`` with milestones
    ``max(1, floor(f * H))`` counted in 0-based epochs): for ``H = 20``, factor 1 in epochs
    1-10, 0.1 in 11-15 and 0.01 in 16-20.

The horizon ``H`` is the number of epochs the run trains (``mlp.max_epochs``). Reading the
records of epoch ``k < H`` off such a run is therefore *not* the same as a ``k``-epoch run with
the same schedule: at epoch ``k`` the rate has decayed only as far as a horizon of ``H`` takes it.
With ``constant`` the two coincide.
"""

from __future__ import annotations

import math

#: The schedule that holds the base rate in every epoch: the library's default where a caller
#: gives no schedule (tests, benchmarks). The pipeline always passes ``mlp.schedule``, whose
#: default is stated once, in the configuration schema.
CONSTANT: str = "constant"
#: Names of the schedules (the values ``mlp.schedule`` of the configuration schema allows; the
#: schema's enum lists them for validation and the README, and a test holds the two equal).
SCHEDULES: tuple[str, ...] = (CONSTANT, "cosine", "step")
#: Fractions of the run after which the ``step`` schedule divides the rate by ``1/STEP_GAMMA``.
STEP_MILESTONES: tuple[float, ...] = (0.5, 0.75)
#: Factor applied at each milestone of the ``step`` schedule.
STEP_GAMMA: float = 0.1


def lr_factor(schedule: str, epoch: int, horizon: int) -> float:
    """Return the multiplier of the base learning rate during one epoch.

    Parameters
    ----------
    schedule : {"constant", "cosine", "step"}
        The schedule (see the module docstring for the formulas).
    epoch : int
        The epoch, counted from 1.
    horizon : int
        The number of epochs of the run (``1 <= epoch <= horizon``).

    Returns
    -------
    float
        The factor, in ``(0, 1]``.

    Raises
    ------
    ValueError
        For an unknown schedule or an epoch outside ``1..horizon``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; one of {SCHEDULES}")
    if not 1 <= epoch <= horizon:
        raise ValueError(f"epoch {epoch} outside 1..{horizon}")
    t = epoch - 1
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t / horizon))
    if schedule == "step":
        passed = sum(t >= max(1, math.floor(f * horizon)) for f in STEP_MILESTONES)
        return STEP_GAMMA**passed
    return 1.0


def decays(schedule: str) -> bool:
    """Say whether the rate falls over the run (every schedule but :data:`CONSTANT`).

    With a decaying schedule, epoch ``k`` of a run over ``H > k`` epochs is not a ``k``-epoch
    run: more epochs mean a new, longer run, not more of the same one.
    """
    return schedule != CONSTANT
