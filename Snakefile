# hw6: ECON 425 HW6 as a reproducible pipeline. This file is the table of contents; the rules
# live in workflow/rules/*.smk and the science in src/hw6lib.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/problem1.smk"
include: "workflow/rules/card.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/mlp.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "reports/hw6.html",
