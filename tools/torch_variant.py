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
import sysconfig
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
    if variant == "cuda" or (system != "Darwin" and not cpu_index):
        # PyPI's torch for Linux is the CUDA build: its CUDA libraries are pinned too
        cmd += ["-c", cuda_constraints, f"torch=={torch_version}"]
    elif system != "Darwin" and cpu_index:
        # both indexes in one resolve: torch's CPU build from PyTorch's, the rest from PyPI
        cmd += ["--extra-index-url", CPU_INDEX, f"torch=={torch_version}+cpu"]
    else:
        cmd += [f"torch=={torch_version}"]
    return [*cmd, *targets]


#: Pinned packages that may be built from source without a C compiler, and why.
SOURCE_BUILDS: dict[str, str] = {
    "connection-pool": "published only as a source distribution; pure Python",
    "immutables": (
        "0.21 (the newest release) has no wheel for Python 3.14; its C extension is optional "
        "(immutables/__init__.py falls back to immutables/map.py), so where no wheel exists "
        "it is built without the extension (build_without_extension)"
    ),
}
#: Platforms (``platform_name()``) where the pinned environment cannot be installed at all.
UNSUPPORTED: dict[str, str] = {
    "macOS x86_64": (
        "PyTorch has published no build for Intel Macs since torch 2.2.2, and torch is pinned at "
        "{torch}: run the project on Linux (or WSL), on an Apple-silicon Mac, or on a cluster"
    ),
}


