"""Problem 2: the fraud classifier, a ReLU perceptron of ``mlp.depth`` hidden layers, and SGD.

Many models are trained at once. Modules, from the model up:

* :mod:`~hw6lib.mlp.model`: the network's shape (:func:`layer_sizes`, given once), parameters
  of ``M`` models at once, the forward pass, and the hand-written forward and backward pass of
  training with its work buffers, each a loop over the layers.
* :mod:`~hw6lib.mlp.training`: what a run takes and returns: :class:`SGDSettings`, the rows on
  the device and their orders, :class:`TrainingResult`.
* :mod:`~hw6lib.mlp.progress`: what both trainers share during a run: the divergence rule,
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
* :mod:`~hw6lib.mlp.grid`: the grid's summary (best configuration, edges, CSV).
* :mod:`~hw6lib.mlp.replication`: the published Problem 2 run, replicated with its defects.
* :mod:`~hw6lib.mlp.schedule`: the learning-rate schedules over the epochs.
* :mod:`~hw6lib.mlp.scores`: the best models' and the tree's scores on the test rows, and their
  precision-recall curves.

The public names of ``model``, ``training``, ``progress``, ``engine`` and ``cell`` are re-exported
here; :mod:`~hw6lib.mlp.fused`, :mod:`~hw6lib.mlp.grid` and :mod:`~hw6lib.mlp.replication` are
imported by name (they need Triton, or nothing of the trainer). The figures are the report's
(:mod:`hw6lib.report.mlpfigures`). The standardisation and the validation slice live with the data
(:class:`hw6lib.card.split.CardSplit`, from :mod:`hw6lib.card.standardize` and
:mod:`hw6lib.card.holdout`).
"""

from hw6lib.mlp.cell import cell_device, job_device, train_cell
from hw6lib.mlp.engine import train_models
from hw6lib.mlp.model import (
    DEFAULT_DEPTH,
    N_IN,
    PARAM_NAMES,
    Params,
    forward_logits,
    init_params,
    layer_sizes,
    loss_and_grads,
    n_layers,
    param_names,
    to_module,
)
from hw6lib.mlp.progress import DIVERGENCE_FACTOR, TrainingProgress, divergence_rule, evaluate
from hw6lib.mlp.training import SGDSettings, TrainingResult

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
