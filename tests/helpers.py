"""Helpers shared by the tests: the repository, the small configuration and a Snakemake runner.

Tests import these by name (``from helpers import small_config``); ``conftest.py`` holds only
the fixtures and hooks, built on them.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

#: The repository root.
REPO = Path(__file__).resolve().parents[1]
#: The virtual environment's scripts (``snakemake``, ``python``) of the interpreter under test.
BIN = Path(sys.executable).parent
#: The small configuration, a file a person can run with ``snakemake --configfile``.
SMALL_CONFIG = REPO / ".test" / "config.yaml"

# tools/compare_runs.py: the comparison of two runs, shared with its command line
sys.path.insert(0, str(REPO / "tools"))
from compare_runs import VOLATILE, compare_runs, result_files, strip_provenance  # noqa: E402

__all__ = [
    "BIN",
    "REPO",
    "SMALL_CONFIG",
    "SNAKEMAKE_ENV",
    "VOLATILE",
    "SnakemakeRunner",
    "compare_runs",
    "default_config",
    "result_files",
    "small_config",
    "snakemake_cmd",
    "snakemake_runner",
    "strip_provenance",
    "tool",
]


def tool(name: str) -> ModuleType:
    """The module of ``tools/<name>.py``, e.g. ``tool("readme_modules")``, to test its functions."""
    return importlib.import_module(name)


def default_config() -> dict[str, Any]:
    """The default configuration: every key at the default that the config schema states.

    Tests that call the library's science functions take their settings from here, so that a
    default is stated once, in the schema (the library's signatures take the value).
    """
    from hw6lib.pipeline.config import load_schema, validate_config

    return validate_config({}, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))


def small_config() -> dict[str, Any]:
    """Return a fresh copy of the small configuration (``.test/config.yaml``).

    It runs the whole pipeline in seconds; tests change their copy freely.
    """
    return yaml.safe_load(SMALL_CONFIG.read_text(encoding="utf-8"))


#: Environment of the Snakemake runs of the tests.
SNAKEMAKE_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def snakemake_cmd(workdir: Path, configfile: Path, *args: str) -> list[str]:
    """Return the command that runs the real workflow in ``workdir`` with ``configfile``."""
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


def snakemake_runner(directory: Path) -> SnakemakeRunner:
    """Return a function that runs the real workflow in ``directory`` (``--directory``).

    The function takes ``config`` (a dict written to ``config.yaml`` in the working directory;
    ``None`` for :func:`small_config`), extra Snakemake arguments, and the keywords ``workdir``
    (another working directory for this run), ``check`` (raise ``AssertionError`` with the
    output's tail on a non-zero exit, default ``True``) and ``timeout`` (seconds, default 600);
    it returns the completed process with its output as text.
    """

    def run(
        config: dict[str, Any] | None = None,
        *args: str,
        workdir: Path | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        wd = workdir or directory
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
