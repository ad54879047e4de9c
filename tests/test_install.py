"""First install: the torch variant, the Python check, .venv rebuilds, clean and distclean,
and the packaging details (LICENSE, one version, no unused dependency)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import hw6lib

REPO = Path(__file__).resolve().parents[1]


def _load_tool():
    spec = importlib.util.spec_from_file_location("torch_variant", REPO / "tools/torch_variant.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


tv = _load_tool()


# ---- which torch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "nvidia", "system", "variant"),
    [
        ("auto", False, "Linux", "cpu"),
        ("auto", True, "Linux", "cuda"),
        ("auto", False, "Windows", "cpu"),
        ("auto", True, "Windows", "cuda"),
        ("auto", False, "Darwin", "cpu"),
        ("auto", True, "Darwin", "cpu"),
        ("cpu", True, "Linux", "cpu"),
        ("cuda", False, "Linux", "cuda"),
        ("cpu", False, "Darwin", "cpu"),
    ],
)
def test_choose_variant(requested: str, nvidia: bool, system: str, variant: str) -> None:
    got, why = tv.choose_variant(requested, nvidia, system)
    assert got == variant
    assert why


@pytest.mark.parametrize(("requested", "system"), [("gpu", "Linux"), ("cuda", "Darwin")])
def test_choose_variant_refuses(requested: str, system: str) -> None:
    with pytest.raises(ValueError, match=f"TORCH={requested}"):
        tv.choose_variant(requested, False, system)


def test_driver_detection(tmp_path: Path) -> None:
    nothing = tmp_path / "absent"
    assert not tv.has_nvidia_driver(lambda name: None, nothing)
    assert tv.has_nvidia_driver(lambda name: "/usr/bin/nvidia-smi", nothing)
    module = tmp_path / "nvidia"
    module.mkdir()
    assert tv.has_nvidia_driver(lambda name: None, module)


TARGETS = ["-e", ".[workflow,test]"]


def _cmd(variant: str, cpu_index: bool, system: str = "Linux") -> list[str]:
    return tv.pip_command("py", variant, cpu_index, system, "2.13.0", TARGETS)


def test_pip_command_cpu_from_the_cpu_index() -> None:
    cmd = _cmd("cpu", True)
    assert cmd[:4] == ["py", "-m", "pip", "install"]
    assert "--quiet" not in cmd and "-q" not in cmd  # the first install shows its progress
    i = cmd.index("--extra-index-url")
    assert cmd[i + 1] == "https://download.pytorch.org/whl/cpu"
    assert "--index-url" not in cmd  # PyPI stays the main index for everything else
    assert "torch==2.13.0+cpu" in cmd
    assert cmd[cmd.index("-c") + 1] == "constraints.txt"
    assert "constraints-cuda.txt" not in cmd
    assert cmd[-2:] == TARGETS


def test_pip_command_cpu_falls_back_to_pypi() -> None:
    cmd = _cmd("cpu", False)
    assert "--extra-index-url" not in cmd and "--index-url" not in cmd
    assert "torch==2.13.0" in cmd
    assert cmd[-2:] == TARGETS


def test_pip_command_cpu_on_macos_uses_pypi() -> None:
    cmd = _cmd("cpu", True, "Darwin")
    assert "--extra-index-url" not in cmd and "torch==2.13.0" in cmd


def test_pip_command_cuda_is_pinned_exactly() -> None:
    cmd = _cmd("cuda", False)
    constraints = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-c"]
    assert constraints == ["constraints.txt", "constraints-cuda.txt"]
    assert "torch==2.13.0" in cmd and "--extra-index-url" not in cmd


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_index_is_reported_as_such() -> None:
    """One attempt, no retries (the address refuses the connection at once)."""
    assert not tv.index_reachable(f"http://127.0.0.1:{_closed_port()}/whl/cpu", timeout=2)
    assert not tv.index_reachable("not a url", timeout=2)


def test_install_falls_back_to_pypi_in_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    calls = []
    monkeypatch.setattr(tv, "index_reachable", lambda *a, **k: False)
    monkeypatch.setattr(tv, "has_nvidia_driver", lambda *a, **k: False)
    monkeypatch.setattr(tv.platform, "system", lambda: "Linux")
    monkeypatch.setattr(tv.subprocess, "call", lambda cmd, cwd: calls.append(cmd) or 0)
    record = tmp_path / "stamp"
    assert tv.main(["install", "--torch", "auto", "--record", str(record), "--", *TARGETS]) == 0
    out = capsys.readouterr().out.splitlines()
    fallback = [line for line in out if "cannot be reached" in line]
    assert len(fallback) == 1 and fallback[0].startswith("hw6: https://download.pytorch.org")
    assert "installing torch from PyPI" in fallback[0]
    (cmd,) = calls
    assert (
        "--extra-index-url" not in cmd
        and f"torch=={tv.pinned_torch(REPO / 'constraints.txt')}" in cmd
    )
    assert record.read_text() == "cpu\n"


def test_install_with_a_driver_takes_cuda(monkeypatch, capsys) -> None:
    calls = []
    monkeypatch.setattr(tv, "index_reachable", lambda *a, **k: pytest.fail("not asked for CUDA"))
    monkeypatch.setattr(tv, "has_nvidia_driver", lambda *a, **k: True)
    monkeypatch.setattr(tv.platform, "system", lambda: "Linux")
    monkeypatch.setattr(tv.subprocess, "call", lambda cmd, cwd: calls.append(cmd) or 0)
    assert tv.main(["install", "--", *TARGETS]) == 0
    assert "constraints-cuda.txt" in calls[0]
    assert "cuda build (an NVIDIA driver was found" in capsys.readouterr().out


def test_both_variants_are_pinned_exactly() -> None:
    cpu = (REPO / "constraints.txt").read_text().splitlines()
    cuda = (REPO / "constraints-cuda.txt").read_text().splitlines()
    pins = [line for line in cpu + cuda if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", p) for p in pins), pins
    names = [tv._norm(p.split("==")[0]) for p in pins]
    assert len(names) == len(set(names)), "a package pinned twice"
    assert tv.pinned_torch(REPO / "constraints.txt") == "2.13.0"
    cuda_names = set(names[len([p for p in cpu if p and not p.startswith("#")]) :])
    assert {"nvidia-cublas", "nvidia-cudnn-cu13", "nvidia-nccl-cu13"} <= cuda_names
    assert "triton" in names  # in constraints.txt (the tests' extra) or the CUDA pins


def test_cuda_pins_from_a_pip_report() -> None:
    report = {
        "install": [
            {"metadata": {"name": "torch", "version": "2.13.0"}},
            {"metadata": {"name": "nvidia_cublas", "version": "13.1"}},
            {"metadata": {"name": "Triton", "version": "3.7.1"}},
        ]
    }
    assert tv.cuda_pins(report, ["torch==2.13.0", "numpy==2.4.6"]) == [
        "nvidia_cublas==13.1",
        "Triton==3.7.1",
    ]


# ---- the Makefile: Python check, rebuild, clean -----------------------------------------------

MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")

FAKE_PYTHON = """#!/bin/sh
# a stand-in for an old interpreter: answers the Makefile's two version questions
case "$2" in
  *">= (3, 11)"*) echo 0 ;;
  *%d.%d.%d*) echo 3.9.18 ;;
  *) echo 3.9 ;;
