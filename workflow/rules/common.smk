# Helpers shared by the rules: config validation, paths and input functions.
import itertools
import json
import os
import re
import sys
from importlib import metadata

import yaml
from hw6lib.pipeline.codedigest import (
    code_record,
    package_versions,
    third_party_modules,
)
from hw6lib.pipeline.config import config_differences, load_schema, validate_config
from hw6lib.mlp.shape import layer_sizes, step_flops_per_row
from hw6lib.preflight import check_card_file, check_config_relations
from hw6lib.pipeline.runlog import complete_failed_logs
from hw6lib.errors import ConfigError, InputError
from snakemake.exceptions import WorkflowError
from snakemake.io import apply_wildcards

REPO_ROOT = os.path.normpath(os.path.join(workflow.current_basedir, "..", ".."))


def repo_relative(path):
    """``path`` as given, or, when it is relative and not found in the working directory but
    in the repository, the repository's file: a named run (``make run CONFIG=config/real.yaml``)
    works in ``runs/<name>/``, and ``data/card_transdata.csv`` is the repository's."""
    if path is None or os.path.isabs(path) or os.path.exists(path):
        return path
    in_repo = os.path.join(REPO_ROOT, path)
    return in_repo if os.path.exists(in_repo) else path


# Stop before any job starts, with one line naming the key (or file, line and column), when the
# configuration or the real data file is bad; nothing is written and earlier results stay.
try:
    config = validate_config(
        config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))
    )
    config["card"]["path"] = repo_relative(config["card"]["path"])
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


def run_configuration():
    """Which configuration this run is: the config files given besides config/config.yaml
    (relative to the repository, or else to the working directory, where inside one: two runs
    of one configuration in two folders name it alike) and the keys in which it differs from
    the default, values as JSON text. A parameter of the report, which says so at its top.
    """
    default_file = os.path.join(REPO_ROOT, "config", "config.yaml")
    with open(default_file, encoding="utf-8") as f:
        default = validate_config(
            yaml.safe_load(f),
            load_schema(workflow.source_path("../schemas/config.schema.yaml")),
        )
    files = []
    for path in map(os.path.abspath, map(str, workflow.configfiles)):
        if path == default_file:
            continue
        for root in (REPO_ROOT, os.getcwd()):
            if os.path.commonpath([root, path]) == root:
                path = os.path.relpath(path, root)
                break
        files.append(path)
    return {
        "configfiles": files,
        "differs": [
            {k: json.dumps(d[k]) if k != "key" else d[k] for k in d}
            for d in config_differences(default, config)
        ],
    }


P1 = config["problem1"]
CARD = config["card"]
TREE = config["tree"]
MLP = config["mlp"]


def mlp_depths():
    """The configured depths (hidden layers) of the MLP grid: ``mlp.depth``, one value or a
    list of them."""
    depth = MLP["depth"]
    return list(depth) if isinstance(depth, list) else [depth]


# The homework's depth, the schema's default of mlp.depth (hw6lib.mlp.shape.DEFAULT_DEPTH): a
# grid of it alone keeps the cell names w<width>_b<batch>; any other grid names the depth.
HOMEWORK_DEPTH = load_schema(workflow.source_path("../schemas/config.schema.yaml"))[
    "properties"
]["mlp"]["properties"]["depth"]["default"]
MLP_CELL = (
    "w{width}_b{batch}"
    if mlp_depths() == [HOMEWORK_DEPTH]
    else "d{layers}_w{width}_b{batch}"
)


def mlp_cell_depth(wildcards):
    """The hidden layers of a training job's models: its ``layers`` wildcard, else the one
    configured depth."""
    return int(wildcards.get("layers", mlp_depths()[0]))


def mlp_cell_cost(width, depth):
    """A training job's work, as a rank: the multiply-adds of a step per row
    (:func:`hw6lib.mlp.shape.step_flops_per_row`)."""
    return step_flops_per_row(layer_sizes(int(width), int(depth)))


def mlp_train_priority(wildcards):
    """Scheduling order of the training jobs: the costliest first (:func:`mlp_cell_cost`), so
    that no long job starts last and leaves the other cores idle at the end of the grid.
    Snakemake starts ready jobs of higher priority first; the order changes no result.
    """
    return mlp_cell_cost(wildcards.width, mlp_cell_depth(wildcards))


