# hw6: ECON 425 HW6 as a reproducible pipeline. This file is the table of contents; the rules
# live in workflow/rules/*.smk and the science in src/hw6lib.
#
# Targets: `snakemake` (everything: reports/hw6.html), `snakemake problem1` (Problem 1's fits,
# gradient check and figures), `snakemake problem2` (the card data, the tree and the MLP grid).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/problem1.smk"
include: "workflow/rules/card.smk"
include: "workflow/rules/mlp.smk"
include: "workflow/rules/scores.smk"
include: "workflow/rules/report.smk"


# Jobs of seconds (figures, collecting, the summary, provenance, the report) run inside the
# Snakemake process itself under a cluster executor instead of waiting in the queue as jobs of
# their own; only real work is submitted. No effect on a local run.
localrules:
    all,
    problem1,
    problem2,
    p1_compare,
    p1_figures,
    tree_figure,
    mlp_collect,
    mlp_figures,
    pr_figure,
    summary,
    confusion_figure,
    provenance,
    report,


rule all:
    default_target: True
    input:
        rules.report.output.html,


rule problem1:
    input:
        P1_FITS,
        rules.p1_compare.output,
        rules.p1_gradcheck.output,
        rules.p1_figures.output,


rule problem2:
    input:
        rules.card_split.output.summary,
        rules.tree_fit.output.metrics,
        rules.tree_figure.output,
        rules.mlp_collect.output,
        rules.mlp_published.output,
        rules.mlp_figures.output,
        rules.pr_figure.output,


onsuccess:
    warn_gpu_fallbacks()


onerror:
    warn_gpu_fallbacks()
    complete_failed_logs(log)
