"""Precision-recall curves of the best MLP and the tree on the test rows, on one figure."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.mlp.prcurves import pr_curve
    from hw6lib.pipeline.figurefiles import save_figure
    from hw6lib.pipeline.resultfiles import load_array, read_json, write_json
    from hw6lib.report.mlpfigures import plot_pr_curves

    y = load_array(snakemake.input.y_test)
    mlp = read_json(snakemake.input.mlp_model)
    curves = {
        "best MLP": pr_curve(y, load_array(snakemake.input.mlp_scores)),
        "decision tree": pr_curve(y, load_array(snakemake.input.tree_scores)),
    }
    save_figure(plot_pr_curves(curves), snakemake.output.fig)
    write_json(snakemake.output.curves, {"mlp_model": mlp, "curves": curves})
