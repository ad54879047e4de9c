"""hw6lib: the science of the ECON 425 HW6 pipeline, importable and tested without Snakemake.

Problem 1, backpropagation in a scalar sigmoid chain fitted to ``y = sigmoid(x)``:
:mod:`~hw6lib.chain` (the chain, its gradient by the backward recursion, the loss),
:mod:`~hw6lib.simulate` (the published data), :mod:`~hw6lib.fit` (BFGS fits and the multi-start
search for every local minimum), :mod:`~hw6lib.gradcheck` (the gradient against finite
differences and autograd) and :mod:`~hw6lib.problem1` (the fits of one depth, the comparison
across depths).

Problem 2, a fraud classifier on ``card_transdata.csv``: :mod:`~hw6lib.carddata` (the synthetic
stand-in and the validating loader), :mod:`~hw6lib.split` (the homework's train/test split),
:mod:`~hw6lib.holdout` (the validation slice and its one bound), :mod:`~hw6lib.standardize` (the
nets' feature scaling, fitted on their training rows), :mod:`~hw6lib.tree` (the decision-tree
baseline), :mod:`~hw6lib.mlp` (the grid of ReLU perceptrons, two hidden layers by default, trained
with SGD, on the CPU or a GPU, the grid's table and figures, the replicated published run),
:mod:`~hw6lib.schedule` (learning-rate schedules), :mod:`~hw6lib.metrics` (classification
metrics), :mod:`~hw6lib.scores` (precision-recall curves of the best models) and
:mod:`~hw6lib.verdict` (does the MLP beat the tree?).

Both: :mod:`~hw6lib.published` (the published solution's numbers), :mod:`~hw6lib.summary` (the
answers, one record per question), :mod:`~hw6lib.narrative` (every sentence of the report that
depends on a result), :mod:`~hw6lib.htmltext` (numbers and mathematics as HTML),
:mod:`~hw6lib.report` (the HTML report from its templates) and :mod:`~hw6lib.plots`
(deterministic SVG figures).

The pipeline around them: :mod:`~hw6lib.config` (the configuration's JSON Schema),
:mod:`~hw6lib.preflight` (checks before any job starts), :mod:`~hw6lib.errors` (one-line errors
for bad configuration and input), :mod:`~hw6lib.resultfiles` (atomic, deterministic result
files), :mod:`~hw6lib.runlog` (one log per job), :mod:`~hw6lib.device` (the torch device),
:mod:`~hw6lib.codedigest` (the code behind each result, so that editing it reruns what it
changes) and :mod:`~hw6lib.provenance` (versions, machine and timings of a run).
"""

__version__ = "0.1.0"