def tree_sweep_priority():
    """The tree's depth sweep (a job as long as a middling grid cell) is started among the
    grid's middle cells, not after them all: the median of their :func:`mlp_cell_cost`.
    """
    costs = sorted(mlp_cell_cost(w, d) for w in MLP["widths"] for d in mlp_depths())
    return costs[len(costs) // 2]


# Where files go. Every file is named once, in the rule that writes it (results with
# result_path, its log and benchmark with log_path and bench_path); every other rule takes it as
# rules.<name>.output.<key>, so that renaming a file is one edit.


def result_path(path):
    """``results/<path>``: a file of results."""
    return f"results/{path}"


def log_path(job):
    """``logs/<job>.log``: the log of a job (``job`` may hold wildcards)."""
    return f"logs/{job}.log"


def bench_path(job):
    """``results/benchmarks/<job>.tsv``: Snakemake's wall time and memory of a job. Every
    benchmark of the workflow is listed in the report (benchmark_files)."""
    return result_path(f"benchmarks/{job}.tsv")


def by_attempt(base):
    """A job's resource (``mem_mb``, ``runtime``): ``base`` on its first attempt and ``attempt``
    times ``base`` on a retry. The cluster profiles set ``retries``, so a job that SLURM stops
    for its time or memory limit (``TIMEOUT``, ``OUT_OF_MEMORY``) is resubmitted with more.
    """

    def grow(wildcards, attempt):
        return base * attempt

    return grow


# The configured values of each wildcard: the jobs of a rule with wildcards are its file
# patterns filled in with every combination of these (all_jobs).
WILDCARD_VALUES = {
    "depth": P1["depths"],
    "layers": mlp_depths(),
    "width": MLP["widths"],
    "batch": MLP["batch_sizes"],
}


def job_wildcards(pattern):
    """Each combination of configured values of the wildcards in ``pattern``, as a dict, in
    the order of the configuration's lists (the first wildcard varying slowest)."""
    names = list(dict.fromkeys(re.findall(r"{\s*(\w+)", str(pattern))))
    unknown = [name for name in names if name not in WILDCARD_VALUES]
    if unknown:
        raise WorkflowError(
            f"hw6: wildcard(s) {', '.join(unknown)} of {pattern} have no configured values: "
            "add them to WILDCARD_VALUES in workflow/rules/common.smk"
        )
    return [
        dict(zip(names, values))
        for values in itertools.product(*(WILDCARD_VALUES[name] for name in names))
    ]


def all_jobs(pattern):
    """``pattern`` (a rule's output, log or benchmark) filled in for every configured job."""
    return [apply_wildcards(str(pattern), wc) for wc in job_wildcards(pattern)]


# The report template and the files it includes, found relative to the workflow (not the working
# directory) so that `snakemake --directory elsewhere` works.
# (REPO_ROOT, above, is relative to this file, not to the main Snakefile: a Snakefile elsewhere
# may include ours)
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
    return code_record(os.path.join(SCRIPTS, script)).digest


# Which distribution provides each importable module, read once per Snakemake process.
DISTRIBUTIONS = metadata.packages_distributions()


def library_versions(script):
    """Versions of the packages (outside the standard library) that ``workflow/scripts/<script>``
    and its hw6lib modules import, e.g. ``{"numpy": "2.3.4", "scipy": "1.16.2"}``: a parameter
    of the script's rule, so that upgrading a package reruns exactly the jobs whose code imports
    it (and what reads their results), as library_digest does for code."""
    return package_versions(
        third_party_modules(os.path.join(SCRIPTS, script)), DISTRIBUTIONS
    )


def workflow_rules():
    """The rules defined in this repository's files, without those of a Snakefile elsewhere
    that includes this workflow (e.g. a test's)."""
    return [
        r
        for r in workflow.rules
        if os.path.commonpath([REPO_ROOT, os.path.abspath(r.snakefile)]) == REPO_ROOT
    ]


def code_records(wildcards):
    """For each scripted job type, its script, hw6lib modules, their digest, the versions of
    the packages they import (those that computed its results: a version change reruns the
    job) and its outputs (recorded in results/provenance.json and shown in the report).
    """
    records = {}
    for r in sorted(workflow_rules(), key=lambda r: r.name):
        if r.script is None:
            continue
        script = os.path.basename(r.script)
        records[r.name] = {
            "script": f"workflow/scripts/{script}",
            **code_record(os.path.join(SCRIPTS, script)).to_json(),
            "packages": library_versions(script),
            "outputs": sorted(str(o) for o in r.output),
        }
    return records


def benchmark_files(wildcards):
    """The benchmark of every job that has one, labelled by job: the name of its rule, then
    the parts of the file name that hold wildcards (``p1_fit_depth1``, ``mlp_train_w8_b100``).
    Every such job is upstream of the report, and a rule that a configuration does not use is
    not defined (card_synthetic with a real data file)."""
    files = {}
    for r in workflow_rules():
        if r.benchmark is None:
            continue
        pattern = str(r.benchmark)
        stem = os.path.splitext(os.path.basename(pattern))[0]
        label = "_".join([r.name, *(part for part in stem.split("_") if "{" in part)])
        for wc in job_wildcards(pattern):
            files[apply_wildcards(label, wc)] = apply_wildcards(pattern, wc)
    return files


def card_csv(wildcards):
    """The card data file: the configured real file, or the synthetic stand-in."""
    if CARD["path"] is not None:
        return CARD["path"]
    return rules.card_synthetic.output.csv


def card_kind():
    """``"real"`` when card.path is set, else ``"synthetic"``."""
    return "real" if CARD["path"] is not None else "synthetic"


def card_seed():
    """The stand-in's seed, or ``None`` for real data (so that it is not a parameter of it)."""
    return CARD["synthetic_seed"] if CARD["path"] is None else None


def warn_gpu_fallbacks():
    """Say in Snakemake's own output when a GPU job trained on the CPU, or with a slower
    engine than it could have because a fast one failed its self-check (its log says why).
    """
    from hw6lib.pipeline.runlog import ENGINE_FALLBACK, gpu_fallbacks

    logs = gpu_fallbacks(all_jobs(rules.mlp_train.log[0]))
    if logs:
        print(
            f"hw6: warning: {len(logs)} training job(s) were given a GPU but found no CUDA "
            f"device and trained on the CPU (a CPU-only torch, or no GPU on the node): "
            f"{', '.join(logs)}",
            file=sys.stderr,
        )
    logs = gpu_fallbacks(all_jobs(rules.mlp_train.log[0]), ENGINE_FALLBACK)
    if logs:
        print(
            f"hw6: warning: in {len(logs)} training job(s) a fast GPU engine failed its "
            f"self-check against the eager reference and a slower engine trained (the cells' "
            f"results are right; the log names the engine and the largest difference): "
            f"{', '.join(logs)}",
            file=sys.stderr,
        )
