"""Which pinned packages have a wheel for each supported (interpreter, platform) pair.

``make env`` installs the exact versions of ``constraints.txt`` on whatever machine a student
brings: Python 3.11 to 3.14 on Linux (x86_64, aarch64; WSL is Linux) and macOS (arm64,
x86_64). A pinned package without a wheel for that interpreter and platform is built from
source, which fails without a C compiler unless the package is pure Python. This tool asks
pip's resolver, in dry-run mode and against PyPI itself, for every pair::

    pip install --isolated --index-url https://pypi.org/simple --dry-run --no-deps
        --only-binary=:all: --python-version 3.14 --platform macosx_14_0_arm64 ... -r PINS

(metadata only: no wheel is downloaded), and reports each pair's source builds: the pinned
packages the pair needs (the project's dependencies and extras, with their environment markers
evaluated for the pair) that have no wheel there. A source build is acceptable only for a
package listed in :data:`SOURCE_BUILDS` (pure Python, or built without its optional C
extension by ``tools/torch_variant.py``); any other one is a defect that
``tests/test_wheels.py`` names, with the pair.

torch is resolved from PyPI like everything else: PyPI's torch is what macOS installs, what
``TORCH=cuda`` installs, and what Linux falls back to when PyTorch's CPU index cannot be
reached. The CPU builds on PyTorch's own index (``torch==X+cpu``, Linux only) are not checked
here (CI reaches PyPI only). triton is needed only where its marker holds (Linux x86_64).

``python tools/wheels.py`` prints the table; standard library plus ``packaging`` (a dependency
of the project's environment).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPI = "https://pypi.org/simple"
#: The extras ``make env`` installs (the Makefile's EXTRAS).
EXTRAS = ("workflow", "slurm", "test", "lint")
PYTHONS = ("3.11", "3.12", "3.13", "3.14")

#: glibc 2.17 (manylinux2014) to 2.35 (Ubuntu 22.04, Debian 12 has 2.36): pip does not expand
#: a ``manylinux_2_X`` platform to older ones, so each is named.
_GLIBC = [f"manylinux_2_{minor}" for minor in range(35, 16, -1)] + ["manylinux2014"]

#: Platform name -> (pip ``--platform`` tags, marker values). macOS tags name macOS 14; pip
#: expands them to every older macOS release.
PLATFORMS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "Linux x86_64": (
        tuple(f"{g}_x86_64" for g in _GLIBC),
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    ),
    "Linux aarch64": (
        tuple(f"{g}_aarch64" for g in _GLIBC),
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    ),
    "macOS arm64": (
        ("macosx_14_0_arm64",),
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    ),
    "macOS x86_64": (
        ("macosx_14_0_x86_64",),
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
    ),
}


def _torch_variant():
    """``tools/torch_variant.py``: the set-up, whose tables this tool shares."""
    spec = importlib.util.spec_from_file_location("torch_variant", ROOT / "tools/torch_variant.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_TV = _torch_variant()
#: Pinned packages that may be built from source, and why no compiler is needed for them.
SOURCE_BUILDS: dict[str, str] = _TV.SOURCE_BUILDS
#: Platforms where the set-up stops in one line, and why.
UNSUPPORTED: dict[str, str] = _TV.UNSUPPORTED


@dataclass
class PairResult:
    """What pip found for one (interpreter, platform) pair.

    Attributes
    ----------
    python, platform : str
        The pair, e.g. ``"3.14"``, ``"macOS arm64"``.
    no_wheel : dict of str to str
        Canonical name -> pinned version of every needed package without a wheel there.
    source_builds : list of str
        Needed packages of :data:`SOURCE_BUILDS` (not asked for: allowed either way).
    unpinned : list of str
        Packages the pair needs that ``constraints.txt`` does not pin.
    wheels : int
        How many needed packages have a wheel.
    """

    python: str
    platform: str
    no_wheel: dict[str, str] = field(default_factory=dict)
    source_builds: list[str] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)
    wheels: int = 0

    def defects(self) -> list[str]:
        """One line per source build not in :data:`SOURCE_BUILDS` and per unpinned package."""
        where = f"Python {self.python}, {self.platform}"
        out = [
            f"{where}: {name}=={version} has no wheel and is not a known pure-Python build"
            for name, version in sorted(self.no_wheel.items())
            if name not in SOURCE_BUILDS
        ]
        out += [f"{where}: {name} is needed but not pinned" for name in self.unpinned]
        return out


def pins_for(platform: str, root: Path = ROOT) -> dict[str, str]:
    """The pins a platform installs from.

    ``constraints.txt``, and on Linux, where PyPI's torch is the CUDA build,
    ``constraints-cuda.txt`` as well.
    """
    pins = read_pins(root / "constraints.txt")
    if platform.startswith("Linux"):
        pins.update(read_pins(root / "constraints-cuda.txt"))
    return pins


def read_pins(path: Path) -> dict[str, str]:
    """Canonical name -> version of every ``name==version`` line."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def root_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """The project's dependencies and the extras ``make env`` installs."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in EXTRAS:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def marker_environment(python: str, platform: str) -> dict[str, str]:
    """Environment-marker values of a CPython ``python`` on ``platform``."""
    env = dict(default_environment())
    env.update(PLATFORMS[platform][1])
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_version=f"{python}.0",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        os_name="posix",
        platform_release="",
        platform_version="",
    )
    return env


