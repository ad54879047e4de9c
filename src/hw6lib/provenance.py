"""Provenance of a run: software versions, git state, configuration and per-rule timings.

Kept apart from the results: nothing in a result table depends on the date or the machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from hw6lib.pipeline.resultfiles import Record, read_json

PACKAGES = (
    "snakemake",
    "numpy",
    "scipy",
    "torch",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "jinja2",
    "latex2mathml",
    "jsonschema",
    "snakemake-executor-plugin-slurm",
)


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` ("not installed" where absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass(frozen=True)
class GitState(Record):
    """The ``commit`` of a git checkout and whether it is ``dirty`` (``None`` outside git)."""

    commit: str | None
    dirty: bool | None


def git_state(repo: str | os.PathLike[str]) -> GitState:
    """Commit and dirtiness of the git checkout at ``repo`` (``None`` values outside git)."""

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(
                ["git", "-C", str(repo), *args],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return GitState(commit=commit, dirty=bool(status) if status is not None else None)


def read_benchmarks(files: Mapping[str, str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Wall time and peak memory of each job from Snakemake's benchmark TSV files.

    Parameters
    ----------
    files : mapping
        Job label to benchmark file path.

    Returns
    -------
    list of dict
        ``job``, ``seconds``, ``max_rss_mb`` (peak resident memory; ``None`` if not measured),
        sorted by job label.
    """
    rows = []
    for job, path in sorted(files.items()):
        with open(path, encoding="utf-8", newline="") as f:
            rec = next(csv.DictReader(f, delimiter="\t"))

        def number(key: str, rec: dict[str, str] = rec) -> float | None:
            try:
                return float(rec[key])
            except (KeyError, TypeError, ValueError):
                return None

        rows.append({"job": job, "seconds": number("s"), "max_rss_mb": number("max_rss")})
    return rows


def cell_engines(cells: Iterable[str | os.PathLike[str]]) -> dict[str, dict[str, Any]]:
    """Return the engine that trained each grid cell and its self-check, by job label.

    Parameters
    ----------
    cells : iterable of path-like
        The cells' result files (:func:`hw6lib.mlp.cell.train_cell`).

    Returns
    -------
    dict
        ``mlp_train_w<width>_b<batch size>`` (the label of the job's benchmark) to ``engine``
        (the engines that trained it, per momentum, distinct, comma-separated), ``check_max_diff``
        (the largest parameter difference of the checks that passed, ``None`` without a check),
        ``check_cost`` (the checks' work as a fraction of the job's) and ``fallbacks`` (engines
        that failed their check, e.g. ``["fused"]``).
    """
    from hw6lib.mlp.cellfile import Cell

    out = {}
    for path in cells:
        cell = Cell.from_json(read_json(path))
        checks = [c for r in cell.engines for c in r.checks]
        passed = [c.max_diff for c in checks if c.passed and c.max_diff is not None]
        out[f"mlp_train_w{cell.width}_b{cell.batch_size}"] = {
            "engine": ", ".join(dict.fromkeys(r.engine for r in cell.engines)) or None,
            "check_max_diff": max(passed) if passed else None,
            "check_cost": sum(c.cost for c in checks) if checks else None,
            "fallbacks": sorted({c.engine for c in checks if not c.passed}),
        }
    return out


@dataclass(frozen=True)
class CpuFingerprint(Record):
    """What decides the last bits of the floating-point results (:func:`cpu_fingerprint`).

    ``model`` (from /proc/cpuinfo, or :func:`platform.processor`), ``numpy_simd`` (the dispatch
    targets numpy uses here), ``torch_cpu_capability`` and ``environment``: the
    ``NPY_DISABLE_CPU_FEATURES``, ``ATEN_CPU_CAPABILITY`` and ``OPENBLAS_CORETYPE`` variables
    (``None`` where unset).
    """

    model: str | None
    numpy_simd: list[str] | None
    torch_cpu_capability: str | None
    environment: dict[str, str | None]


def cpu_fingerprint() -> CpuFingerprint:
    """Record what decides the last bits of the floating-point results on this machine.

    numpy and torch pick their kernels by instruction set at run time (numpy's
    ``NPY_DISABLE_CPU_FEATURES`` and torch's ``ATEN_CPU_CAPABILITY`` can lower the choice), and
    OpenBLAS by CPU model; the Reproducibility section of the README says how far results move
    between such settings.

    Returns
    -------
    CpuFingerprint
    """
    model = platform.processor() or None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        simd = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    except ImportError:  # another numpy layout: say so rather than guess
        simd = None
    try:
        import torch

        capability = str(torch.backends.cpu.get_cpu_capability())
    except ImportError:
        capability = None
    env = ("NPY_DISABLE_CPU_FEATURES", "ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE")
    return CpuFingerprint(
        model=model,
        numpy_simd=simd,
        torch_cpu_capability=capability,
        environment={k: os.environ.get(k) for k in env},
    )


@dataclass(frozen=True)
class Provenance(Record):
    """How, when and with what a report was made (:func:`collect_provenance`).

    ``created_utc``, ``config``, ``run``, ``git``, ``python``, ``platform``, ``snakemake``,
    ``cpu``, ``packages`` (:func:`package_versions`), ``code`` (per rule) and ``jobs``
    (:func:`read_benchmarks`; a training job's row also holds :func:`cell_engines`'s record).
    """

    created_utc: str
    config: dict[str, Any]
    run: dict[str, Any]
    git: GitState
    python: str
    platform: str
    snakemake: str
    cpu: CpuFingerprint
    packages: dict[str, str]
    code: dict[str, Any]
    jobs: list[dict[str, Any]]


def collect_provenance(
    config: Mapping[str, Any],
    repo: str | os.PathLike[str],
    benchmarks: Mapping[str, str | os.PathLike[str]],
    snakemake_version: str,
    code: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    cells: Iterable[str | os.PathLike[str]] = (),
    run: Mapping[str, Any] | None = None,
) -> Provenance:
    """Collect what is needed to say how, when and with what a report was made.

    Parameters
    ----------
    config : mapping
        The validated configuration.
    repo : path-like
        Folder of the workflow (for git).
    benchmarks : mapping
        Job label to benchmark file.
    snakemake_version : str
        Version of the running Snakemake.
    code : mapping, optional
        Per rule: its script, the hw6lib modules it imports and their digest (see
        :func:`hw6lib.pipeline.codedigest.code_record`), the versions of the packages they import
        (those that computed its results) and its outputs.
    now : datetime, optional
        Timestamp to record (UTC now by default).
    cells : iterable of path-like
        The grid cells' result files: each training job's row of ``jobs`` gets the engine
        that trained it and its self-check (:func:`cell_engines`).
    run : mapping, optional
        Which configuration this run is: ``configfiles`` (given besides the default) and
        ``differs`` (the keys in which it differs from the default).

    Returns
    -------
    Provenance
    """
    now = now or dt.datetime.now(dt.UTC)
    engines = cell_engines(cells)
    return Provenance(
        created_utc=now.strftime("%Y-%m-%d %H:%M:%S UTC"),
        config=dict(config),
        run=dict(run or {}),
        git=git_state(repo),
        python=sys.version.split()[0],
        platform=platform.platform(),
        snakemake=snakemake_version,
        cpu=cpu_fingerprint(),
        packages=package_versions(),
        code=dict(code or {}),
        jobs=[{**j, **engines.get(j["job"], {})} for j in read_benchmarks(benchmarks)],
    )
