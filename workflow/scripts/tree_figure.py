"""Draw the decision-tree depth sweep."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.pipeline.figurefiles import save_figure
    from hw6lib.pipeline.resultfiles import read_json
    from hw6lib.report.cardfigures import plot_depth_sweep

    save_figure(plot_depth_sweep(read_json(snakemake.input.sweep)["trees"]), snakemake.output.fig)
