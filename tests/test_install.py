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
import zipfile
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
    monkeypatch.setattr(tv, "missing_wheel", lambda *a: None)
    monkeypatch.setattr(tv, "installed_torch", lambda python: ("2.13.0", "13.0"))
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
    # PyPI's torch is the CUDA build: said so, and recorded as installed, not as asked
    (line,) = [x for x in out if x.startswith("hw6: installed torch")]
    assert "2.13.0, CUDA 13.0 build, not the cpu build chosen" in line
    assert "CPU index could not be reached" in line and "--force-reinstall" in line
    assert record.read_text() == "cuda torch==2.13.0\n"


def test_install_with_a_driver_takes_cuda(monkeypatch, capsys) -> None:
    calls = []
    monkeypatch.setattr(tv, "index_reachable", lambda *a, **k: pytest.fail("not asked for CUDA"))
    monkeypatch.setattr(tv, "has_nvidia_driver", lambda *a, **k: True)
    monkeypatch.setattr(tv.platform, "system", lambda: "Linux")
    monkeypatch.setattr(tv.subprocess, "call", lambda cmd, cwd: calls.append(cmd) or 0)
    monkeypatch.setattr(tv, "missing_wheel", lambda *a: None)
    monkeypatch.setattr(tv, "installed_torch", lambda python: ("2.13.0", "13.0"))
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


# ---- what the set-up checks before and after pip ------------------------------------------------


