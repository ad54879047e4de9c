"""The trainers a job can use, as data: an ordered list of engine objects.

An engine has a ``name``, says whether it can run here (:meth:`Engine.available`, logging why
not) and trains (:meth:`Engine.train`, the arguments of
:func:`hw6lib.mlp.engine.train_models`). :func:`default_engines` lists them fastest first:

* ``fused``: one Triton kernel launch per epoch (:mod:`hw6lib.mlp.fused`), on CUDA, for the
  homework's two hidden layers;
* ``graph``: the torch steps replayed from a CUDA graph (:mod:`hw6lib.mlp.cudagraph`), on CUDA;
* ``eager``: the torch steps launched one by one, on any device: the reference.

:func:`hw6lib.mlp.selfcheck.choose_engine` walks that list, checks each fast engine against the
reference on the job's own rows and falls back in this order; tests pass stand-ins for any of
them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

import torch
from numpy.typing import ArrayLike

from hw6lib.mlp.engine import train_models
from hw6lib.mlp.training import DeviceRows, SGDSettings, TrainingResult

#: The values of the config key ``mlp.engine``.
ENGINE_SETTINGS = ("auto", "fused", "graph", "eager")


class Engine(Protocol):
    """A trainer of :func:`hw6lib.mlp.engine.train_models`'s semantics."""

    name: str

    def available(self, device: torch.device, sgd: SGDSettings, log: logging.Logger) -> bool:
        """Whether it can train ``sgd`` on ``device`` (when not, one log line says why)."""
        ...

    def train(
        self,
        X: ArrayLike,
        y: ArrayLike,
        eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
        sgd: SGDSettings,
        device: torch.device,
        log: logging.Logger,
        monitor: str | None = None,
    ) -> TrainingResult:
        """Train as :func:`hw6lib.mlp.engine.train_models` does (an exception on failure)."""
        ...


@dataclass(frozen=True)
class FusedEngine:
    """The fused Triton kernel (:func:`hw6lib.mlp.fused.train_models_fused`).

    Attributes
    ----------
    cuda_only : bool
        Refuse a CPU device (``False`` lets tests run it under Triton's interpreter).
    """

    name: str = "fused"
    cuda_only: bool = True

    def available(self, device: torch.device, sgd: SGDSettings, log: logging.Logger) -> bool:
        """Answer whether the fused kernel runs here.

        It needs CUDA (unless ``cuda_only`` is off), the schedule over the epochs trained, and
        :func:`hw6lib.mlp.fused.usable` (Triton importable, two hidden layers and the width
        fit, a probe runs).
        """
        if self.cuda_only and device.type != "cuda":
            log.info("engine fused: needs a CUDA device, training device is %s", device)
            return False
        if sgd.span != sgd.epochs:
            log.info("engine fused: schedules over the epochs it trains only")
            return False
        from hw6lib.mlp import fused

        return fused.usable(device, sgd.width, sgd.momentum, log, sgd.depth)

    def train(
        self,
        X: ArrayLike,
        y: ArrayLike,
        eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
        sgd: SGDSettings,
        device: torch.device,
        log: logging.Logger,
        monitor: str | None = None,
    ) -> TrainingResult:
        """Train with one kernel launch per epoch."""
        from hw6lib.mlp import fused

        rows = DeviceRows.load(X, y, eval_sets, device)
        return fused.train_models_fused(rows, sgd, log, monitor)


@dataclass(frozen=True)
class _TorchSteps:
    """The torch steps of :func:`hw6lib.mlp.engine.train_models`, eager or from a CUDA graph."""

    name: str
    #: Replay the steps from a CUDA graph; a failed capture is then an error, not eager steps.
    cuda_graph: ClassVar[bool] = False

    def train(
        self,
        X: ArrayLike,
        y: ArrayLike,
        eval_sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
        sgd: SGDSettings,
        device: torch.device,
        log: logging.Logger,
        monitor: str | None = None,
    ) -> TrainingResult:
        """Train with the torch steps (``RuntimeError`` when a required graph is not captured)."""
        graph = self.cuda_graph
        return train_models(
            X, y, eval_sets, sgd, device, graph, log, "torch", monitor, require_graph=graph
        )


@dataclass(frozen=True)
class GraphEngine(_TorchSteps):
    """The torch steps replayed from a CUDA graph; a failed capture is an error here."""

    name: str = "graph"
    cuda_graph: ClassVar[bool] = True

    def available(self, device: torch.device, sgd: SGDSettings, log: logging.Logger) -> bool:
        """CUDA only."""
        if device.type != "cuda":
            log.info("engine graph: needs a CUDA device, training device is %s", device)
            return False
        return True


@dataclass(frozen=True)
class EagerEngine(_TorchSteps):
    """The torch steps launched one by one: the reference, on any device."""

    name: str = "eager"

    def available(self, device: torch.device, sgd: SGDSettings, log: logging.Logger) -> bool:
        """Answer yes: eager runs everywhere."""
        return True


def default_engines() -> list[Engine]:
    """Return the engines in the order a job tries them: ``fused``, ``graph``, ``eager``."""
    return [FusedEngine(), GraphEngine(), EagerEngine()]
