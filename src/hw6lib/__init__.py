"""hw6lib: the science of the ECON 425 HW6 pipeline, importable and tested without Snakemake.

One package per part of the pipeline; each package's docstring lists its modules.

:mod:`hw6lib.problem1`
    Backpropagation in a scalar sigmoid chain fitted to ``y = sigmoid(x)``: the chain and its
    gradient, the simulated data, the BFGS solver, the gradient check, the fits of each depth.
:mod:`hw6lib.card`
    Problem 2's data and baseline: the card file and its stand-in, the train/test split and
    validation slice, feature scaling, classification metrics, the decision tree.
:mod:`hw6lib.mlp`
    Problem 2's nets: ReLU perceptrons of ``mlp.depth`` hidden layers (the homework's two)
    trained with SGD (the network's shape is in :mod:`hw6lib.mlp.model`), the trainers, the
    grid, its figures, the best models' scores and the replicated published run.
:mod:`hw6lib.report`
    The report: the answers (summary, verdict), the sentences (:mod:`hw6lib.report.narrative`),
    the figures, HTML text, the rendering, and runs side by side.
:mod:`hw6lib.pipeline`
    The machinery under the science: the configuration, result and figure files, job logs,
    code digests, the torch device and GPU leases.

At the top: :mod:`~hw6lib.errors` (one-line errors for bad configuration and input) and
:mod:`~hw6lib.published` (the published solution's numbers), at the bottom of the imports;
:mod:`~hw6lib.preflight` (checks of the configuration and the data before any job starts) and
:mod:`~hw6lib.provenance` (versions, machine, engines and timings of a run), at the top: they
read the parts, and no part imports them.
"""

__version__ = "0.1.0"
