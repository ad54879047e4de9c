"""Record provenance: versions, git state, configuration, per-job timings, memory and engine."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    import snakemake as smk

    from hw6lib.pipeline.resultfiles import write_json
    from hw6lib.provenance import collect_provenance

    info = collect_provenance(
        snakemake.config,
        snakemake.params.repo,
        {k: v for k, v in snakemake.input.items() if k not in ("summary", "cells")},
        smk.__version__,
        code=snakemake.params.code_records,
        cells=snakemake.input.cells,
        run=snakemake.params.run,
    )
    write_json(snakemake.output.provenance, info)
