"""The report: answers, sentences, figures and the HTML page, from the result files.

:mod:`~hw6lib.report.summary` (one record per homework question), :mod:`~hw6lib.report.verdict`
(does the MLP beat the tree?), :mod:`~hw6lib.report.narrative` (every sentence that depends on a
result), the figures, one module per part (:mod:`~hw6lib.report.p1figures`,
:mod:`~hw6lib.report.cardfigures`: the tree's depth sweep and the confusion matrices,
:mod:`~hw6lib.report.mlpfigures`: the grid, the published run, precision-recall),
:mod:`~hw6lib.report.htmltext` (numbers and mathematics as HTML), :mod:`~hw6lib.report.render` (the
HTML page from its templates) and :mod:`~hw6lib.report.runs` (runs side by side).
"""
