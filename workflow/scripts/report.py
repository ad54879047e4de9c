"""Render reports/hw6.html from the result files."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]):
    from hw6lib.report.render import build_context, render_report

    context = build_context(
        dict(snakemake.input.items()), snakemake.config, run=snakemake.params.run
    )
    render_report(snakemake.params.template, context, snakemake.output.html)
