"""Retrain the best MLP of the grid (its best seed on validation) and score every test row."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import torch

    from hw6lib.card.split import CardSplit
    from hw6lib.mlp import job_device
    from hw6lib.mlp.scores import best_mlp_scores
    from hw6lib.pipeline.gpulease import job_cuda_device
    from hw6lib.pipeline.resultfiles import read_json, save_array, write_json

    torch.set_num_threads(snakemake.threads)
    p = snakemake.params
    # with several GPUs, one no other job holds (hw6lib.pipeline.gpulease)
    with job_cuda_device(job_device(p.device, snakemake.resources, log), logger=log) as device:
        record, scores = best_mlp_scores(
            CardSplit.load(snakemake.input, p.n_valid, device),
            best=read_json(snakemake.input.best)["best"],
            schedule=p.schedule,
            horizon=p.max_epochs,
            logger=log,
        )
    log.info("best MLP retrained (seed %d): test metrics %s", record["seed"], record["test"])
    save_array(snakemake.output.scores, scores)
    write_json(snakemake.output.model, record)
