"""Install the project into ``.venv`` with the right build of torch (used by ``make env``).

PyPI's torch for Linux x86_64 is the CUDA build (about 2.7 GB with its NVIDIA libraries); a
machine without an NVIDIA driver needs only the CPU build (about 190 MB) from PyTorch's CPU
wheel index. This script decides which (``cpu`` or ``cuda``; ``make TORCH=cpu|cuda`` overrides
the guess), builds the pip command and runs it. When the CPU index cannot be reached (CI and
some networks reach only PyPI), it says so in one line and installs from PyPI instead.

Both variants are exact: ``constraints.txt`` pins every package of the CPU variant, and
``constraints-cuda.txt`` the CUDA variant's extra packages (``python tools/torch_variant.py
pin-cuda`` regenerates it with ``pip install --isolated --dry-run --report``).

Not part of the science: nothing under ``src/`` imports it. It runs with the interpreter of the
new virtual environment and uses the standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

#: PyTorch's index of CPU-only wheels.
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: Seconds to wait for the CPU index before falling back to PyPI (one try, no retries).
PROBE_TIMEOUT = 5.0
VARIANTS = ("auto", "cpu", "cuda")
ROOT = Path(__file__).resolve().parents[1]


def has_nvidia_driver(
    which: Callable[[str], str | None] = shutil.which,
    proc: Path = Path("/proc/driver/nvidia"),
) -> bool:
    """Whether an NVIDIA driver is installed: ``nvidia-smi`` on the PATH or the kernel module."""
    return which("nvidia-smi") is not None or proc.exists()


def choose_variant(requested: str, nvidia: bool, system: str) -> tuple[str, str]:
    """The torch variant to install, and why (for the one line printed).

    Parameters
    ----------
    requested : {"auto", "cpu", "cuda"}
        ``TORCH`` from make; ``auto`` guesses from the driver.
    nvidia : bool
        Whether an NVIDIA driver was found (:func:`has_nvidia_driver`).
    system : str
        ``platform.system()``: on macOS PyPI's torch is already the CPU (and Apple GPU) build.

    Returns
    -------
    variant : {"cpu", "cuda"}
    reason : str

    Raises
    ------
    ValueError
        An unknown request, or ``cuda`` on macOS (no CUDA build exists there).
    """
    if requested not in VARIANTS:
        raise ValueError(f"TORCH={requested}: use one of {', '.join(VARIANTS)}")
    if requested == "cuda" and system == "Darwin":
        raise ValueError("TORCH=cuda: there is no CUDA build of torch for macOS; use TORCH=cpu")
    if requested != "auto":
        return requested, f"TORCH={requested} was given"
    if system == "Darwin":
        return "cpu", "macOS"
    if nvidia:
        return "cuda", "an NVIDIA driver was found; TORCH=cpu for the small CPU build"
    return "cpu", "no NVIDIA driver found; TORCH=cuda for the CUDA build"


def index_reachable(url: str = CPU_INDEX, timeout: float = PROBE_TIMEOUT) -> bool:
    """One quick request to ``url`` (no retries): whether the index answers."""
    try:
        with urllib.request.urlopen(f"{url}/torch/", timeout=timeout) as resp:
            return 200 <= resp.status < 400
    except (OSError, ValueError):  # URLError and timeouts are OSErrors
        return False


def pinned_torch(constraints: Path) -> str:
    """The torch version pinned in ``constraints`` (e.g. ``"2.13.0"``)."""
    m = re.search(r"^torch==([^\s#+]+)", constraints.read_text(encoding="utf-8"), re.MULTILINE)
    if not m:
        raise ValueError(f"{constraints}: no torch==VERSION line")
    return m.group(1)


def pip_command(
    python: str,
    variant: str,
    cpu_index: bool,
    system: str,
    torch_version: str,
    targets: Sequence[str],
    constraints: Sequence[str] = ("constraints.txt",),
    cuda_constraints: str = "constraints-cuda.txt",
) -> list[str]:
    """The pip command that installs ``targets`` with the chosen torch.

    Parameters
    ----------
    python : str
        The virtual environment's interpreter.
    variant : {"cpu", "cuda"}
    cpu_index : bool
        Whether PyTorch's CPU index answered (only asked for the CPU variant off macOS).
    system : str
        ``platform.system()``.
    torch_version : str
        The pinned version (:func:`pinned_torch`).
    targets : sequence of str
        What to install, e.g. ``["-e", ".[workflow,test]"]``.
    constraints : sequence of str
        Constraint files of both variants.
    cuda_constraints : str
        The CUDA variant's extra pins.

    Returns
    -------
    list of str
        Without ``--quiet``: pip shows each download and its progress.
    """
    cmd = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    for c in constraints:
        cmd += ["-c", c]
    if variant == "cuda":
        cmd += ["-c", cuda_constraints, f"torch=={torch_version}"]
    elif system != "Darwin" and cpu_index:
        # both indexes in one resolve: torch's CPU build from PyTorch's, the rest from PyPI
        cmd += ["--extra-index-url", CPU_INDEX, f"torch=={torch_version}+cpu"]
    else:
        cmd += [f"torch=={torch_version}"]
    return [*cmd, *targets]


def install(args: argparse.Namespace) -> int:
    """Decide, say what in one line, and run pip."""
    try:
        variant, why = choose_variant(args.torch, has_nvidia_driver(), platform.system())
    except ValueError as err:
        print(f"hw6: {err}", file=sys.stderr)
        return 2
    system = platform.system()
    version = pinned_torch(ROOT / "constraints.txt")
    print(f"hw6: torch {version}, {variant} build ({why})", flush=True)
    cpu_index = False
    if variant == "cpu" and system != "Darwin":
        cpu_index = index_reachable()
        if not cpu_index:
            print(
                f"hw6: {CPU_INDEX} cannot be reached; installing torch from PyPI instead "
                "(on Linux x86_64 that is the CUDA build, about 2.7 GB)",
                flush=True,
            )
    cmd = pip_command(sys.executable, variant, cpu_index, system, version, args.targets)
    print(" ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc == 0 and args.record:
        Path(args.record).write_text(f"{variant}\n", encoding="utf-8")
    return rc


def cuda_pins(report: dict, cpu_pins: Sequence[str]) -> list[str]:
    """``name==version`` of every package in a pip ``--report`` that ``cpu_pins`` lacks."""
    have = {_norm(line.split("==")[0]) for line in cpu_pins if "==" in line}
    out = []
    for item in report["install"]:
        meta = item["metadata"]
        if _norm(meta["name"]) not in have:
            out.append(f"{meta['name']}=={meta['version']}")
    return sorted(out, key=str.lower)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def pin_cuda(args: argparse.Namespace) -> int:
    """Resolve PyPI's torch (the CUDA build) and write its extra packages' pins.

    ``--isolated`` ignores pip's configuration files and environment variables, so the resolve
    sees pip's default index (PyPI) only, not local wheel folders or extra indexes.
    """
    constraints = ROOT / "constraints.txt"
    version = pinned_torch(constraints)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check",
            "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
            "-c", str(constraints), f"torch=={version}",
        ]  # fmt: skip
        subprocess.run(cmd, check=True)
        pins = cuda_pins(json.loads(report.read_text()), constraints.read_text().splitlines())
    header = [
        "# The CUDA variant's packages beyond constraints.txt: PyPI's torch for Linux x86_64",
        "# (pip constraints; `make TORCH=cuda`, or the default where an NVIDIA driver is found).",
        "# Regenerate on Linux x86_64 with: .venv/bin/python tools/torch_variant.py pin-cuda",
        f"# (pip install --isolated --dry-run --report of torch=={version}, PyPI only).",
    ]
    Path(args.output).write_text("\n".join(header + pins) + "\n", encoding="utf-8")
    print(f"wrote {args.output}: {len(pins)} pins")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install", help="pip install TARGETS with the chosen torch")
    p.add_argument("--torch", default=os.environ.get("TORCH", "auto"), choices=VARIANTS)
    p.add_argument("--record", help="after a good install, write the variant to this file")
    p.add_argument("targets", nargs="+", help="pip install arguments, e.g. -e '.[test]'")
    p.set_defaults(func=install)
    c = sub.add_parser("pin-cuda", help="write constraints-cuda.txt")
    c.add_argument("--output", default=str(ROOT / "constraints-cuda.txt"))
    c.set_defaults(func=pin_cuda)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
