"""Health, scores, records and times of a training run, shared by both trainers.

After every epoch a model is marked diverged at that epoch when its training loss or
parameters are not finite, or when the epoch's mean training loss exceeds
:data:`DIVERGENCE_FACTOR` times the loss of its initial weights on the training rows (SGD
steps so large that they overshoot: with a learning rate of 1000 the loss stays finite but
grows to some 50 times its start). Its learning rate becomes 0 (its parameters stop moving,
and are meaningless) and its later records hold no metrics. The other models go on.
:class:`TrainingProgress` applies that rule, scores the eval sets (:func:`evaluate`), keeps
every model's per-epoch records and logs each epoch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from hw6lib.card.metrics import metrics_from_counts
from hw6lib.mlp.denormals import flush_denormals
from hw6lib.mlp.divergence import DIVERGENCE_FACTOR
from hw6lib.mlp.model import Params, forward_logits
from hw6lib.mlp.training import DeviceRows, SGDSettings


def sync(device: torch.device) -> None:
    """Wait for the device's queued kernels (timings on CUDA); nothing on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Stopwatch:
    """Training and scoring time of a run (synchronised with the device)."""

    device: torch.device
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    _mark: float = 0.0

    def start(self) -> None:
        """Start timing an epoch's training."""
        sync(self.device)
        self._mark = time.perf_counter()

    def lap(self) -> float:
        """Seconds since the last :meth:`start` or :meth:`lap`."""
        sync(self.device)
        now = time.perf_counter()
        seconds, self._mark = now - self._mark, now
        return seconds


