"""Fit the sigmoid chain of one depth: published reproduction, analytic fit, multi-start."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.pipeline.resultfiles import load_array, write_json
    from hw6lib.problem1.depths import FitSettings, fit_depth
    from hw6lib.published import PROBLEM1_ENVELOPE, problem1_published

    data = load_array(snakemake.input.data)
    depth = int(snakemake.wildcards.depth)
    p = snakemake.params
    published = problem1_published(len(data), p.seed, depth)
    result = fit_depth(
        data[:, 0],
        data[:, 1],
        depth,
        FitSettings.from_config(p.gtol, p.multistart),
        published=published,
        envelope=PROBLEM1_ENVELOPE.get(depth) if published is not None else None,
    )
    for m in result.multistart.minima:
        log.info(
            "depth %d minimum: MSE %.10g at %s (%d of %d starts)",
            depth,
            m.fun,
            m.weights,
            m.count,
            len(result.multistart.starts),
        )
    write_json(snakemake.output.fit, result)
