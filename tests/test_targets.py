"""Daily use through Snakemake: the named targets, numbers on the command line, which rules run
locally under a cluster executor, and a GPU job without CUDA said in Snakemake's own output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO, SNAKEMAKE_ENV, small_config, snakemake_cmd

pytestmark = pytest.mark.workflow

PROBLEM1_RULES = {"p1_simulate", "p1_fit", "p1_gradcheck", "p1_compare", "p1_figures"}
PROBLEM2_RULES = {
    "card_synthetic",
    "card_split",
    "tree_fit",
    "tree_sweep",
    "tree_figure",
    "mlp_train",
    "mlp_collect",
    "mlp_published",
    "mlp_figures",
    "mlp_best_scores",
    "pr_figure",
}


def _run(tmp_path: Path, *args: str, config: dict | None = None) -> subprocess.CompletedProcess:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config if config is not None else small_config()))
    return subprocess.run(
        snakemake_cmd(tmp_path, cfg, *args),
        capture_output=True,
        text=True,
        timeout=300,
        env=SNAKEMAKE_ENV,
    )


def _dry_run_rules(tmp_path: Path, *args: str) -> set[str]:
    proc = _run(tmp_path, "-n", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(re.findall(r"^(?:local)?rule (\w+):$", proc.stdout + proc.stderr, re.MULTILINE))


def test_problem1_target_runs_only_problem1(tmp_path: Path) -> None:
    assert _dry_run_rules(tmp_path, "problem1") == PROBLEM1_RULES | {"problem1"}


def test_problem2_target_runs_data_tree_and_mlp(tmp_path: Path) -> None:
    assert _dry_run_rules(tmp_path, "problem2") == PROBLEM2_RULES | {"problem2"}


def test_readme_shows_the_named_targets() -> None:
    readme = (REPO / "README.md").read_text()
    for target in ("snakemake --cores 4 problem1", "snakemake --cores 4 problem2"):
        assert target in readme


def _config_args(section: str, values: str) -> tuple[str, str]:
    return "--config", f"{section}={values}"


def test_numbers_in_nested_config_on_the_command_line(tmp_path: Path) -> None:
    """Snakemake passes them as text; they are read as the numbers they are."""
    proc = _run(
        tmp_path,
        "-n",
        *_config_args("card", '{"synthetic_rows": 20000, "n_train": 12000, "n_valid": 3000}'),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_text_that_is_no_number_on_the_command_line_names_the_key(tmp_path: Path) -> None:
    proc = _run(tmp_path, "-n", *_config_args("card", '{"n_train": "12k"}'))
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hw6: ")]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("hw6: config key card.n_train: '12k' is not of type 'integer'")


def _rules_and_benchmarks() -> dict[str, bool]:
    """Every rule of the workflow files, and whether it has a benchmark (it does real work)."""
    out = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        blocks = re.split(r"^rule ", path.read_text(), flags=re.MULTILINE)[1:]
        for block in blocks:
            name = block.split(":", 1)[0]
            body = re.split(r"^\S", block.split("\n", 1)[1], maxsplit=1, flags=re.MULTILINE)[0]
            out[name] = "    benchmark:" in body
    return out


def test_local_rules_are_exactly_the_short_jobs() -> None:
    """Under a cluster executor only real work (a rule with a benchmark) is submitted."""
    text = (REPO / "Snakefile").read_text()
    block = re.search(r"^localrules:\n((?:    \w+,\n)+)", text, re.MULTILINE)
    assert block, "no localrules block in the Snakefile"
    local = set(re.findall(r"(\w+),", block.group(1)))
    rules = _rules_and_benchmarks()
    assert local <= set(rules)
    assert local == {name for name, real in rules.items() if not real}
    assert {"mlp_train", "p1_fit", "tree_fit", "card_split"}.isdisjoint(local)


def test_gpu_job_without_cuda_is_said_in_snakemakes_output(tmp_path: Path) -> None:
    """A training job given a GPU that finds no CUDA device: Snakemake's own stderr says so.

    (On a cluster the job's stderr goes only to its SLURM log; tests/test_slurm.py checks the
    same line under profiles/slurm-gpu.)
    """
    cell = "results/mlp/cells/w4_b256.json"
    proc = _run(tmp_path, cell, "--set-resources", "mlp_train:gpu=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: the job used it")
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hw6: warning:")]
    assert lines == [
        "hw6: warning: 1 training job(s) were given a GPU but found no CUDA device and trained "
        "on the CPU (a CPU-only torch, or no GPU on the node): logs/mlp/train_w4_b256.log"
    ]
    # without a GPU resource nothing is said
    proc = _run(tmp_path, "results/mlp/cells/w8_b256.json")
    assert proc.returncode == 0
    assert "hw6: warning:" in proc.stderr  # the earlier job's log still says it (true)
    (tmp_path / "logs/mlp/train_w4_b256.log").unlink()
    proc = _run(tmp_path, "results/mlp/cells/w8_b256.json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "hw6: warning:" not in proc.stderr


def test_engine_fallback_is_said_in_snakemakes_output(tmp_path: Path) -> None:
    """A training job whose fast GPU engine failed its self-check (its log says so, with
    hw6lib.pipeline.runlog.ENGINE_FALLBACK): Snakemake's own stderr names the job's log at the end
    of the run. No GPU here, so the job's log is written as a GPU job's would be."""
    from hw6lib.pipeline.runlog import ENGINE_FALLBACK

    logs = tmp_path / "logs/mlp"
    logs.mkdir(parents=True)
    (logs / "train_w8_b256.log").write_text(
        f"2026-12-06 12:00:00 WARNING {ENGINE_FALLBACK}: engine fused on cuda:0 (largest "
        "difference 0.2): model 1 differs by 0.2 (bound 6.1e-05); ...; falling back to graph\n"
    )
    proc = _run(tmp_path, "results/mlp/cells/w4_b256.json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hw6: warning:")]
    assert lines == [
        "hw6: warning: in 1 training job(s) a fast GPU engine failed its self-check against "
        "the eager reference and a slower engine trained (the cells' results are right; the "
        "log names the engine and the largest difference): logs/mlp/train_w8_b256.log"
    ]


def test_cell_files_name_the_depth_only_when_it_is_not_the_homeworks(tmp_path: Path) -> None:
    """``mlp.depth`` as a grid dimension: one training job per (depth, width, batch size), each
    cell file named with its depth; the homework's depth alone keeps the names of before."""

    def cells(depth) -> tuple[set[str], str]:
        config = small_config()
        if depth is not None:
            config["mlp"] = {**config.get("mlp", {}), "depth": depth}
        proc = _run(tmp_path, "-n", config=config)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = proc.stdout + proc.stderr
        return set(re.findall(r"results/mlp/cells/(\S+)\.json", out)), out

    config = small_config()
    widths, batches = config["mlp"]["widths"], config["mlp"]["batch_sizes"]
    plain = {f"w{w}_b{b}" for w in widths for b in batches}
    assert cells(None)[0] == plain and cells(2)[0] == plain
    assert cells([1, 3])[0] == {f"d{d}_{name}" for d in (1, 3) for name in plain}
    names, out = cells(3)
    assert names == {f"d3_{name}" for name in plain}
    assert "layers=3" in out