def evaluate(
    params: Params, X: torch.Tensor, y: torch.Tensor, chunk: int | None = None
) -> list[dict[str, Any]]:
    """Loss and classification metrics of every model on rows ``(X, y)``.

    The prediction is fraud when the logit is positive (probability above 1/2); the metrics
    come from :func:`hw6lib.card.metrics.metrics_from_counts`. On a CPU, subnormal floats are
    flushed to zero (:func:`hw6lib.mlp.denormals.flush_denormals`).

    Parameters
    ----------
    params : dict
        ``M`` models.
    X : torch.Tensor, shape (n, p)
        Standardised rows, on the models' device.
    y : torch.Tensor, shape (n, 1)
        0/1 labels (float).
    chunk : int, optional
        Rows per forward pass (bounds memory); chosen from the device and ``M`` by default.

    Returns
    -------
    list of dict
        Per model: ``loss`` (mean BCE) and the entries of ``metrics_from_counts``.
    """
    M, _, h = params["W1"].shape
    n = X.shape[0]
    if chunk is None:
        budget = 2**27 if X.is_cuda else 2**18  # elements of one hidden activation
        chunk = max(256, budget // max(1, M * h))
    sums = torch.zeros(4, M, dtype=torch.float64, device=X.device)  # loss, tp, fp, fn
    with torch.no_grad(), flush_denormals(X.device):
        for s in range(0, n, chunk):
            z = forward_logits(params, X[s : s + chunk])  # (M, c)
            yc = y[s : s + chunk, 0]
            pred = z > 0
            pos = yc > 0.5
            # BCEWithLogitsLoss of a 0/1 label: softplus((1 - 2y) z), as in training
            sums[0] += F.softplus(z * (1 - 2 * yc)).sum(dim=1, dtype=torch.float64)
            tp = (pred & pos).sum(dim=1)
            sums[1] += tp
            sums[2] += pred.sum(dim=1) - tp
            sums[3] += pos.sum() - tp
    sums_np = sums.cpu().numpy()
    out = []
    for m in range(M):
        tp, fp, fn = (round(float(v)) for v in sums_np[1:, m])
        counts = {"tp": tp, "fp": fp, "fn": fn, "tn": n - tp - fp - fn}
        rec = metrics_from_counts(counts).to_json()  # a cell file's per-epoch entry
        rec["loss"] = float(sums_np[0, m] / n) if n else float("nan")
        out.append(rec)
    return out


@dataclass
class TrainingProgress:
    """Per-model health and per-epoch records of one batched training run.

    Shared by both trainers, so that they apply the same divergence rule
    (:data:`DIVERGENCE_FACTOR`) and write the same records.

    Attributes
    ----------
    initial_loss : numpy.ndarray
        Mean training loss of the initial weights, per model.
    learning_rates : tuple of float
        Per model, its learning rate (named in the log when it diverges).
    clock : Stopwatch
        The run's training and scoring times.
    monitor : str or None
        The eval set whose best F1 each epoch's log line shows (``None``: none).
    diverged : list
        Per model, the epoch it diverged in, or ``None``.
    records : list of list of dict
        Per model, one record per epoch.
    """

    initial_loss: np.ndarray
    learning_rates: tuple[float, ...]
    clock: Stopwatch
    monitor: str | None = None
    diverged: list[int | None] = field(default_factory=list)
    records: list[list[dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """One empty history per model."""
        M = len(self.initial_loss)
        self.diverged = self.diverged or [None] * M
        self.records = self.records or [[] for _ in range(M)]

    @classmethod
    def start(
        cls, params: Params, rows: DeviceRows, sgd: SGDSettings, monitor: str | None = None
    ) -> TrainingProgress:
        """Progress of models that start from ``params``, monitored on the first eval set.

        Parameters
        ----------
        params : dict
            The initial models.
        rows : DeviceRows
            Their training rows (for the initial loss) and eval sets.
        sgd : SGDSettings
            Their settings (the learning rates, for the log).
        monitor : str, optional
            The eval set whose best F1 is logged (default: the first of ``rows.evals``).

        Returns
        -------
        TrainingProgress
            No epoch recorded yet.
        """
        initial = np.array([r["loss"] for r in evaluate(params, rows.X, rows.y)])
        if monitor is None:
            monitor = next(iter(rows.evals), None)
        return cls(initial, tuple(sgd.learning_rates), Stopwatch(rows.X.device), monitor)

    def healthy(self, params: Params, train_loss: np.ndarray) -> np.ndarray:
        """Models whose parameters and epoch loss are finite, the loss not above the bound.

        The bound is :data:`DIVERGENCE_FACTOR` times the model's initial loss.
        """
        finite = torch.stack([torch.isfinite(v).flatten(1).all(dim=1) for v in params.values()])
        return (
            finite.all(dim=0).cpu().numpy()
            & np.isfinite(train_loss)
            & (train_loss <= DIVERGENCE_FACTOR * self.initial_loss)
        )

    def end_epoch(
        self,
        epoch: int,
        params: Params,
        train_loss: np.ndarray,
        rows: DeviceRows,
        log: logging.Logger,
        engine: str = "",
    ) -> list[int]:
        """Check the models' health, score the eval sets, record and log the epoch.

        The epoch's training time runs from :meth:`start_epoch` to the health check.

        Parameters
        ----------
        epoch : int
            The epoch just trained (from 1).
        params : dict
            The models after it.
        train_loss : numpy.ndarray
            Each model's mean training loss over the epoch.
        rows : DeviceRows
            The eval sets to score.
        log : logging.Logger
            Where the epoch's line goes.
        engine : str
            Named in the log line (empty for the torch path).

        Returns
        -------
        list of int
            The models that diverged in this epoch (to be frozen).
        """
        healthy = self.healthy(params, train_loss)
        clock = self.clock
        train_seconds = clock.lap()
        scores = {name: evaluate(params, Xe, ye) for name, (Xe, ye) in rows.evals.items()}
        eval_seconds = clock.lap()
        clock.train_seconds += train_seconds
        clock.eval_seconds += eval_seconds
        newly = self.update(epoch, train_loss, healthy, scores)
        self.report_epoch(log, epoch, newly, (train_seconds, eval_seconds), scores, engine)
        return newly

    def start_epoch(self) -> None:
        """Start timing an epoch (before anything of it runs)."""
        self.clock.start()

    def update(
        self,
        epoch: int,
        train_loss: np.ndarray,
        healthy: np.ndarray,
        scores: Mapping[str, list[dict[str, Any]]],
    ) -> list[int]:
        """Mark newly diverged models and append every model's record of ``epoch``.

        Returns
        -------
        list of int
            The models that diverged in this epoch (their record keeps the loss, not the
            scores).
        """
        newly = [m for m, d in enumerate(self.diverged) if d is None and not healthy[m]]
        for m in newly:
            self.diverged[m] = epoch
        for m, d in enumerate(self.diverged):
            rec: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": float(train_loss[m]) if d in (None, epoch) else None,
                "diverged": d is not None,
            }
            for name, per_model in scores.items():
                rec[name] = None if d is not None else per_model[m]
            self.records[m].append(rec)
        return newly

    def report_epoch(
        self,
        log: logging.Logger,
        epoch: int,
        newly: Sequence[int],
        seconds: tuple[float, float],
        scores: Mapping[str, list[dict[str, Any]]],
        engine: str = "",
    ) -> None:
        """Log the models frozen in ``epoch`` (if any) and the epoch's times and best F1."""
        if newly:
            log.warning(
                "epoch %d: %d model(s) diverged (lr %s), frozen",
                epoch,
                len(newly),
                [self.learning_rates[m] for m in newly],
            )
        log.info(
            "epoch %d%s: train %.2fs, eval %.2fs; best %s F1 %s",
            epoch,
            f" ({engine})" if engine else "",
            *seconds,
            self.monitor or "valid",
            self.best_f1(scores),
        )

    def alive(self, device: torch.device) -> torch.Tensor:
        """1.0 for models still training, 0.0 for frozen ones, shape ``(M, 1, 1)``."""
        alive = [d is None for d in self.diverged]
        return torch.tensor(alive, dtype=torch.float32, device=device).view(-1, 1, 1)

    def best_f1(self, scores: Mapping[str, list[dict[str, Any]]]) -> str:
        """Return the best F1 on the monitored eval set of the models still training, or "-"."""
        if self.monitor not in scores:
            return "-"
        f1 = [scores[self.monitor][m]["f1"] for m, d in enumerate(self.diverged) if d is None]
        return f"{max(f1):.4f}" if f1 else "-"

    def models(self, sgd: SGDSettings) -> list[dict[str, Any]]:
        """Return the ``models`` entry of the run's :class:`hw6lib.mlp.training.TrainingResult`."""
        return [
            {
                "lr": float(sgd.learning_rates[m]),
                "seed": int(sgd.seeds[m]),
                "diverged_epoch": self.diverged[m],
                "initial_train_loss": float(self.initial_loss[m]),
                "epochs": self.records[m],
            }
            for m in range(len(self.initial_loss))
        ]
