"""Compare the depths: the numbers behind "why does the extra layer raise the training error"."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.pipeline.resultfiles import read_json, write_json
    from hw6lib.problem1.depths import DepthFit, compare_depths

    fits = [DepthFit.from_json(read_json(f)) for f in snakemake.input.fits]
    write_json(snakemake.output.summary, compare_depths(fits))