def platform_name(system: str | None = None, machine: str | None = None) -> str:
    """``"Linux x86_64"``, ``"Linux aarch64"``, ``"macOS arm64"``, ``"macOS x86_64"``, ..."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "arm64": "arm64" if system == "Darwin" else "aarch64"}.get(
        machine, machine
    )
    return f"{'macOS' if system == 'Darwin' else system} {machine}"


def find_compiler(
    system: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
    headers: Path | None = None,
) -> str | None:
    """The C compiler a source build would use, or None where it (or Python.h) is missing.

    On macOS ``/usr/bin/cc`` exists without Xcode's command-line tools (it only offers to
    install them), so there the tools themselves are asked for (``xcode-select -p``).
    """
    system = system or platform.system()
    if system == "Darwin":
        try:
            found = subprocess.run(["xcode-select", "-p"], capture_output=True, check=False)
        except OSError:
            return None
        return which("clang") if found.returncode == 0 else None
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc")
    compiler = which(cc.split()[0]) or which("cc") or which("gcc")
    include = headers or Path(sysconfig.get_paths()["include"])
    return compiler if compiler and (include / "Python.h").exists() else None


def compiler_command(system: str, os_release: Path = Path("/etc/os-release")) -> str:
    """The platform's command that installs a C compiler and Python's headers."""
    if system == "Darwin":
        return "xcode-select --install"
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        text = ""
    ids = " ".join(re.findall(r"^ID(?:_LIKE)?=\"?([^\"\n]*)", text, re.MULTILINE)).split()
    py = "python{}.{}".format(*sys.version_info[:2])
    for names, command in (
        (("debian", "ubuntu"), f"sudo apt install build-essential {py}-dev"),
        (("fedora", "rhel", "centos"), "sudo dnf install gcc python3-devel"),
        (("arch",), "sudo pacman -S base-devel"),
        (("suse", "opensuse"), "sudo zypper install gcc python3-devel"),
        (("alpine",), "apk add build-base python3-dev"),
    ):
        if any(i in names for i in ids):
            return command
    return "install gcc (or clang) and Python's C headers with the system's package manager"


_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9._\-]+)(?:==(\S+))?")
#: a pinned dependency without a wheel shows as a conflict with its constraint
_CONFLICT = re.compile(r"The user requested \(constraint\) ([A-Za-z0-9._\-]+)==(\S+)")
_UNREACHABLE = ("Could not fetch URL", "NewConnectionError", "Max retries exceeded")


def parse_missing(output: str) -> tuple[str, str] | None:
    """The package a failed wheels-only resolve names (``(name, version)``), or None.

    pip names a requirement without a wheel as "No matching distribution found for X"; a
    dependency without a wheel, pinned by a constraint, as a conflict that "The user requested
    (constraint) X==V" (pip prints that explanation only without ``--quiet``).
    """
    if any(s in output for s in _UNREACHABLE):
        return None
    m = _NO_MATCH.search(output) or _CONFLICT.search(output)
    return (m.group(1), m.group(2) or "") if m else None


def missing_wheel(cmd: Sequence[str], allow_source: Sequence[str]) -> tuple[str, str] | None:
    """Resolve ``cmd`` (a pip install command) with wheels only, in dry-run mode.

    Returns
    -------
    (name, version) or None
        The first package pip finds no wheel for (version "" when pip names none), or None
        when every package has one, or when the check cannot tell (the index cannot be
        reached, or pip fails for another reason: the install then shows pip's own error).
    """
    i = cmd.index("install") + 1
    check = [*cmd[:i], "--dry-run", "--only-binary=:all:"]
    for name in allow_source:
        check += ["--no-binary", name]
    proc = subprocess.run([*check, *cmd[i:]], capture_output=True, text=True, cwd=ROOT)
    return None if proc.returncode == 0 else parse_missing(proc.stdout + proc.stderr)


def build_without_extension(
    python: str, name: str, version: str, dest: Path, pip_options: Sequence[str] = ()
) -> Path:
    """A pure-Python wheel of ``name==version`` in ``dest``, built from its sdist.

    For packages whose C extension is optional (:data:`SOURCE_BUILDS`): the sdist's
    ``setup.py`` only adds the extension, so it is replaced by one that adds nothing; the
    metadata comes from the sdist's own ``pyproject.toml``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        get = [python, "-m", "pip", "download", "--disable-pip-version-check", "--quiet"]
        get += ["--no-deps", "--no-binary", ":all:", *pip_options, f"{name}=={version}", "-d", tmp]
        subprocess.run(get, check=True)
        (sdist,) = Path(tmp).glob("*.tar.gz")
        shutil.unpack_archive(sdist, tmp)
        src = next(p for p in Path(tmp).iterdir() if p.is_dir())
        (src / "setup.py").write_text(
            f"import setuptools\n\nsetuptools.setup(version={version!r})\n", encoding="utf-8"
        )
        dest.mkdir(parents=True, exist_ok=True)
        build = [python, "-m", "pip", "wheel", "--disable-pip-version-check", "--quiet"]
        subprocess.run([*build, "--no-deps", *pip_options, "-w", str(dest), str(src)], check=True)
    (wheel,) = dest.glob(f"{name}-{version}-*.whl")
    if not wheel.name.endswith("-py3-none-any.whl"):
        raise RuntimeError(f"{wheel.name} is not a pure-Python wheel")
    return wheel


def preflight(cmd: list[str], where: str, system: str, wheels: Path) -> int:
    """Stop before pip, in one line, where a package needs a C compiler that is missing.

    Asks pip (dry run, wheels only, the same indexes as the install) for the first package
    without a wheel for this interpreter, and deals with it: a pure-Python source build is
    allowed; a package with an optional C extension is built without it into ``wheels`` (added
    to ``cmd`` as ``--find-links``); any other package is built by pip where a compiler is
    found, and otherwise the set-up stops. Returns 0 to go on, 3 to stop.
    """
    allow: list[str] = [n for n, why in SOURCE_BUILDS.items() if "pure Python" in why]
    for _ in range(10):
        found = missing_wheel(cmd, allow)
        if found is None:
            return 0
        name, version = found
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in allow:  # pip names it although it may be built: let pip show why
            return 0
        if key in SOURCE_BUILDS and version:
            print(
                f"hw6: {name} {version} has no wheel for {where}; building it without its "
                "optional C extension (pure Python, no compiler needed)",
                flush=True,
            )
            build_without_extension(cmd[0], name, version, wheels)
            cmd[cmd.index("install") + 1 : cmd.index("install") + 1] = ["--find-links", str(wheels)]
            continue
        compiler = find_compiler(system)
        if compiler:
            print(
                f"hw6: {name} {version} has no wheel for {where}; pip builds it from source "
                f"with {compiler}",
                flush=True,
            )
            allow.append(key)
            continue
        # 3.11 to 3.13 have a wheel of every pin (tests/test_wheels.py)
        other = "make PYTHON=/path/to/python{} run".format(
            "3.12" if sys.version_info[:2] == (3, 13) else "3.13"
        )
        print(
            f"hw6: {name} {version} has no wheel for {where} and needs a C compiler, which "
            f"was not found: install one ({compiler_command(system)}) or name an interpreter "
            f"that has wheels ({other})",
            file=sys.stderr,
            flush=True,
        )
        return 3
    return 0


def installed_torch(python: str) -> tuple[str, str | None] | None:
    """``(torch.__version__, torch.version.cuda)`` as the environment's interpreter sees them."""
    code = "import json, torch; print(json.dumps([torch.__version__, torch.version.cuda]))"
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    version, cuda = json.loads(proc.stdout.strip().splitlines()[-1])
    return version, cuda


def torch_report(chosen: str, got: tuple[str, str | None], cpu_index: bool) -> tuple[str, str]:
    """The build torch reports (``cpu`` or ``cuda``) and the one line that says so.

    Where it differs from ``chosen``, the line says why and how to get the chosen one.
    """
    version, cuda = got
    build = "cuda" if cuda else "cpu"
    line = f"hw6: installed torch {version}, " + (f"CUDA {cuda} build" if cuda else "CPU build")
    if build == chosen:
        return build, line
    if chosen == "cpu" and not cpu_index:
        why = "PyTorch's CPU index could not be reached, and PyPI's torch is the CUDA build"
    else:
        why = (
            f"torch=={version.split('+')[0]} was satisfied first by the torch already in the "
            "environment, a wheel folder or extra index in pip's configuration, or pip's cache"
        )
    # PIP_CONFIG_FILE=/dev/null: --isolated alone still reads the global configuration files
    force = f"PIP_CONFIG_FILE=/dev/null {sys.executable} -m pip install --isolated "
    force += "--no-cache-dir --force-reinstall "
    if chosen == "cuda":
        force += f"-c constraints.txt -c constraints-cuda.txt torch=={version.split('+')[0]}"
    else:
        force += f"--no-deps --index-url {CPU_INDEX} torch=={version.split('+')[0]}+cpu"
    return build, f"{line}, not the {chosen} build chosen: {why}; to force it: {force}"


def install(args: argparse.Namespace) -> int:
    """Decide, say what in one line, check for wheels, run pip and say which torch it got."""
    system = platform.system()
    version = pinned_torch(ROOT / "constraints.txt")
    where = "Python {}.{} on {}".format(*sys.version_info[:2], platform_name())
    if platform_name() in UNSUPPORTED:
        print(
            f"hw6: {where} is not supported: " + UNSUPPORTED[platform_name()].format(torch=version),
            file=sys.stderr,
        )
        return 3
    try:
        variant, why = choose_variant(args.torch, has_nvidia_driver(), system)
    except ValueError as err:
        print(f"hw6: {err}", file=sys.stderr)
        return 2
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
    if args.check_wheels:
        with tempfile.TemporaryDirectory() as wheels:
            rc = preflight(cmd, where, system, Path(wheels))
            if rc:
                return rc
            rc = _run_pip(cmd)
    else:
        rc = _run_pip(cmd)
    if rc != 0:
        return rc
    got = installed_torch(sys.executable)
    if got is None:
        print("hw6: torch was installed but cannot be imported", file=sys.stderr)
        return 1
    build, line = torch_report(variant, got, cpu_index)
    print(line, flush=True)
    if args.record:
        Path(args.record).write_text(f"{build} torch=={got[0]}\n", encoding="utf-8")
    return 0


def _run_pip(cmd: list[str]) -> int:
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


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
    p.add_argument(
        "--record", help="after a good install, write the torch build installed to this file"
    )
    p.add_argument(
        "--no-check-wheels",
        dest="check_wheels",
        action="store_false",
        help="skip the dry run that looks for packages without a wheel before installing",
    )
    p.add_argument("targets", nargs="+", help="pip install arguments, e.g. -e '.[test]'")
    p.set_defaults(func=install)
    c = sub.add_parser("pin-cuda", help="write constraints-cuda.txt")
    c.add_argument("--output", default=str(ROOT / "constraints-cuda.txt"))
    c.set_defaults(func=pin_cuda)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
