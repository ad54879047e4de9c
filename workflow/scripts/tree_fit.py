"""Fit the homework's decision tree (scikit-learn defaults, seeded); score it on the test rows.

The scores are the metrics, and every test row's probability of fraud for the
precision-recall curve.
"""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.card.split import CardSplit
    from hw6lib.card.tree import fit_tree
    from hw6lib.pipeline.resultfiles import save_array, write_json

    record, seconds, scores = fit_tree(
        CardSplit.load(snakemake.input),
        seed=snakemake.params.seed,
        text_depth=snakemake.params.text_depth,
    )
    write_json(snakemake.output.metrics, record)
    save_array(snakemake.output.scores, scores)
    write_json(snakemake.output.timing, {"fit_seconds": seconds})
    log.info("tree depth %d, %d leaves, fit %.2f s", record["depth"], record["leaves"], seconds)
    log.info("test metrics: %s", record["test"])
