"""Problem 2: the fraud classifier, a ReLU perceptron of ``mlp.depth`` hidden layers, and SGD.

Many models are trained at once. Modules, from the model up:

* :mod:`~hw6lib.mlp.shape`: the network's shape (:func:`layer_sizes`, given once), without torch.
* :mod:`~hw6lib.mlp.model`: parameters of ``M`` models at once, the forward pass, and the
  hand-written forward and backward pass of training with its work buffers, each a loop over
  the layers.
* :mod:`~hw6lib.mlp.training`: what a run takes and returns: :class:`SGDSettings`, the rows on
  the device and their orders, :class:`TrainingResult`.
* :mod:`~hw6lib.mlp.divergence`: the divergence rule, its factor and its words (no torch).
* :mod:`~hw6lib.mlp.progress`: what both trainers share during a run: the divergence rule applied,
  scoring (:func:`evaluate`), per-epoch records and times (:class:`TrainingProgress`).
* :mod:`~hw6lib.mlp.steps`: the SGD step of every model and an epoch's mini-batches.
* :mod:`~hw6lib.mlp.denormals`: subnormal floats flushed to zero on the CPU during training
  and scoring (:func:`~hw6lib.mlp.denormals.flush_denormals`).
* :mod:`~hw6lib.mlp.cudagraph`: capture and replay of the steps as a CUDA graph.
* :mod:`~hw6lib.mlp.engine`: :func:`train_models`, the training loop.
* :mod:`~hw6lib.mlp.fused`: the same training as one Triton kernel launch per epoch (GPU), the
  specialised fast path of two hidden layers.
* :mod:`~hw6lib.mlp.engines`: the trainers as data (fused, CUDA graph, eager), in the order tried.
* :mod:`~hw6lib.mlp.selfcheck`: each fast engine checked against eager at run time; the choice.
* :mod:`~hw6lib.mlp.cell`: one grid cell from the split (:func:`train_cell`) and the job's
  device (:func:`job_device`).
* :mod:`~hw6lib.mlp.cellfile`: a cell's result file as records, and the engines' self-checks
  (no torch).
* :mod:`~hw6lib.mlp.grid`: the grid's summary (best configuration, edges, CSV).
* :mod:`~hw6lib.mlp.replication`: the published Problem 2 run, replicated with its defects.
* :mod:`~hw6lib.mlp.schedule`: the learning-rate schedules over the epochs.
* :mod:`~hw6lib.mlp.scores`: the best model's scores on the test rows, retrained.
* :mod:`~hw6lib.mlp.prcurves`: precision-recall curves of the best model's and the tree's scores
  (no torch).

The public names of ``shape``, ``divergence``, ``model``, ``training``, ``progress``, ``engine``
and ``cell`` are re-exported here, each module imported when one of its names is first used, so
that the jobs that only read results (the grid's summary, the report, the figures) start without
loading torch; :mod:`~hw6lib.mlp.fused`, :mod:`~hw6lib.mlp.grid` and
:mod:`~hw6lib.mlp.replication` are imported by name (they need Triton, or nothing of the
trainer). The figures are the report's
(:mod:`hw6lib.report.mlpfigures`). The standardisation and the validation slice live with the data
(:class:`hw6lib.card.split.CardSplit`, from :mod:`hw6lib.card.standardize` and
:mod:`hw6lib.card.holdout`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Each re-exported name and the module that defines it (imported on first use: PEP 562).
_EXPORTS: dict[str, str] = {
    "cell_device": "cell",
    "job_device": "cell",
    "train_cell": "cell",
    "train_models": "engine",
    "DEFAULT_DEPTH": "shape",
    "N_IN": "shape",
    "PARAM_NAMES": "shape",
    "layer_sizes": "shape",
    "n_layers": "shape",
    "param_names": "shape",
    "Params": "model",
    "forward_logits": "model",
    "init_params": "model",
    "loss_and_grads": "model",
    "to_module": "model",
    "DIVERGENCE_FACTOR": "divergence",
    "divergence_rule": "divergence",
    "TrainingProgress": "progress",
    "evaluate": "progress",
    "SGDSettings": "training",
    "TrainingResult": "training",
}

__all__ = [
    "DEFAULT_DEPTH",
    "DIVERGENCE_FACTOR",
    "N_IN",
    "PARAM_NAMES",
    "Params",
    "SGDSettings",
    "TrainingProgress",
    "TrainingResult",
    "cell_device",
    "divergence_rule",
    "evaluate",
    "forward_logits",
    "init_params",
    "job_device",
    "layer_sizes",
    "loss_and_grads",
    "n_layers",
    "param_names",
    "to_module",
    "train_cell",
    "train_models",
]


def __getattr__(name: str) -> Any:
    """Import a re-exported name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # what type checkers and editors see
    from hw6lib.mlp.cell import cell_device, job_device, train_cell
    from hw6lib.mlp.divergence import DIVERGENCE_FACTOR, divergence_rule
    from hw6lib.mlp.engine import train_models
    from hw6lib.mlp.model import Params, forward_logits, init_params, loss_and_grads, to_module
    from hw6lib.mlp.progress import TrainingProgress, evaluate
    from hw6lib.mlp.shape import (
        DEFAULT_DEPTH,
        N_IN,
        PARAM_NAMES,
        layer_sizes,
        n_layers,
        param_names,
    )
    from hw6lib.mlp.training import SGDSettings, TrainingResult
