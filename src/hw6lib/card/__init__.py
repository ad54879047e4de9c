"""Problem 2's data and its baseline: ``card_transdata.csv``, the split, the decision tree.

:mod:`~hw6lib.card.csvfile` (the file's columns and the validating loader),
:mod:`~hw6lib.card.synthetic` (the synthetic stand-in), :mod:`~hw6lib.card.split` (the
homework's train/test split), :mod:`~hw6lib.card.holdout` (the validation slice),
:mod:`~hw6lib.card.standardize` (feature scaling fitted on the training rows),
:mod:`~hw6lib.card.metrics` (classification metrics) and :mod:`~hw6lib.card.tree` (the
decision-tree baseline).
"""
