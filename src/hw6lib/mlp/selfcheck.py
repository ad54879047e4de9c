"""The run-time self-check of every fast engine against the eager reference, and the choice.

A fast engine (the fused Triton kernel, the CUDA-graph replay) has never been run by this
project on the user's GPU, so before a job trains with one it proves itself there:
:func:`self_check` trains a few of the job's own models (its width, momentum and schedule; two
seeds, its smallest and largest learning rate and one of :data:`DIVERGING_LR`, which diverges)
for :data:`CHECK_EPOCHS` epochs on a slice of the job's own training rows, with that engine and
with the eager reference on the same device, and compares them per model:
the same divergence epochs, and parameters within :func:`param_tolerance`.
:func:`choose_engine` walks the engines in order (:func:`hw6lib.mlp.engines.default_engines`:
fused, graph, eager); a mismatch or an error gives one warning line (with :data:`ENGINE_FALLBACK`,
which the end of the run repeats in Snakemake's own output), and the next engine is tried.
A forced engine (``mlp.engine``) that fails its check fails the job in one line.

Tolerance
---------
Two correct trainers differ only in the order of float32 sums (and, compiled on a GPU, in
fused multiply-adds and approximate ``exp``): each SGD step adds a rounding error of a few ulps
of the parameters' size, and the errors add up over the steps, amplified by at most
``1 / (1 - momentum)`` by the momentum buffers. So the bound on a model's largest difference,
relative to each tensor's largest magnitude (at least 1), is
``TOL_PER_STEP * steps / (1 - momentum)`` (at least :data:`TOL_FLOOR`, the bound of the
interpreter tests), and :data:`TOL_DIVERGED` for a model that diverged (a learning rate of 1000
amplifies rounding). A model with NaN where the other has a number differs infinitely.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from numpy.typing import ArrayLike

from hw6lib.errors import InputError
from hw6lib.mlp.cellfile import CheckRecord, EngineRecord
from hw6lib.mlp.engines import ENGINE_SETTINGS, EagerEngine, Engine
from hw6lib.mlp.training import SGDSettings, TrainingResult
from hw6lib.pipeline.runlog import ENGINE_FALLBACK

#: Rounding allowed per SGD step, relative: 16 float32 ulps (the interpreter's kernel differs
#: from eager by about 2 ulps per step on the 243 steps of bench/gpu_fused.py's case).
TOL_PER_STEP: float = 16 * float(np.finfo(np.float32).eps)

#: The smallest bound (the interpreter tests' bound for a model that did not diverge).
TOL_FLOOR: float = 1e-5

#: The bound for a model that diverged (the interpreter tests' bound for it).
TOL_DIVERGED: float = 1e-3

#: Epochs of the check.
CHECK_EPOCHS: int = 2

#: Mini-batches per epoch of the check (its rows: this many batches of the job's size).
CHECK_BATCHES: int = 16

#: A learning rate that diverges in the check's first epoch (so the freezing is checked).
DIVERGING_LR: float = 1000.0


def param_tolerance(steps: int, momentum: float, diverged: bool) -> float:
    """Bound a model's largest relative parameter difference between two correct trainers.

    Parameters
    ----------
    steps : int
        SGD steps trained (epochs times mini-batches per epoch).
    momentum : float
        SGD momentum (errors carried by the buffers grow by up to ``1 / (1 - momentum)``).
    diverged : bool
        Whether the reference model diverged.

    Returns
    -------
    float
    """
    if diverged:
        return TOL_DIVERGED
    return max(TOL_FLOOR, TOL_PER_STEP * steps / (1.0 - momentum))


def model_difference(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], m: int) -> float:
    """Largest ``|a - b|`` of model ``m`` over its tensors, relative to ``b``'s size (>= 1).

    NaN never hides a difference: entries NaN in both count as equal, NaN in one only (or an
    infinity in one only) makes the difference infinite.

    Parameters
    ----------
    a, b : mapping
        Parameters of ``M`` models (:func:`hw6lib.mlp.model.init_params`'s layout).
    m : int
        The model.

    Returns
    -------
    float
        ``inf`` for NaN or infinities in different places.
    """
    worst = 0.0
    for k, ref in b.items():
        want = np.asarray(ref[m], dtype=np.float64)
        got = np.asarray(a[k][m], dtype=np.float64)
        fin_w, fin_g = np.isfinite(want), np.isfinite(got)
        if not np.array_equal(fin_w, fin_g):
            return math.inf
        odd = ~fin_w  # NaN or inf in both: the same value, or an infinite difference
        if odd.any() and not np.array_equal(want[odd], got[odd], equal_nan=True):
            return math.inf
        if fin_w.any():
            scale = max(float(np.abs(want[fin_w]).max()), 1.0)
            worst = max(worst, float(np.abs(got[fin_w] - want[fin_w]).max()) / scale)
    return worst


@dataclass
class Comparison:
    """Two trainers' results, model by model.

    Attributes
    ----------
    passed : bool
        Same divergence epochs and every model within its bound.
    max_diff : float
        The largest relative difference over the models.
    ratio : float
        The largest difference divided by its model's bound (> 1: out of bounds).
    worst_model : int
        The model of ``ratio``.
    diffs, tolerances : list of float
        Per model.
    diverged : list of tuple
        Per model the divergence epochs (candidate, reference).
    """

    passed: bool
    max_diff: float
    ratio: float
    worst_model: int
    diffs: list[float]
    tolerances: list[float]
    diverged: list[tuple[int | None, int | None]]


def compare_results(
    candidate: TrainingResult, reference: TrainingResult, steps: int, momentum: float
) -> Comparison:
    """Compare two trainings of the same models, per model (see the module's Tolerance).

    Parameters
    ----------
    candidate, reference : TrainingResult
        The engine under test and the reference.
    steps : int
        SGD steps trained.
    momentum : float
        Their momentum.

    Returns
    -------
    Comparison
    """
    n = len(reference.models)
    if len(candidate.models) != n:
        raise ValueError(f"{len(candidate.models)} models against {n}")
    div = [
        (c["diverged_epoch"], r["diverged_epoch"])
        for c, r in zip(candidate.models, reference.models, strict=True)
    ]
    diffs = [model_difference(candidate.params, reference.params, m) for m in range(n)]
    tols = [param_tolerance(steps, momentum, r is not None) for _, r in div]
    ratios = [d / t for d, t in zip(diffs, tols, strict=True)]
    worst = int(np.argmax(ratios))
    passed = all(c == r for c, r in div) and all(q <= 1.0 for q in ratios)
    return Comparison(passed, max(diffs), ratios[worst], worst, diffs, tols, div)


def check_settings(sgd: SGDSettings) -> SGDSettings:
    """Return the models of the check for a job's ``sgd`` (one momentum).

    Its width, batch size, momentum and schedule (scheduled over the check's epochs); the
    job's first two seeds (one if it has one); its smallest and largest learning rate on the
    first seed, the largest on the second, and :data:`DIVERGING_LR` on the second.
    """
    seeds = sgd.distinct_seeds()
    s0, s1 = seeds[0], seeds[min(1, len(seeds) - 1)]
    lo, hi = min(sgd.learning_rates), max(sgd.learning_rates)
    return replace(
        sgd,
        learning_rates=(lo, hi, hi, DIVERGING_LR),
        seeds=(s0, s0, s1, s1),
        epochs=CHECK_EPOCHS,
        horizon=None,
    )


def self_check(
    engine: Engine,
    reference: Engine,
    X: ArrayLike,
    y: ArrayLike,
    sgd: SGDSettings,
    device: torch.device,
    log: logging.Logger,
    n_job: int | None = None,
) -> CheckRecord:
    """Train the check's models (:func:`check_settings`) with ``engine`` and ``reference``.

    Parameters
    ----------
    engine, reference : Engine
        The engine under test and the reference (eager), on the same device.
    X, y : array_like
        The job's training rows; the first :data:`CHECK_BATCHES` mini-batches' worth are used.
    sgd : SGDSettings
        The job's models (one momentum).
    device : torch.device
        The training device.
    log : logging.Logger
        The check's result and cost, in one line.
    n_job : int, optional
        The job's training rows (default: all of ``X``), for the cost.

    Returns
    -------
    CheckRecord
    """
    X = np.asarray(X)
    y = np.asarray(y)
    n = min(X.shape[0], CHECK_BATCHES * sgd.batch_size)
    csgd = check_settings(sgd)
    steps = CHECK_EPOCHS * -(-n // sgd.batch_size)
    job_work = sgd.n_models * sgd.epochs * (n_job if n_job is not None else X.shape[0])
    cost = 2 * csgd.n_models * CHECK_EPOCHS * n / max(job_work, 1)
    # the check's own epochs are not logged; an engine's warnings are kept for its error line
    # (a failed CUDA-graph capture says why there), but not the expected divergence
    said = _Collect()
    quiet = logging.Logger("hw6.selfcheck", logging.WARNING)  # this check's own, unregistered
    quiet.addHandler(said)
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):  # the diverging model overflows in numpy's metrics
            got = engine.train(X[:n], y[:n], {}, csgd, device, quiet)
            want = reference.train(X[:n], y[:n], {}, csgd, device, quiet)
        cmp = compare_results(got, want, steps, sgd.momentum)
    except Exception as err:  # any failure of the engine is a failed check
        first = (str(err).strip().splitlines() or [""])[0]
        why = "".join(f" ({m})" for m in said.messages if "diverged" not in m)
        rec = CheckRecord(
            engine.name, False, None, None, n, csgd.n_models, CHECK_EPOCHS, cost,
            f"{type(err).__name__}: {first}{why}",
        )  # fmt: skip
    else:
        rec = CheckRecord(
            engine.name, cmp.passed, cmp.max_diff, cmp.ratio, n, csgd.n_models, CHECK_EPOCHS, cost
        )
        if not cmp.passed:
            c, r = cmp.diverged[cmp.worst_model]
            rec.error = (
                f"model {cmp.worst_model} differs by {cmp.diffs[cmp.worst_model]:.3g} "
                f"(bound {cmp.tolerances[cmp.worst_model]:.3g}); divergence epochs "
                f"{[d[0] for d in cmp.diverged]} against eager {[d[1] for d in cmp.diverged]}"
                if c == r
                else f"model {cmp.worst_model} diverged at epoch {c}, eager at {r}"
            )
    seconds = time.perf_counter() - start
    log.info(
        "engine %s self-check against %s on %s: %s, largest difference %s (%s of the bound), "
        "%d models x %d epochs x %d rows, %.2fs (%.2g of the job's work)",
        engine.name,
        reference.name,
        device,
        "passed" if rec.passed else "FAILED",
        "n/a" if rec.max_diff is None else f"{rec.max_diff:.3g}",
        "n/a" if rec.tolerance_ratio is None else f"{rec.tolerance_ratio:.2g}",
        rec.models,
        rec.epochs,
        rec.rows,
        seconds,
        cost,
    )
    return rec


class _Collect(logging.Handler):
    """Keep the first line of every record logged (the check's own logger)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.getMessage().splitlines() or [""])[0])


@dataclass
class EngineChoice:
    """The engine a job trains with, and the checks that chose it.

    Attributes
    ----------
    engine : Engine
        The chosen engine.
    checks : list of CheckRecord
        Every engine checked, in order (the last passed, unless the reference was reached).
    """

    engine: Engine
    checks: list[CheckRecord]

    def record(self) -> EngineRecord:
        """Return the chosen engine's name and the checks, for the cell's result file."""
        return EngineRecord(engine=self.engine.name, checks=list(self.checks))


def choose_engine(
    engines: Sequence[Engine],
    X: ArrayLike,
    y: ArrayLike,
    sgd: SGDSettings,
    device: torch.device | str,
    setting: str = "auto",
    logger: logging.Logger | None = None,
    reference: Engine | None = None,
) -> EngineChoice:
    """Choose the engine of one training run.

    The first in ``engines`` that runs here and passes its self-check; the reference needs none.

    Parameters
    ----------
    engines : sequence of Engine
        In order of preference (:func:`hw6lib.mlp.engines.default_engines`).
    X, y : array_like
        The job's training rows (a slice is used, :func:`self_check`).
    sgd : SGDSettings
        The job's models (one momentum).
    device : torch.device or str
        The training device.
    setting : {"auto", "fused", "graph", "eager"}
        ``mlp.engine``: ``auto`` tries ``engines`` in order and falls back; a name forces that
        engine, and its unavailability or a failed check fails the job.
    logger : logging.Logger, optional
        Each fallback in one warning line (with :data:`hw6lib.pipeline.runlog.ENGINE_FALLBACK`).
    reference : Engine, optional
        What the others are checked against (default :class:`hw6lib.mlp.engines.EagerEngine`).

    Returns
    -------
    EngineChoice

    Raises
    ------
    hw6lib.errors.InputError
        An unknown setting; a forced engine that cannot run here or fails its check.
    """
    log = logger or logging.getLogger("hw6")
    device = torch.device(device)
    reference = reference or EagerEngine()
    if setting not in ENGINE_SETTINGS:
        raise InputError(f"config key mlp.engine: unknown engine {setting!r} ({ENGINE_SETTINGS})")
    if setting == "auto":
        candidates = list(engines)
    else:
        candidates = [e for e in engines if e.name == setting]
        if not candidates and setting == reference.name:
            candidates = [reference]
        if not candidates:
            raise InputError(f"config key mlp.engine: no engine {setting!r} in this job's list")
    checks: list[CheckRecord] = []
    for engine in candidates:
        if engine.name == reference.name:
            return EngineChoice(engine, checks)
        if not engine.available(device, sgd, log):
            if setting != "auto":
                raise InputError(
                    f"config key mlp.engine: {setting!r} forced but it cannot run on {device} "
                    "(the job's log says why); use 'auto'"
                )
            continue
        rec = self_check(engine, reference, X, y, sgd, device, log)
        checks.append(rec)
        if rec.passed:
            return EngineChoice(engine, checks)
        reason = rec.error or "mismatch"
        if setting != "auto":
            raise InputError(
                f"config key mlp.engine: {setting!r} forced but its self-check against "
                f"{reference.name} on {device} failed: {reason}"
            )
        nxt = next((e.name for e in candidates[candidates.index(engine) + 1 :]), reference.name)
        log.warning(
            "%s: engine %s on %s (largest difference %s): %s; falling back to %s",
            ENGINE_FALLBACK,
            engine.name,
            device,
            "n/a" if rec.max_diff is None else f"{rec.max_diff:.3g}",
            reason,
            nxt,
        )
    return EngineChoice(reference, checks)
