"""Simulate the Problem 1 data: x ~ N(0, 1), y = sigmoid(x), saved as an (n, 2) array."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import numpy as np

    from hw6lib.pipeline.resultfiles import save_array
    from hw6lib.problem1.simulate import simulate

    n, seed = snakemake.params.n, snakemake.params.seed
    x, y = simulate(n, seed)
    save_array(snakemake.output.data, np.column_stack([x, y]))
    log.info("simulated n=%d rows with seed %d: mean x %.6f, sd x %.6f", n, seed, x.mean(), x.std())
