"""A grid cell's result file as records: the cell, its models, its engines and their checks.

What a training job writes (:func:`hw6lib.mlp.cell.train_cell`) and the grid's summary reads
(:mod:`hw6lib.mlp.grid`): :class:`Cell` with its :class:`CellModel` per model and
:class:`CellEngine` per momentum, and the self-checks that chose the engine
(:class:`CheckRecord`, :class:`EngineRecord`, from :mod:`hw6lib.mlp.selfcheck`). It imports no
torch, so that the jobs that only read cells start without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hw6lib.mlp.shape import DEFAULT_DEPTH
from hw6lib.pipeline.resultfiles import OPTIONAL, Record


@dataclass
class CheckRecord(Record):
    """What one engine's self-check found (a cell's record keeps it).

    Attributes
    ----------
    engine : str
        The engine checked.
    passed : bool
        Within bounds, no error.
    max_diff : float or None
        Largest relative parameter difference over the models (``None`` after an error).
    tolerance_ratio : float or None
        That difference over its model's bound (<= 1 passes).
    rows, models, epochs : int
        What the check trained (with each engine).
    cost : float
        The check's work (models x rows x epochs, both engines) as a fraction of the job's.
    error : str or None
        The engine's error, in one line.
    """

    engine: str
    passed: bool
    max_diff: float | None
    tolerance_ratio: float | None
    rows: int
    models: int
    epochs: int
    cost: float
    error: str | None = None


@dataclass(frozen=True)
class EngineRecord(Record):
    """The engine that trained a run and the self-checks that chose it.

    Made by :meth:`hw6lib.mlp.selfcheck.EngineChoice.record`.

    ``engine`` is the engine's name, ``checks`` every engine checked, in order.
    """

    engine: str
    checks: list[CheckRecord]


@dataclass(frozen=True)
class CellModel(Record):
    """One model of a cell: its settings and its record of every epoch.

    Written by :func:`hw6lib.mlp.cell.train_cell`.

    ``momentum``, ``lr`` and ``seed`` name it and ``engine`` is the engine that trained it;
    ``diverged_epoch`` (``None`` if never), ``initial_train_loss`` and ``epochs`` (one dict per
    epoch: ``epoch``, ``train_loss``, ``diverged`` and per eval set the metrics of
    :func:`hw6lib.mlp.progress.evaluate`, ``None`` once diverged) are what
    :class:`hw6lib.mlp.training.TrainingResult` reports of it.
    """

    momentum: float
    engine: str
    lr: float
    seed: int
    diverged_epoch: int | None
    initial_train_loss: float | None
    epochs: list[dict[str, Any]]


@dataclass(frozen=True)
class _Momentum(Record):
    """The SGD momentum a record is of."""

    momentum: float


@dataclass(frozen=True)
class CellEngine(EngineRecord, _Momentum):
    """The engine that trained one momentum of a cell, and its self-checks.

    :class:`EngineRecord` with the ``momentum`` first (the bases are listed so that the file's
    keys come in that order).
    """


@dataclass(frozen=True)
class Cell(Record):
    """A cell's result file: its settings, its rows, its models, its engines.

    Written by :func:`hw6lib.mlp.cell.train_cell`.

    ``depth`` is the models' hidden layers where it is not the homework's 2 (``None`` otherwise,
    so that the cells of the default grid are as before; :attr:`hidden_layers` is the number
    either way); ``width``, ``batch_size``, ``momentums``, ``schedule`` and ``epochs`` are the
    cell's settings; ``n_fit``, ``n_valid`` and ``n_test`` its rows; ``standardizer`` the fitting
    rows' ``mean`` and ``scale``; ``models`` every model, ``engines`` per momentum the engine and
    its self-checks. No timings, so that equal configurations give equal files.
    """

    depth: int | None = field(default=None, metadata=OPTIONAL, kw_only=True)
    width: int
    batch_size: int
    momentums: list[float]
    schedule: str
    epochs: int
    n_fit: int
    n_valid: int
    n_test: int
    standardizer: dict[str, list[float]]
    models: list[CellModel]
    engines: list[CellEngine]

    @property
    def hidden_layers(self) -> int:
        """The models' hidden layers (``depth``, or the homework's 2 where the file has none)."""
        return DEFAULT_DEPTH if self.depth is None else self.depth