esac
"""


def _project(tmp_path: Path) -> Path:
    """The files the Makefile's env target depends on, in a scratch folder."""
    root = tmp_path / "proj"
    (root / "tools").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "constraints-cuda.txt"):
        shutil.copy(REPO / name, root / name)
    shutil.copy(REPO / "tools/torch_variant.py", root / "tools/torch_variant.py")
    fake = tmp_path / "python3.9"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return root


def _make(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAKE, "-C", str(root), "--no-print-directory", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_make
def test_old_python_is_refused_in_one_line_before_venv_is_made(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = _make(root, f"PYTHON={tmp_path / 'python3.9'}", "env")
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hw6:")]
    assert len(lines) == 1, proc.stderr
    assert str(tmp_path / "python3.9") in lines[0]
    assert "is Python 3.9.18; 3.11 or newer is needed" in lines[0]
    assert "make PYTHON=/path/to/python3.11 run" in lines[0]
    assert not (root / ".venv").exists()


def _fake_venv(root: Path, python: Path) -> None:
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(python)
    (root / ".venv" / ".hw6-installed").write_text("cpu\n")  # newer than the project files


@needs_make
def test_venv_of_a_wrong_interpreter_is_rebuilt(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _fake_venv(root, tmp_path / "python3.9")
    proc = _make(root, "-n", "env")  # what make would do
    assert proc.returncode == 0, proc.stderr
    assert "hw6: .venv was made by Python 3.9; rebuilding it" in proc.stdout
    assert "rm -rf .venv" in proc.stdout


@needs_make
def test_good_venv_is_kept_and_other_python_on_the_command_line_rebuilds(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _fake_venv(root, Path(sys.executable))
    assert _make(root, "-q", "env").returncode == 0  # up to date: nothing to do
    proc = _make(root, "-n", f"PYTHON={tmp_path / 'python3.9'}", "env")
    made_by = "Python {}.{}".format(*sys.version_info[:2])  # the interpreter of the fake .venv
    assert f"was made by {made_by}, not by {tmp_path / 'python3.9'}; rebuilding" in proc.stdout
    # asking for the variant it has changes nothing; the other one reinstalls
    assert _make(root, "-q", "TORCH=cpu", "env").returncode == 0
    proc = _make(root, "-n", "TORCH=cuda", "env")
    assert "torch_variant.py install --torch cuda" in proc.stdout


@needs_make
def test_clean_keeps_venv_and_says_so_distclean_removes_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _fake_venv(root, Path(sys.executable))
    (root / "results").mkdir()
    proc = _make(root, "clean")
    assert proc.returncode == 0
    assert "kept .venv" in proc.stdout and "make distclean" in proc.stdout
    assert (root / ".venv").exists() and not (root / "results").exists()
    assert _make(root, "distclean").returncode == 0
    assert not (root / ".venv").exists()


def test_the_install_prints_progress() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "--quiet" not in makefile and " -q " not in makefile
    assert "PYTHON" in (REPO / "README.md").read_text()


# ---- packaging -------------------------------------------------------------------------------

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_license_file_matches_pyproject() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


def test_one_source_for_the_version() -> None:
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hw6lib.__version__"}
    assert metadata.version("hw6lib") == hw6lib.__version__


def test_report_extra_is_declared() -> None:
    workflow = PYPROJECT["project"]["optional-dependencies"]["workflow"]
    assert any(dep.startswith("snakemake[reports]") for dep in workflow)
    assert any(line.lower().startswith("pygments==") for line in _pins())


def _pins() -> list[str]:
    return (REPO / "constraints.txt").read_text().splitlines()


def test_pyarrow_is_neither_required_nor_used() -> None:
    deps = PYPROJECT["project"]["dependencies"]
    assert not any(d.startswith("pyarrow") for d in deps)
    assert not any(p.startswith("pyarrow==") for p in _pins())
    for folder in ("src", "workflow", "tests", "bench", "tools"):
        for path in (REPO / folder).rglob("*.py"):
            if path == Path(__file__):
                continue
            text = path.read_text()
            assert not re.search(r"\bimport pyarrow|\bfrom pyarrow|engine=.pyarrow", text), path
