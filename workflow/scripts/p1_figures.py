"""Draw the Problem 1 figures: fitted curves and residuals."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.pipeline.figurefiles import save_figure
    from hw6lib.pipeline.resultfiles import read_json
    from hw6lib.report.p1figures import problem1_figures

    figures = problem1_figures([read_json(f) for f in snakemake.input.fits])
    for name, fig in figures.items():
        save_figure(fig, snakemake.output[name])
