# Helpers shared by the rules: config validation, paths and input functions.
import os
import sys

from hw6lib.config import ConfigError, load_schema, validate_config

try:
    config = validate_config(
        config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))
    )
except ConfigError as err:
    sys.exit(f"hw6: {err} (config files: {', '.join(map(str, workflow.configfiles)) or 'none'})")

P1 = config["problem1"]
MLP = config["mlp"]
if max(MLP["epochs"]) > MLP["max_epochs"]:
    sys.exit(
        f"hw6: config key mlp.epochs: {max(MLP['epochs'])} exceeds mlp.max_epochs "
        f"({MLP['max_epochs']})"
    )

# The train/test split of the card data (written by the data rules; see the data issue).
CARD_SPLIT = {
    name: f"results/card/split/{name}.npy" for name in ("X_train", "y_train", "X_test", "y_test")
}

# The report template and the files it includes, found relative to the workflow (not the working
# directory) so that `snakemake --directory elsewhere` works.
REPORT_TEMPLATE = os.path.join(workflow.basedir, "reports", "templates", "hw6.html.j2")


def p1_fit_files(wildcards):
    """Fit results of every configured depth."""
    return expand("results/problem1/fit_depth{depth}.json", depth=P1["depths"])


def card_n_valid():
    """Validation rows: the last ``card.n_valid`` training rows (50,000 until the card section
    of the config exists)."""
    return int(config.get("card", {}).get("n_valid", 50000))


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
        "mlp__grid": "results/mlp/grid.csv",
        "mlp__best": "results/mlp/best.json",
        "mlp__published": "results/mlp/published.json",
        "mlp__fig_heatmap": "results/mlp/heatmap_f1.svg",
        "mlp__fig_curves": "results/mlp/curves.svg",
        "mlp__fig_published": "results/mlp/published.svg",
    }
