# Helpers shared by the rules: config validation, paths and input functions.
import os
import sys

from hw6lib.config import ConfigError, load_schema, validate_config

try:
    config = validate_config(
        config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))
    )
except ConfigError as err:
    sys.exit(
        f"hw6: {err} (config files: {', '.join(map(str, workflow.configfiles)) or 'none'})"
    )

P1 = config["problem1"]

# The report template and the files it includes, found relative to the workflow (not the working
# directory) so that `snakemake --directory elsewhere` works.
REPORT_TEMPLATE = os.path.join(workflow.basedir, "reports", "templates", "hw6.html.j2")


def p1_fit_files(wildcards):
    """Fit results of every configured depth."""
    return expand("results/problem1/fit_depth{depth}.json", depth=P1["depths"])


def benchmark_files(wildcards):
    """Benchmark file of every job the report depends on, labelled by job."""
    files = {
        "p1_simulate": "results/benchmarks/problem1/simulate.tsv",
        "p1_gradcheck": "results/benchmarks/problem1/gradcheck.tsv",
    }
    for depth in P1["depths"]:
        files[f"p1_fit_depth{depth}"] = (
            f"results/benchmarks/problem1/fit_depth{depth}.tsv"
        )
    return files


def report_inputs(wildcards):
    """Every result file the report reads, named ``section__key`` (see hw6lib.report)."""
    return {
        "p1__fits": p1_fit_files(wildcards),
        "p1__compare": "results/problem1/compare.json",
        "p1__gradcheck": "results/problem1/gradcheck.json",
        "p1__fig_fits": "results/problem1/fits.svg",
        "p1__fig_residuals": "results/problem1/residuals.svg",
        "provenance": "results/provenance.json",
    }
