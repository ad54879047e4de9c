"""Shared fixtures: the repository root, a small config and a Snakemake runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
# tests/synthcard.py (card-like arrays for the MLP tests and benchmarks) is importable
sys.path.insert(0, str(Path(__file__).parent))
BIN = Path(sys.executable).parent


def small_config() -> dict[str, Any]:
    """A configuration that runs the whole pipeline in seconds."""
    return {
        "problem1": {
            "n": 20000,
            "seed": 3,
            "depths": [1, 2],
            "multistart": {"points": 8},
            "gradcheck": {"depths": [1, 2, 3], "points": 2, "rows": 2000},
        },
        "card": {"synthetic_rows": 20000, "n_train": 10000, "n_valid": 2000},
        "tree": {"max_depths": [2, 4, None]},
        "mlp": {
            "widths": [4, 8],
            "learning_rates": [0.1, 1.0],
            "batch_sizes": [256],
            "seeds": [0, 1],
            "epochs": [1, 2],
            "max_epochs": 2,
            "momentums": [0.0, 0.9],
        },
    }


#: Markers of tests that need system services or packages; under ``CI=true`` they must run.
MUST_RUN_IN_CI = ("slurm", "browser")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Under ``CI=true``, a SLURM or browser test that would skip fails instead, with the reason.

    CI installs what these tests need; a skip there means the install failed, which must not
    pass unnoticed. Elsewhere (a laptop without SLURM or Chromium) they skip, saying why.
    """
    report = yield
    if (
        report.skipped
        and os.environ.get("CI", "").lower() == "true"
        and any(item.get_closest_marker(m) for m in MUST_RUN_IN_CI)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test must run in CI but would skip: {reason}"
    return report


@pytest.fixture
def repo() -> Path:
    return REPO


#: Environment of the Snakemake runs of the tests.
SNAKEMAKE_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def snakemake_cmd(workdir: Path, configfile: Path, *args: str) -> list[str]:
    """The command that runs the real workflow in ``workdir`` with ``configfile``."""
    return [
        str(BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        "2",
        "--workflow-profile",
        str(REPO / "profiles" / "default"),
        *args,
    ]


SnakemakeRunner = Callable[..., subprocess.CompletedProcess[str]]


def _runner(tmp_path: Path) -> SnakemakeRunner:
    def run(
        config: dict[str, Any] | None = None,
        *args: str,
        workdir: Path | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        wd = workdir or tmp_path
        wd.mkdir(parents=True, exist_ok=True)
        cfg = wd / "config.yaml"
        cfg.write_text(yaml.safe_dump(config if config is not None else small_config()))
        proc = subprocess.run(
            snakemake_cmd(wd, cfg, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=SNAKEMAKE_ENV,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"snakemake failed ({proc.returncode}):\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
            )
        return proc

    return run


@pytest.fixture
def run_snakemake(tmp_path: Path) -> SnakemakeRunner:
    """Run the real workflow in ``tmp_path`` (``--directory``) with a config written there."""
    return _runner(tmp_path)


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole pipeline (default target) on the small config, run once per session.

    Returns the working directory holding ``results/``, ``logs/`` and ``reports/hw6.html``.
    Tests must not modify it.
    """
    wd = tmp_path_factory.mktemp("pipeline")
    _runner(wd)(None)
    return wd
