"""Draw the MLP figures: F1 heatmaps, learning curves of the best, the published replication."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.pipeline.figurefiles import save_figure
    from hw6lib.pipeline.resultfiles import read_json
    from hw6lib.report.mlpfigures import mlp_figures

    figures = mlp_figures(
        read_json(snakemake.input.grid),
        read_json(snakemake.input.best),
        read_json(snakemake.input.published),
    )
    for name, fig in figures.items():
        save_figure(fig, snakemake.output[name])
