"""Train every (learning rate x seed) MLP of one (width, batch size) cell; score every epoch."""

from typing import TYPE_CHECKING

from hw6lib.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import torch

    from hw6lib.device import granted_gpus
    from hw6lib.gpulease import job_cuda_device
    from hw6lib.mlp import SGDSettings, cell_device, train_cell
    from hw6lib.resultfiles import load_array, write_json

    torch.set_num_threads(snakemake.threads)
    p = snakemake.params
    device = cell_device(
        p.device,
        granted_gpus(snakemake.resources.get("gpu", 0), snakemake.resources.get("gres", "")),
        log,
    )
    # with several GPUs, one no other job holds (hw6lib.gpulease)
    with job_cuda_device(device, logger=log) as device:
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
        result = train_cell(
            load_array(snakemake.input.X_train),
            load_array(snakemake.input.y_train),
            load_array(snakemake.input.X_test),
            load_array(snakemake.input.y_test),
            n_valid=p.n_valid,
            sgd=sgd,
            device=device,
            cuda_graph=p.cuda_graph,
            logger=log,
            engine=p.engine,
        )
        write_json(snakemake.output.cell, result)
