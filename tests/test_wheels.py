"""Every supported (interpreter, platform) pair installs the pinned environment from wheels, or
from a source build known not to need a compiler: pip's resolver, in dry-run mode against PyPI
(metadata only), for Python 3.11 to 3.14 on Linux x86_64/aarch64 and macOS arm64/x86_64.

The resolve of a pair is cached (pytest's cache, keyed by the pins, pyproject.toml,
tools/wheels.py and the names of the allowed source builds), so it runs again only when one of
them changes. The offline tests below
check, with stand-in wheels on a local index, that a pin without a wheel for one pair is
named."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import urllib.request
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / f"tools/{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


wh = _load("wheels")
PAIRS = [(py, pl) for py in wh.PYTHONS for pl in wh.PLATFORMS]


def _pypi_error() -> str | None:
    try:
        with urllib.request.urlopen(f"{wh.PYPI}/pip/", timeout=15) as resp:
            return None if 200 <= resp.status < 400 else f"HTTP {resp.status}"
    except OSError as err:
        return str(err)


@pytest.fixture(scope="module")
def resolved(request) -> dict[tuple[str, str], dict]:
    """Each pair's :class:`PairResult` as a dict, from the cache or from pip (in parallel)."""
    files = ("constraints.txt", "constraints-cuda.txt", "pyproject.toml", "tools/wheels.py")
    data = (
        b"".join((REPO / f).read_bytes() for f in files) + repr(sorted(wh.SOURCE_BUILDS)).encode()
    )
    key = hashlib.sha256(data).hexdigest()[:16]
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    out = {}
    for py, pl in PAIRS:
        hit = cache.get(f"hw6/wheels/{key}/{py}/{pl}", None) if cache else None
        if hit is not None:
            out[(py, pl)] = hit
    # only the pairs of the tests selected (``-k``) are resolved
    wanted = {
        (item.callspec.params["python"], item.callspec.params["platform"])
        for item in request.session.items
        if item.originalname == "test_every_pair_installs_without_a_compiler"
    }
    todo = [pair for pair in PAIRS if pair in wanted and pair not in out]
    if todo:
        error = _pypi_error()
        if error is not None:
            pytest.skip(f"{wh.PYPI} cannot be reached ({error}): wheels not checked")
        for result in wh.check_all(todo):
            out[(result.python, result.platform)] = asdict(result)
            if cache:
                cache.set(f"hw6/wheels/{key}/{result.python}/{result.platform}", asdict(result))
    return out


@pytest.mark.parametrize(("python", "platform"), PAIRS)
def test_every_pair_installs_without_a_compiler(resolved, python: str, platform: str) -> None:
    result = wh.PairResult(**resolved[(python, platform)])
    if platform in wh.UNSUPPORTED:
        # the set-up stops there in one line; the stop stays only while it is needed
        assert "torch" in result.no_wheel, f"{platform}: torch has a wheel now; lift the stop"
        return
    assert result.wheels > 50, result  # the pins were resolved, not skipped
    assert not result.defects(), "\n".join(result.defects())


# ---- offline: stand-in wheels on a local index -------------------------------------------------


def _wheel(index: Path, name: str, version: str, tag: str, requires: tuple[str, ...] = ()) -> None:
    """A minimal wheel (METADATA and WHEEL only) in a PEP 503 folder of ``index``."""
    folder = index / name
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{name}-{version}-{tag}.whl"
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{info}/METADATA", meta)
        z.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
        z.writestr(f"{info}/RECORD", "")
    (folder / filename).write_bytes(buf.getvalue())
    links = "".join(f'<a href="{p.name}">{p.name}</a>\n' for p in sorted(folder.glob("*.whl")))
    (folder / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """``pure`` has a wheel for every pair; ``native`` for CPython 3.11 on Linux x86_64 only;
    ``linuxonly`` (required by ``pure`` on Linux x86_64 only) has no wheel anywhere else."""
    root = tmp_path / "simple"
    marker = "platform_system == 'Linux' and platform_machine == 'x86_64'"
    _wheel(root, "pure", "1.0", "py3-none-any", (f"linuxonly==2.0; {marker}",))
    _wheel(root, "native", "3.1", "cp311-cp311-manylinux_2_17_x86_64")
    _wheel(root, "linuxonly", "2.0", "cp311-abi3-manylinux_2_28_x86_64")
    return root


def _check(index: Path, python: str, platform: str, roots: list[str]):
    pins = {"pure": "1.0", "native": "3.1", "linuxonly": "2.0"}
    return wh.check_pair(
        python, platform, pins, index_url=index.as_uri(), roots=[Requirement(r) for r in roots]
    )


def test_a_pin_without_a_wheel_for_one_pair_is_named(index: Path) -> None:
    good = _check(index, "3.11", "Linux x86_64", ["pure", "native"])
    assert good.defects() == [] and good.wheels == 3  # linuxonly through pure's marker
    bad = _check(index, "3.12", "Linux x86_64", ["pure", "native"])
    assert bad.defects() == [
        "Python 3.12, Linux x86_64: native==3.1 has no wheel and is not a known pure-Python build"
    ]
    mac = _check(index, "3.11", "macOS arm64", ["pure", "native"])
    assert [d.split(":")[1].split("==")[0].strip() for d in mac.defects()] == ["native"]
    assert "linuxonly" not in mac.no_wheel  # its marker leaves it out there


def test_markers_decide_what_a_pair_needs(index: Path) -> None:
    only_old = "native; python_version < '3.12'"
    assert _check(index, "3.12", "Linux x86_64", ["pure", only_old]).defects() == []
    assert _check(index, "3.11", "Linux aarch64", ["pure", only_old]).defects() != []


def test_an_unpinned_requirement_is_named(index: Path) -> None:
    result = _check(index, "3.11", "Linux x86_64", ["pure", "unknown-thing"])
    assert result.unpinned == ["unknown-thing"]
    assert "unknown-thing is needed but not pinned" in result.defects()[0]


def test_known_source_builds_are_allowed_and_no_others() -> None:
    assert set(wh.SOURCE_BUILDS) == {"connection-pool", "immutables"}
    result = wh.PairResult("3.14", "Linux x86_64", no_wheel={"immutables": "0.21"})
    assert result.defects() == []  # no wheel, but it may be built without a compiler
    result.no_wheel["numpy"] = "2.0.0"
    assert result.defects() == [
        "Python 3.14, Linux x86_64: numpy==2.0.0 has no wheel and is not a known pure-Python build"
    ]


def test_the_resolve_ignores_the_machines_pip_settings(monkeypatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/somewhere")
    env = wh.pip_env()
    assert "PIP_FIND_LINKS" not in env and env["PIP_CONFIG_FILE"] == wh.os.devnull
    args = wh.pip_args("3.14", "macOS arm64", "/t")
    assert "--isolated" in args and args[args.index("--index-url") + 1] == wh.PYPI
    assert {"--dry-run", "--no-deps", "--only-binary=:all:"} <= set(args)
    assert args[args.index("--abi") + 1] == "cp314"
