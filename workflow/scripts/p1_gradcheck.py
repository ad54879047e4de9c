"""Check the backpropagated gradient against finite differences and torch autograd."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.pipeline.resultfiles import load_array, write_json
    from hw6lib.problem1.gradcheck import check_gradients

    p = snakemake.params
    data = load_array(snakemake.input.data, mmap=True)[: p.rows]
    result = check_gradients(data[:, 0], data[:, 1], p.depths, p.points, p.seed, p.eps)
    log.info(
        "max abs error vs finite differences %.3g, vs autograd %.3g",
        result.max_abs_error_fd,
        result.max_abs_error_autograd,
    )
    write_json(snakemake.output.gradcheck, result)
