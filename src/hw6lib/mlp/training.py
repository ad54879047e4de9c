"""What both trainers share: the SGD settings, the rows on the device, health, records and result.

:func:`hw6lib.mlp.engine.train_models` (torch kernels) and
:func:`hw6lib.mlp.fused.train_models_fused` (one Triton kernel per epoch) take the same
:class:`SGDSettings`, move the rows with :class:`DeviceRows`, apply the same divergence rule and
write the same records through :class:`TrainingProgress`, and return a :class:`TrainingResult`.

Semantics of a run
------------------
* Model ``m`` has learning rate ``learning_rates[m]`` and seed ``seeds[m]`` (its initial weights
  and the order of the rows in every epoch). Each epoch's order is ``torch.randperm`` from a
  generator seeded with the seed on the training device (the CPU order is deterministic; a CUDA
  run draws other, equally random orders). Models that share a seed share initial weights and
  orders (common random numbers across learning rates).
* After every epoch a model is marked diverged at that epoch when its training loss or
  parameters are not finite, or when the epoch's mean training loss exceeds
  :data:`DIVERGENCE_FACTOR` times the loss of its initial weights on the training rows (SGD
  steps so large that they overshoot: with a learning rate of 1000 the loss stays finite but
  grows to some 50 times its start). Its learning rate becomes 0 (its parameters stop moving,
  and are meaningless) and its later records hold no metrics. The other models go on.
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
from numpy.typing import ArrayLike, NDArray

from hw6lib.metrics import metrics_from_counts
from hw6lib.mlp.model import Params, forward_logits
from hw6lib.schedule import lr_factor

#: A model whose epoch-mean training loss exceeds this multiple of its initial loss diverged.
DIVERGENCE_FACTOR: float = 2.0


@dataclass(frozen=True)
class SGDSettings:
    """Mini-batch SGD of a set of models of one width and batch size (a cell of the grid).

    Model ``m`` has learning rate ``learning_rates[m]`` and seed ``seeds[m]``; every model is
    trained with each of ``momentums`` (:func:`hw6lib.mlp.cell.train_cell`), one momentum per
    run of a trainer (:attr:`momentum`). :meth:`grid` pairs every learning rate with every
    seed.

    Attributes
    ----------
    width : int
        Units per hidden layer.
    learning_rates : tuple of float
        One per model.
    seeds : tuple of int
        One per model; equal seeds give equal initial weights and row orders.
    batch_size : int
        Rows per mini-batch (the last batch of an epoch holds the remainder).
    epochs : int
        Number of passes over the training rows.
    momentums : tuple of float
        SGD momentum coefficients (0: plain SGD; ``torch.optim.SGD`` semantics).
    schedule : {"constant", "cosine", "step"}
        Learning-rate schedule (:func:`hw6lib.schedule.lr_factor`): every model's rate is its
        ``learning_rates`` entry times the epoch's factor, set at the start of each epoch.
    horizon : int or None
        Epochs the schedule spans (``None``: ``epochs``). Training the first ``epochs`` of a run
        scheduled over ``horizon`` epochs gives that run's models after ``epochs`` epochs.
    """

    width: int
    learning_rates: Sequence[float]
    seeds: Sequence[int]
    batch_size: int
    epochs: int
    momentums: Sequence[float] = (0.0,)
    schedule: str = "constant"
    horizon: int | None = None

    def __post_init__(self) -> None:
        """Store the sequences as tuples of numbers; refuse settings no trainer can run."""
        for name, kind in (("learning_rates", float), ("seeds", int), ("momentums", float)):
            object.__setattr__(self, name, tuple(kind(v) for v in getattr(self, name)))
        if len(self.learning_rates) != len(self.seeds) or not self.learning_rates:
            raise ValueError("learning_rates and seeds must be non-empty and of equal length")
        if self.batch_size < 1 or self.epochs < 0:
            raise ValueError(
                f"batch_size must be >= 1 and epochs >= 0, got {self.batch_size}, {self.epochs}"
            )
        if not self.momentums:
            raise ValueError("momentums must not be empty")
        if self.horizon is not None and self.horizon < self.epochs:
            raise ValueError(
                f"horizon {self.horizon} is shorter than the {self.epochs} epochs trained"
            )
        lr_factor(self.schedule, 1, 1)  # an unknown schedule fails before any work

    @classmethod
    def grid(
        cls,
        width: int,
        learning_rates: Sequence[float],
        seeds: Sequence[int],
        batch_size: int,
        epochs: int,
        momentums: Sequence[float] = (0.0,),
        schedule: str = "constant",
    ) -> SGDSettings:
        """Pair every learning rate with every seed: the models of one cell (seeds vary fastest).

        Returns
        -------
        SGDSettings
            ``len(learning_rates) * len(seeds)`` models.
        """
        lrs = [float(lr) for lr in learning_rates for _ in seeds]
        sds = [int(s) for _ in learning_rates for s in seeds]
        return cls(width, lrs, sds, batch_size, epochs, momentums, schedule)

    @property
    def n_models(self) -> int:
        """Number of models (per momentum)."""
        return len(self.learning_rates)

    @property
    def momentum(self) -> float:
        """The one momentum of a trainer's run (``ValueError`` if there are several)."""
        if len(self.momentums) != 1:
            raise ValueError(f"a trainer runs one momentum at a time, got {self.momentums}")
        return self.momentums[0]

    @property
    def span(self) -> int:
        """Epochs the schedule spans: ``horizon``, or ``epochs``."""
        return self.epochs if self.horizon is None else self.horizon

    def distinct_seeds(self) -> list[int]:
        """Return the distinct seeds, sorted: one row order per seed and epoch."""
        return sorted(set(self.seeds))

    def with_momentum(self, momentum: float) -> SGDSettings:
        """Return the same models, trained with ``momentum`` only."""
        return SGDSettings(
            self.width,
            self.learning_rates,
            self.seeds,
            self.batch_size,
            self.epochs,
            (momentum,),
            self.schedule,
            self.horizon,
        )


