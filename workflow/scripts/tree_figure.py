"""Draw the decision-tree depth sweep."""

from typing import TYPE_CHECKING

from hw6lib.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.plots import save_figure
    from hw6lib.resultfiles import read_json
    from hw6lib.tree import plot_depth_sweep

    save_figure(plot_depth_sweep(read_json(snakemake.input.sweep)["trees"]), snakemake.output.fig)