def pip_args(python: str, platform: str, target: str, index_url: str = PYPI) -> list[str]:
    """``pip install`` options of a metadata-only resolve for the pair (no requirements)."""
    nodot = python.replace(".", "")
    args = [
        "install", "--isolated", "--disable-pip-version-check", "--index-url", index_url,
        "--dry-run", "--no-deps", "--only-binary=:all:", "--ignore-installed",
        "--target", target,  # pip before 23.3 wants it with --platform; nothing is written
        "--python-version", python, "--implementation", "cp", "--abi", f"cp{nodot}",
    ]  # fmt: skip
    for tag in PLATFORMS[platform][0]:
        args += ["--platform", tag]
    return args


def pip_env() -> dict[str, str]:
    """The environment without pip's settings.

    ``--isolated`` still reads the global and site configuration files (a machine's local wheel
    folders, constraints); ``PIP_CONFIG_FILE`` set to the null device skips every one.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")


def resolve(
    python: str,
    platform: str,
    pins: dict[str, str],
    index_url: str = PYPI,
    pip: Sequence[str] = (sys.executable, "-m", "pip"),
) -> tuple[dict[str, dict], dict[str, str]]:
    """Resolve every pin for the pair: (name -> report item, name -> version without wheel).

    The packages of :data:`SOURCE_BUILDS` are not asked for: they may be built from source
    (neither requires anything). pip stops at the first requirement it cannot satisfy, so
    that one is set aside and the rest resolved again, until pip succeeds.

    Raises
    ------
    RuntimeError
        pip failed for another reason (its last lines are in the message).
    """
    todo = {n: v for n, v in pins.items() if n not in SOURCE_BUILDS}
    missing: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        while todo:
            report = Path(tmp) / "report.json"
            reqs = Path(tmp) / "requirements.txt"
            reqs.write_text("".join(f"{n}=={v}\n" for n, v in todo.items()), encoding="utf-8")
            cmd = [*pip, *pip_args(python, platform, str(Path(tmp) / "t"), index_url)]
            cmd += ["--quiet", "--report", str(report), "-r", str(reqs)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=pip_env())
            if proc.returncode == 0:
                items = json.loads(report.read_text(encoding="utf-8"))["install"]
                found = {canonicalize_name(i["metadata"]["name"]): i for i in items}
                return found, missing
            m = _NO_MATCH.search(proc.stderr)
            name = canonicalize_name(Requirement(m.group(1)).name) if m else None
            if name not in todo:
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                raise RuntimeError(f"pip failed for Python {python}, {platform}: {tail}")
            missing[name] = todo.pop(name)
    return {}, missing


def needed(
    roots: Iterable[Requirement], env: dict[str, str], requires: dict[str, list[str]]
) -> set[str]:
    """Canonical names the pair needs: ``roots`` and what they require, markers evaluated."""
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    stack = [(r, "") for r in roots]
    while stack:
        req, extra = stack.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        names.add(name)
        for want in {"", *req.extras}:
            if (name, want) in seen:
                continue
            seen.add((name, want))
            for dep in requires.get(name, []):
                stack.append((Requirement(dep), want))
    return names


def check_pair(
    python: str,
    platform: str,
    pins: dict[str, str],
    roots: Sequence[Requirement] | None = None,
    **kwargs,
) -> PairResult:
    """Resolve the pins for the pair and sort out what it needs (see :class:`PairResult`).

    ``roots`` are what the environment is installed for: by default the project's dependencies
    and extras (:func:`root_requirements`) and torch.
    """
    found, missing = resolve(python, platform, pins, **kwargs)
    requires = {n: i["metadata"].get("requires_dist") or [] for n, i in found.items()}
    roots = roots if roots is not None else [*root_requirements(), Requirement("torch")]
    need = needed(roots, marker_environment(python, platform), requires) - {"hw6lib"}
    result = PairResult(python, platform)
    result.no_wheel = {n: v for n, v in missing.items() if n in need}
    result.source_builds = sorted(need & set(SOURCE_BUILDS))
    result.unpinned = sorted(need - set(pins))
    result.wheels = len(need & set(found))
    return result


def check_all(
    pairs: Iterable[tuple[str, str]] | None = None, workers: int = 8, **kwargs
) -> list[PairResult]:
    """:func:`check_pair` for every pair (all by default), ``workers`` pip calls at a time.

    Each pair is resolved with its platform's pins (:func:`pins_for`).
    """
    pairs = list(pairs or [(py, pl) for py in PYTHONS for pl in PLATFORMS])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_pair, py, pl, pins_for(pl), **kwargs) for py, pl in pairs]
        return [f.result() for f in futures]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-url", default=PYPI)
    args = parser.parse_args(argv)
    results = check_all(index_url=args.index_url)
    bad = []
    for r in results:
        builds = ", ".join(f"{n}=={v}" for n, v in sorted(r.no_wheel.items())) or "none"
        allowed = ", ".join(r.source_builds)
        print(
            f"Python {r.python:5} {r.platform:14} wheels {r.wheels:3}  without a wheel: {builds}"
            f"  (not asked, may be built: {allowed})"
        )
        bad += r.defects()
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