@dataclass
class TrainingResult:
    """What a trainer returns.

    Attributes
    ----------
    models : list of dict
        Per model ``lr``, ``seed``, ``diverged_epoch`` (``None`` if never),
        ``initial_train_loss`` (mean loss of the initial weights on the training rows) and
        ``epochs`` (one record per epoch: ``epoch``, ``train_loss``, ``diverged`` and per eval
        set the metrics of :func:`evaluate`, or ``None`` once diverged).
    params : dict of numpy.ndarray
        The final parameters (:func:`hw6lib.mlp.model.init_params`'s layout).
    train_seconds, eval_seconds : float
        Wall-clock, for logs and benchmarks only (never for result files).
    cuda_graph : bool
        Whether a CUDA graph replayed the steps.
    engine : {"torch", "triton"}
        Which trainer ran.
    """

    models: list[dict[str, Any]]
    params: dict[str, NDArray[np.float32]]
    train_seconds: float
    eval_seconds: float
    cuda_graph: bool = False
    engine: str = "torch"


@dataclass
class DeviceRows:
    """The training rows and the rows scored after every epoch, on the training device.

    Attributes
    ----------
    X : torch.Tensor, shape (n, p)
        Training rows (float32).
    y : torch.Tensor, shape (n, 1)
        Their 0/1 labels (float32).
    evals : dict
        Eval-set name to ``(X, y)`` shaped likewise.
    """

    X: torch.Tensor
    y: torch.Tensor
    evals: dict[str, tuple[torch.Tensor, torch.Tensor]]

    @classmethod
    def load(
        cls,
        X_train: ArrayLike,
        y_train: ArrayLike,
        eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
        device: torch.device,
    ) -> DeviceRows:
        """Copy the rows to ``device`` as float32 (``ValueError`` if there is no training row)."""
        X, y = _to_device(X_train, y_train, device)
        if X.shape[0] == 0:
            raise ValueError("no training rows")
        return cls(X, y, {name: _to_device(*xy, device) for name, xy in eval_sets.items()})

    @property
    def n(self) -> int:
        """Number of training rows."""
        return int(self.X.shape[0])


def _to_device(
    X: ArrayLike, y: ArrayLike, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(device)
    yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1)).to(device)
    return Xt, yt


@dataclass
class RowOrders:
    """Each distinct seed's generator of the row orders, on the training device.

    Attributes
    ----------
    seeds : list of int
        The distinct seeds, sorted (:meth:`SGDSettings.distinct_seeds`).
    generators : list of torch.Generator
        One per seed, seeded with it.
    """

    seeds: list[int]
    generators: list[torch.Generator]

    @classmethod
    def for_settings(cls, sgd: SGDSettings, device: torch.device) -> RowOrders:
        """Seed one generator per distinct seed of ``sgd`` on ``device``."""
        seeds = sgd.distinct_seeds()
        return cls(seeds, [torch.Generator(device=device).manual_seed(s) for s in seeds])

    def draw(self, n: int) -> torch.Tensor:
        """Draw the epoch's order of the ``n`` rows for each distinct seed, shape ``(U, n)``."""
        return torch.stack(
            [torch.randperm(n, generator=g, device=g.device) for g in self.generators]
        )


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
    come from :func:`hw6lib.metrics.metrics_from_counts`.

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
    with torch.no_grad():
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
        rec = metrics_from_counts({"tp": tp, "fp": fp, "fn": fn, "tn": n - tp - fp - fn})
        rec["loss"] = float(sums_np[0, m] / n) if n else float("nan")
        out.append(rec)
    return out


def divergence_rule(factor: float = DIVERGENCE_FACTOR) -> str:
    """State the rule that marks a model diverged (:meth:`TrainingProgress.healthy`) in words.

    Parameters
    ----------
    factor : float
        The multiple of the initial training loss above which a model diverged
        (:data:`DIVERGENCE_FACTOR`, the value the training uses).

    Returns
    -------
    str
        The rule, as the report states it.
    """
    return (
        "its training loss or a parameter stopped being finite, or its mean training loss over "
        f"an epoch exceeded {factor:g} times the loss of its initial weights"
    )


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
        """Return the ``models`` entry of the run's :class:`TrainingResult`."""
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
