# Helpers shared by the rules: config validation, paths and input functions.
import os
import sys

from hw6lib.codedigest import code_record
from hw6lib.config import load_schema, validate_config
from hw6lib.errors import ConfigError
from hw6lib.preflight import check_card_file, check_config_relations
from hw6lib.errors import InputError

# Stop before any job starts, with one line naming the key (or file, line and column), when the
# configuration or the real data file is bad; nothing is written and earlier results stay.
try:
    config = validate_config(
        config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))
    )
    check_config_relations(config)
except ConfigError as err:
    sys.exit(
        f"hw6: {err} (config files: {', '.join(map(str, workflow.configfiles)) or 'none'})"
    )
if config["card"]["path"] is not None:
    try:
        check_card_file(
            config["card"]["path"],
            config["card"]["n_train"],
            os.path.join(".snakemake", "hw6-validated-inputs.json"),
            n_valid=config["card"]["n_valid"],
        )
    except InputError as err:
        sys.exit(f"hw6: {err}")

P1 = config["problem1"]
CARD = config["card"]
TREE = config["tree"]

# The stand-in is written where the real file would be read from, and goes through the same
# loader (one code path for validation, hashing and splitting).
CARD_SYNTHETIC_CSV = "results/card/synthetic/card_transdata.csv"
MLP = config["mlp"]

# The report template and the files it includes, found relative to the workflow (not the working
# directory) so that `snakemake --directory elsewhere` works.
# (relative to this file, not to the main Snakefile: a Snakefile elsewhere may include ours)
REPO_ROOT = os.path.normpath(os.path.join(workflow.current_basedir, "..", ".."))
REPORT_TEMPLATE = os.path.join(REPO_ROOT, "reports", "templates", "hw6.html.j2")


def report_template_digest():
    """SHA-256 of every template file: a parameter of the report rule, so that editing a
    template (or the stylesheet) rebuilds the report."""
    import hashlib

    h = hashlib.sha256()
    root = os.path.dirname(REPORT_TEMPLATE)
    for folder, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            h.update(os.path.relpath(path, root).encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


SCRIPTS = os.path.join(REPO_ROOT, "workflow", "scripts")


def library_digest(script):
    """SHA-256 of the hw6lib modules that ``workflow/scripts/<script>`` imports (transitively):
    a parameter of the script's rule, so that editing a library module reruns exactly the jobs
    whose code it is part of (Snakemake's own ``code`` trigger sees only the script)."""
    return code_record(os.path.join(SCRIPTS, script))["digest"]


def code_records(wildcards):
    """For each scripted job type, its script, hw6lib modules, their digest and its
    outputs (recorded in results/provenance.json and shown in the report)."""
    records = {}
    for r in sorted(workflow.rules, key=lambda r: r.name):
        if r.script is None:
            continue
        script = os.path.basename(r.script)
        if not os.path.isfile(os.path.join(SCRIPTS, script)):
            continue  # a rule of a Snakefile that includes this workflow (e.g. a test's)
        records[r.name] = {
            "script": f"workflow/scripts/{script}",
            **code_record(os.path.join(SCRIPTS, script)),
            "outputs": sorted(str(o) for o in r.output),
        }
    return records


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
    if card_kind() == "synthetic":
        files["card_synthetic"] = "results/benchmarks/card/synthetic.tsv"
    for job in ("split", "tree_fit", "tree_sweep"):
        files[f"card_{job}" if job == "split" else job] = (
            f"results/benchmarks/card/{job}.tsv"
        )
    for width in MLP["widths"]:
        for batch in MLP["batch_sizes"]:
            files[f"mlp_train_w{width}_b{batch}"] = (
                f"results/benchmarks/mlp/train_w{width}_b{batch}.tsv"
            )
    files["mlp_published"] = "results/benchmarks/mlp/published.tsv"
    files["mlp_best_scores"] = "results/benchmarks/mlp/best_scores.tsv"
    return files


def card_csv(wildcards):
    """The card data file: the configured real file, or the synthetic stand-in."""
    return CARD["path"] if CARD["path"] is not None else CARD_SYNTHETIC_CSV


def card_kind():
    """``"real"`` when card.path is set, else ``"synthetic"``."""
    return "real" if CARD["path"] is not None else "synthetic"


def card_seed():
    """The stand-in's seed, or ``None`` for real data (so that it is not a parameter of it)."""
    return CARD["synthetic_seed"] if CARD["path"] is None else None


def mlp_cell_files(wildcards):
    """Per-epoch records of every (width, batch size) cell of the MLP grid."""
    return expand(
        "results/mlp/cells/w{width}_b{batch}.json",
        width=MLP["widths"],
        batch=MLP["batch_sizes"],
    )


def report_inputs(wildcards):
    """Every result file the report reads, named ``section__key`` (see hw6lib.report)."""
    return {
        "p1__fits": p1_fit_files(wildcards),
        "p1__compare": "results/problem1/compare.json",
        "p1__gradcheck": "results/problem1/gradcheck.json",
        "p1__fig_fits": "results/problem1/fits.svg",
        "p1__fig_residuals": "results/problem1/residuals.svg",
        "provenance": "results/provenance.json",
        "summary": "results/summary.json",
        "fig_confusion": "results/report/confusion.svg",
        "data__summary": "results/card/split/summary.json",
        "tree__metrics": "results/card/tree/metrics.json",
        "tree__sweep": "results/card/tree/sweep.json",
        "tree__timing": "results/benchmarks/card/tree_timing.json",
        "tree__fig_sweep": "results/card/tree/depth_sweep.svg",
        "mlp__grid": "results/mlp/grid.json",
        "mlp__best": "results/mlp/best.json",
        "mlp__published": "results/mlp/published.json",
        "mlp__fig_heatmap": "results/mlp/heatmap_f1.svg",
        "mlp__fig_curves": "results/mlp/curves.svg",
        "mlp__fig_published": "results/mlp/published.svg",
        "scores__pr": "results/report/pr_curves.json",
        "scores__fig_pr": "results/report/pr_curves.svg",
    }


def warn_gpu_fallbacks():
    """Say in Snakemake's own output when a GPU job trained on the CPU (its log says why)."""
    from hw6lib.runlog import gpu_fallbacks

    logs = gpu_fallbacks(
        expand("logs/mlp/train_w{w}_b{b}.log", w=MLP["widths"], b=MLP["batch_sizes"])
    )
    if logs:
        print(
            f"hw6: warning: {len(logs)} training job(s) were given a GPU but found no CUDA "
            f"device and trained on the CPU (a CPU-only torch, or no GPU on the node): "
            f"{', '.join(logs)}",
            file=sys.stderr,
        )