def _standin_sdist(folder: Path, name: str = "standin", version: str = "1.0") -> Path:
    """A source distribution with a C extension (its C file does not compile: any build of
    the extension fails, with or without a compiler)."""
    src = folder / "src" / f"{name}-{version}"
    (src / name).mkdir(parents=True)
    (src / name / "__init__.py").write_text(
        "try:\n    from ._c import f\nexcept ImportError:\n    f = None\n"
    )
    (src / name / "_c.c").write_text("#error a compiler was asked for\n")
    (src / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\ndynamic = ["version"]\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (src / "setup.py").write_text(
        "import setuptools\n\nsetuptools.setup(version='1.0', ext_modules=[setuptools.Extension"
        f"('{name}._c', ['{name}/_c.c'])])\n"
    )
    dist = folder / "dist"
    dist.mkdir()
    shutil.make_archive(str(dist / f"{name}-{version}"), "gztar", src.parent, src.name)
    return dist


def _local_pip(dist: Path, *reqs: str) -> list[str]:
    return [sys.executable, "-m", "pip", "install", "--isolated", "--no-index",
            "--find-links", str(dist), *reqs]  # fmt: skip


def test_a_package_without_a_wheel_is_found_before_pip(tmp_path: Path) -> None:
    """A real dry run of pip, wheels only, on a local folder holding only a source
    distribution for the running interpreter."""
    dist = _standin_sdist(tmp_path)
    assert tv.missing_wheel(_local_pip(dist, "standin==1.0"), []) == ("standin", "1.0")


CONFLICT = """\
The conflict is caused by:
    sqlalchemy 2.0.58 depends on greenlet>=1; platform_machine == "aarch64"
    The user requested (constraint) greenlet==1.1.0
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/
"""


@pytest.mark.parametrize(
    ("output", "found"),
    [("ERROR: No matching distribution found for standin==1.0\n", ("standin", "1.0")),
     ("ERROR: No matching distribution found for greenlet>=1\n", ("greenlet", "")),
     (CONFLICT, ("greenlet", "1.1.0")),
     ("WARNING: Retrying ... NewConnectionError ...\nERROR: No matching distribution found "
      "for numpy==2.4.6\n", None),
     ("ERROR: something else\n", None)],
)  # fmt: skip
def test_what_pip_names_as_without_a_wheel(output: str, found) -> None:
    """A pinned dependency without a wheel is reported by pip as a conflict (seen with
    greenlet==1.1.0 on Python 3.11: no --quiet, or the explanation is not printed)."""
    assert tv.parse_missing(output) == found


def test_missing_wheel_and_compiler_stop_in_one_line_before_pip(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    monkeypatch.setattr(tv, "missing_wheel", lambda cmd, allow: ("standin", "1.0"))
    monkeypatch.setattr(tv, "find_compiler", lambda system: None)
    monkeypatch.setattr(tv, "platform_name", lambda: "Linux x86_64")
    monkeypatch.setattr(tv.platform, "system", lambda: "Linux")
    monkeypatch.setattr(tv, "index_reachable", lambda *a, **k: True)
    monkeypatch.setattr(tv.subprocess, "call", lambda *a, **k: pytest.fail("pip was run"))
    record = tmp_path / "stamp"
    assert tv.main(["install", "--torch", "cpu", "--record", str(record), "--", *TARGETS]) == 3
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 1, err
    py = "{}.{}".format(*sys.version_info[:2])
    assert err[0].startswith(f"hw6: standin 1.0 has no wheel for Python {py} on Linux x86_64")
    assert "needs a C compiler, which was not found" in err[0]
    assert f"install one ({tv.compiler_command('Linux')})" in err[0]
    assert "name an interpreter that has wheels (make PYTHON=/path/to/python3." in err[0]
    assert not record.exists()


def test_a_compiler_lets_pip_build_it(monkeypatch, capsys) -> None:
    answers = iter([("standin", "1.0"), None])
    seen = []
    monkeypatch.setattr(
        tv, "missing_wheel", lambda cmd, allow: seen.append(list(allow)) or next(answers)
    )
    monkeypatch.setattr(tv, "find_compiler", lambda system: "/usr/bin/gcc")
    assert (
        tv.preflight(
            ["py", "-m", "pip", "install", "x"], "Python 3.14 on Linux aarch64", "Linux", Path("w")
        )
        == 0
    )
    assert "standin" in seen[-1]
    assert "pip builds it from source with /usr/bin/gcc" in capsys.readouterr().out


def test_an_optional_extension_is_left_out_instead(monkeypatch, tmp_path: Path) -> None:
    answers = iter([("immutables", "0.21"), None])
    built = []
    monkeypatch.setattr(tv, "missing_wheel", lambda cmd, allow: next(answers))
    monkeypatch.setattr(tv, "find_compiler", lambda system: pytest.fail("no compiler needed"))
    monkeypatch.setattr(tv, "build_without_extension", lambda *a: built.append(a))
    cmd = ["py", "-m", "pip", "install", "x"]
    assert tv.preflight(cmd, "Python 3.14 on macOS arm64", "Darwin", tmp_path) == 0
    assert built == [("py", "immutables", "0.21", tmp_path)]
    assert cmd == ["py", "-m", "pip", "install", "--find-links", str(tmp_path), "x"]


def test_build_without_extension_needs_no_compiler(tmp_path: Path) -> None:
    """The stand-in's extension cannot compile; built as is, it fails (checked first)."""
    dist = _standin_sdist(tmp_path)
    opts = ["--no-index", "--find-links", str(dist), "--no-build-isolation"]
    as_is = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *opts, "-w", str(tmp_path / "x"),
         "standin==1.0"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert as_is.returncode != 0
    wheel = tv.build_without_extension(sys.executable, "standin", "1.0", tmp_path / "w", opts)
    assert wheel.name == "standin-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        assert "standin/__init__.py" in z.namelist()
        assert not any(n.endswith((".so", ".c", ".pyd")) for n in z.namelist())


def test_intel_macs_stop_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(tv.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(tv.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(tv.subprocess, "call", lambda *a, **k: pytest.fail("pip was run"))
    assert tv.main(["install", "--", *TARGETS]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert "on macOS x86_64 is not supported: PyTorch has published no build" in line
    assert "torch 2.2.2" in line and "Linux (or WSL)" in line


@pytest.mark.parametrize(
    ("system", "machine", "name"),
    [("Linux", "x86_64", "Linux x86_64"), ("Linux", "aarch64", "Linux aarch64"),
     ("Linux", "arm64", "Linux aarch64"), ("Darwin", "arm64", "macOS arm64"),
     ("Darwin", "x86_64", "macOS x86_64")],
)  # fmt: skip
def test_platform_names(system: str, machine: str, name: str) -> None:
    assert tv.platform_name(system, machine) == name


def test_compiler_detection(tmp_path: Path) -> None:
    (tmp_path / "Python.h").write_text("")
    gcc = lambda name: "/usr/bin/gcc" if name in ("gcc", "cc") else None  # noqa: E731
    assert tv.find_compiler("Linux", gcc, tmp_path) == "/usr/bin/gcc"
    assert tv.find_compiler("Linux", lambda name: None, tmp_path) is None
    assert tv.find_compiler("Linux", gcc, tmp_path / "no-headers") is None


@pytest.mark.parametrize(
    ("release", "command"),
    [('ID=ubuntu\nID_LIKE=debian\n', "sudo apt install build-essential python3."),
     ('ID="fedora"\n', "sudo dnf install gcc python3-devel"),
     ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "sudo dnf install"),
     ("", "install gcc (or clang)")],
)  # fmt: skip
def test_compiler_command(tmp_path: Path, release: str, command: str) -> None:
    (tmp_path / "os-release").write_text(release)
    assert tv.compiler_command("Linux", tmp_path / "os-release").startswith(command)
    assert tv.compiler_command("Darwin") == "xcode-select --install"


@pytest.mark.parametrize(
    ("chosen", "got", "cpu_index", "build", "says"),
    [("cpu", ("2.13.0+cpu", None), True, "cpu", None),
     ("cuda", ("2.13.0", "13.0"), False, "cuda", None),
     ("cuda", ("2.13.0+cpu", None), False, "cpu", "already in the environment, a wheel folder"),
     ("cpu", ("2.13.0", "13.0"), False, "cuda", "CPU index could not be reached"),
     ("cpu", ("2.13.0", "13.0"), True, "cuda", "configuration, or pip's cache")],
)  # fmt: skip
def test_the_installed_torch_is_reported(chosen, got, cpu_index, build, says) -> None:
    got_build, line = tv.torch_report(chosen, got, cpu_index)
    assert got_build == build
    assert line.startswith(f"hw6: installed torch {got[0]}, ")
    assert ("CUDA 13.0 build" if got[1] else "CPU build") in line
    if says is None:
        assert "chosen" not in line
    else:
        assert f"not the {chosen} build chosen" in line and says in line
        assert "--force-reinstall" in line and f"torch=={got[0].split('+')[0]}" in line
        assert "PIP_CONFIG_FILE=/dev/null" in line and "--isolated" in line
        assert ("constraints-cuda.txt" in line) == (chosen == "cuda")
        assert ("--no-deps" in line) == (chosen == "cpu")  # the CUDA build brings libraries


def test_the_stamp_holds_what_was_installed(monkeypatch, capsys, tmp_path: Path) -> None:
    """TORCH=cuda, and a stand-in pip that left the CPU build."""
    monkeypatch.setattr(tv, "has_nvidia_driver", lambda *a, **k: True)
    monkeypatch.setattr(tv.platform, "system", lambda: "Linux")
    monkeypatch.setattr(tv, "platform_name", lambda: "Linux x86_64")
    monkeypatch.setattr(tv, "missing_wheel", lambda *a: None)
    monkeypatch.setattr(tv.subprocess, "call", lambda cmd, cwd: 0)
    monkeypatch.setattr(tv, "installed_torch", lambda python: ("2.13.0+cpu", None))
    record = tmp_path / "stamp"
    assert tv.main(["install", "--torch", "cuda", "--record", str(record), "--", *TARGETS]) == 0
    assert record.read_text() == "cpu torch==2.13.0+cpu\n"
    out = capsys.readouterr().out
    assert "torch 2.13.0, cuda build (TORCH=cuda was given)" in out
    assert "installed torch 2.13.0+cpu, CPU build, not the cuda build chosen" in out
    # torch that cannot be imported: no stamp
    record.unlink()
    monkeypatch.setattr(tv, "installed_torch", lambda python: None)
    assert tv.main(["install", "--torch", "cuda", "--record", str(record), "--", *TARGETS]) == 1
    assert not record.exists()


def test_installed_torch_asks_the_interpreter(tmp_path: Path) -> None:
    fake = tmp_path / "torch.py"
    fake.write_text("__version__ = '9.9.9+cpu'\nclass version:\n    cuda = None\n")
    py = tmp_path / "py"
    py.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path} exec {sys.executable} "$@"\n')
    py.chmod(0o755)
    assert tv.installed_torch(str(py)) == ("9.9.9+cpu", None)
    assert tv.installed_torch(str(tmp_path / "absent")) is None


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
    # what was installed, newer than the project files
    (root / ".venv" / ".hw6-installed").write_text("cpu torch==2.13.0+cpu\n")


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
