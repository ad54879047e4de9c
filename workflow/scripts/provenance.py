"""Record provenance: versions, git state, configuration, per-job timings and memory."""

from typing import TYPE_CHECKING

import snakemake as smk

from hw6lib.provenance import collect_provenance
from hw6lib.resultfiles import write_json
from hw6lib.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    info = collect_provenance(
        snakemake.config,
        snakemake.params.repo,
        {k: v for k, v in snakemake.input.items() if k != "summary"},
        smk.__version__,
        code=snakemake.params.code_records,
        run=snakemake.params.run,
    )
    write_json(snakemake.output.provenance, info)
