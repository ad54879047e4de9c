"""Fit decision trees over the configured depth limits and score each on the test rows."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.card.split import CardSplit
    from hw6lib.card.tree import depth_sweep, simplest_enough
    from hw6lib.pipeline.resultfiles import write_json

    p = snakemake.params
    records, seconds = depth_sweep(
        CardSplit.load(snakemake.input), max_depths=p.max_depths, seed=p.seed
    )
    write_json(
        snakemake.output.sweep,
        {"seed": p.seed, "trees": records, "enough": simplest_enough(records)},
    )
    pairs = list(zip(records, seconds, strict=True))
    timing = [{"max_depth": r["max_depth"], "fit_seconds": s} for r, s in pairs]
    write_json(snakemake.output.timing, {"trees": timing})
    for r, s in pairs:
        log.info(
            "max_depth %s: depth %d, %d leaves, test accuracy %.6f, F1 %.6f, fit %.2f s",
            r["max_depth"],
            r["depth"],
            r["leaves"],
            r["test"]["accuracy"],
            r["test"]["f1"],
            s,
        )
