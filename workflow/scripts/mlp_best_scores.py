"""Retrain the best MLP of the grid (its best seed on validation) and score every test row."""

from typing import TYPE_CHECKING

from hw6lib.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    import torch

    from hw6lib.device import granted_gpus
    from hw6lib.gpulease import job_cuda_device
    from hw6lib.mlp import cell_device
    from hw6lib.resultfiles import load_array, read_json, save_array, write_json
    from hw6lib.scores import best_mlp_scores

    torch.set_num_threads(snakemake.threads)
    p = snakemake.params
    device = cell_device(
        p.device,
        granted_gpus(snakemake.resources.get("gpu", 0), snakemake.resources.get("gres", "")),
        log,
    )
    # with several GPUs, one no other job holds (hw6lib.gpulease)
    with job_cuda_device(device, logger=log) as device:
        record, scores = best_mlp_scores(
            *(load_array(snakemake.input[k]) for k in ("X_train", "y_train", "X_test", "y_test")),
            n_valid=p.n_valid,
            best=read_json(snakemake.input.best)["best"],
            schedule=p.schedule,
            horizon=p.max_epochs,
            device=device,
            logger=log,
        )
    log.info("best MLP retrained (seed %d): test metrics %s", record["seed"], record["test"])
    save_array(snakemake.output.scores, scores)
    write_json(snakemake.output.model, record)
