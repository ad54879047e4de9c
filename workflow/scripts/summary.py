"""Collect the numbers that answer each homework question (the report's opening summary)."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.mlp.grid import BestSummary
    from hw6lib.mlp.replication import PublishedReplication
    from hw6lib.pipeline.resultfiles import read_json, write_json
    from hw6lib.problem1.depths import DepthComparison, DepthFit
    from hw6lib.problem1.gradcheck import GradientCheck
    from hw6lib.report.summary import build_summary

    i = snakemake.input
    summary = build_summary(
        [DepthFit.from_json(read_json(f)) for f in i.fits],
        DepthComparison.from_json(read_json(i.compare)),
        read_json(i.card),
        read_json(i.tree),
        BestSummary.from_json(read_json(i.mlp_best)),
        gradcheck=GradientCheck.from_json(read_json(i.gradcheck)),
        published_run=PublishedReplication.from_json(read_json(i.published)),
    )
    write_json(snakemake.output.summary, summary)
