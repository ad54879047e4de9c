"""Train every (learning rate x seed) MLP of one (width, batch size) cell; score every epoch."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import torch

    from hw6lib.card.split import CardSplit
    from hw6lib.mlp import SGDSettings, job_device, train_cell
    from hw6lib.pipeline.gpulease import job_cuda_device
    from hw6lib.pipeline.resultfiles import write_json

    torch.set_num_threads(snakemake.threads)
    p = snakemake.params
    # with several GPUs, one no other job holds (hw6lib.pipeline.gpulease)
    with job_cuda_device(job_device(p.device, snakemake.resources, log), logger=log) as device:
        split = CardSplit.load(snakemake.input, p.n_valid, device)
        sgd = SGDSettings.grid(
            width=int(snakemake.wildcards.width),
            learning_rates=p.learning_rates,
            seeds=p.seeds,
            batch_size=int(snakemake.wildcards.batch),
            epochs=p.epochs,
            momentums=p.momentums,
            schedule=p.schedule,
            depth=p.depth,
        )
        result = train_cell(split, sgd, cuda_graph=p.cuda_graph, logger=log, engine=p.engine)
        write_json(snakemake.output.cell, result)
