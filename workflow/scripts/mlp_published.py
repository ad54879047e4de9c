"""Re-run the published Problem 2 setup faithfully and score it as published and correctly."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import torch

    from hw6lib.card.split import CardSplit
    from hw6lib.mlp.replication import replicate_published
    from hw6lib.pipeline.resultfiles import write_json

    torch.set_num_threads(snakemake.threads)
    result = replicate_published(
        CardSplit.load(snakemake.input), seed=snakemake.params.seed, logger=log
    )
    write_json(snakemake.output.published, result)
