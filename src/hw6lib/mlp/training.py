"""What a training run takes and returns: the SGD settings, the rows on the device, the result.

:func:`hw6lib.mlp.engine.train_models` (torch kernels) and
:func:`hw6lib.mlp.fused.train_models_fused` (one Triton kernel per epoch) take the same
:class:`SGDSettings` and :class:`DeviceRows`, draw the same row orders (:class:`RowOrders`),
follow the same rules (:class:`hw6lib.mlp.progress.TrainingProgress`) and return a
:class:`TrainingResult`.

Model ``m`` has learning rate ``learning_rates[m]`` and seed ``seeds[m]`` (its initial weights
and the order of the rows in every epoch). Each epoch's order is ``torch.randperm`` from a
generator seeded with the seed on the training device (the CPU order is deterministic; a CUDA
run draws other, equally random orders). Models that share a seed share initial weights and
orders (common random numbers across learning rates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from hw6lib.mlp.schedule import CONSTANT, lr_factor
from hw6lib.mlp.shape import DEFAULT_DEPTH


@dataclass(frozen=True)
class SGDSettings:
    """Mini-batch SGD of a set of models of one shape and batch size (a cell of the grid).

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
        Learning-rate schedule (:func:`hw6lib.mlp.schedule.lr_factor`): every model's rate is its
        ``learning_rates`` entry times the epoch's factor, set at the start of each epoch
        (default :data:`hw6lib.mlp.schedule.CONSTANT`; the pipeline passes ``mlp.schedule``).
    horizon : int or None
        Epochs the schedule spans (``None``: ``epochs``). Training the first ``epochs`` of a run
        scheduled over ``horizon`` epochs gives that run's models after ``epochs`` epochs.
    depth : int
        Hidden layers of ``width`` units each (``mlp.depth``; the network's layer sizes are
        :func:`hw6lib.mlp.shape.layer_sizes` of ``width`` and ``depth``).
    """

    width: int
    learning_rates: Sequence[float]
    seeds: Sequence[int]
    batch_size: int
    epochs: int
    momentums: Sequence[float] = (0.0,)
    schedule: str = CONSTANT
    horizon: int | None = None
    depth: int = DEFAULT_DEPTH

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
        object.__setattr__(self, "depth", int(self.depth))
        if self.depth < 1:
            raise ValueError(f"depth must be at least 1 hidden layer, got {self.depth}")
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
        schedule: str = CONSTANT,
        depth: int = DEFAULT_DEPTH,
    ) -> SGDSettings:
        """Pair every learning rate with every seed: the models of one cell (seeds vary fastest).

        Returns
        -------
        SGDSettings
            ``len(learning_rates) * len(seeds)`` models.
        """
        lrs = [float(lr) for lr in learning_rates for _ in seeds]
        sds = [int(s) for _ in learning_rates for s in seeds]
        return cls(width, lrs, sds, batch_size, epochs, momentums, schedule, depth=depth)

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

    def seed_rows(self) -> list[int]:
        """Return each model's row in :meth:`distinct_seeds` (models that share a seed share it)."""
        seeds = self.distinct_seeds()
        return [seeds.index(s) for s in self.seeds]

    def with_momentum(self, momentum: float) -> SGDSettings:
        """Return the same models, trained with ``momentum`` only."""
        return replace(self, momentums=(momentum,))


@dataclass
class TrainingResult:
    """What a trainer returns.

    Attributes
    ----------
    models : list of dict
        Per model ``lr``, ``seed``, ``diverged_epoch`` (``None`` if never),
        ``initial_train_loss`` (mean loss of the initial weights on the training rows) and
        ``epochs`` (one record per epoch: ``epoch``, ``train_loss``, ``diverged`` and per eval
        set the metrics of :func:`hw6lib.mlp.progress.evaluate`, or ``None`` once diverged).
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
