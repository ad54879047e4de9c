"""Draw the test-row confusion matrices of the best MLP and the decision tree."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.pipeline.figurefiles import save_figure
    from hw6lib.pipeline.resultfiles import read_json
    from hw6lib.report.cardfigures import plot_confusion

    save_figure(plot_confusion(read_json(snakemake.input.summary)), snakemake.output.figure)
