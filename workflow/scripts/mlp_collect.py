"""Collect the MLP cells into one tidy table (CSV and JSON) and choose the best configuration."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.mlp.cellfile import Cell
    from hw6lib.mlp.grid import best_summary, grid_rows, write_grid_csv
    from hw6lib.pipeline.resultfiles import read_json, write_json

    cells = [Cell.from_json(read_json(f)) for f in snakemake.input.cells]
    rows = grid_rows(cells, snakemake.params.epochs)
    best = best_summary(cells, snakemake.params.epochs, snakemake.params.top)
    b = best.best
    log.info(
        "best: width %d, lr %g, batch %d, %d epochs, momentum %g: valid F1 %.4f, test F1 %.4f; "
        "open edges: %s",
        b.width,
        b.lr,
        b.batch_size,
        b.epochs,
        b.momentum,
        b.valid_f1.mean,
        b.test_f1.mean,
        ", ".join(best.edges.open) or "none",
    )
    write_grid_csv(snakemake.output.grid_csv, rows)
    write_json(snakemake.output.grid_json, rows)
    write_json(snakemake.output.best, best)
