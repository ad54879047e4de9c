"""Editing the library, or another version of a package, reruns exactly the jobs whose code it is
part of.

Each rule carries, as parameters, the digest of the hw6lib modules its script imports and the
versions of the packages they import (:mod:`hw6lib.pipeline.codedigest`); Snakemake's ``params``
rerun trigger then sees a library edit or an upgrade.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from helpers import BIN, REPO, SNAKEMAKE_ENV, small_config

from hw6lib.pipeline.codedigest import (
    code_record,
    imported_names,
    module_closure,
    package_versions,
    runtime_imports,
    third_party_modules,
)

SCRIPTS = REPO / "workflow" / "scripts"


@pytest.fixture
def fakepkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small importable package ``fakepkg``: a imports b (relatively), b imports sub.c."""
    root = tmp_path / "fakepkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text('"""fake"""\n')
    (root / "a.py").write_text("from . import b\n")
    (root / "b.py").write_text("import os\n\n\ndef f():\n    from fakepkg.sub.c import g\n")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "c.py").write_text("from ..d import x\n")
    (root / "d.py").write_text("x = 1\n")
    (root / "unused.py").write_text("y = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    (tmp_path / "script.py").write_text("from fakepkg.a import b\n")
    return root


def test_imported_names_resolves_relative_imports():
    src = "from . import b\nfrom ..d import x\nimport numpy as np\nfrom .m import (p, q)\n"
    names = imported_names(src, "pkg.sub.mod")
    assert {"pkg.sub", "pkg.sub.b", "pkg.d", "pkg.d.x", "numpy", "pkg.sub.m", "pkg.sub.m.p"} <= (
        names
    )
    assert "pkg.sub" in imported_names("from . import b\n", "pkg.sub", is_package=True)


def test_closure_follows_imports_transitively(fakepkg: Path):
    files = module_closure(fakepkg.parent / "script.py", package="fakepkg")
    rel = {p.relative_to(fakepkg).as_posix() for p in files}
    # imports inside functions count; parent packages' __init__ count; unused modules do not
    assert rel == {"__init__.py", "a.py", "b.py", "sub/__init__.py", "sub/c.py", "d.py"}


def test_digest_changes_with_any_module_in_the_closure_only(fakepkg: Path):
    script = fakepkg.parent / "script.py"
    before = code_record(script, package="fakepkg").digest
    (fakepkg / "unused.py").write_text("y = 3\n")
    assert code_record(script, package="fakepkg").digest == before
    (fakepkg / "d.py").write_text("x = 2\n")
    assert code_record(script, package="fakepkg").digest != before


def test_real_scripts_import_what_they_use():
    def modules(script: str) -> set[str]:
        return set(code_record(SCRIPTS / script).modules)

    assert "hw6lib/card/tree.py" in modules("tree_fit.py")
    assert "hw6lib/problem1/fit.py" in modules("p1_fit.py")
    for script in ("p1_simulate.py", "p1_fit.py", "p1_gradcheck.py", "p1_compare.py"):
        assert "hw6lib/card/tree.py" not in modules(script), script
    # every script has a record, and the rules pass it: one library_digest per script
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    for script in SCRIPTS.glob("*.py"):
        assert f'code=library_digest("{script.name}")' in rules, script.name
        assert f'versions=library_versions("{script.name}")' in rules, script.name


def test_third_party_modules_are_those_the_code_runs():
    def modules(script: str) -> list[str]:
        return third_party_modules(SCRIPTS / script)

    assert "sklearn" in modules("tree_fit.py") and "torch" in modules("mlp_train.py")
    # Problem 1 runs neither scikit-learn nor Snakemake (imported for the type checker only)
    assert {"sklearn", "snakemake", "os", "hw6lib"}.isdisjoint(modules("p1_fit.py"))
    assert "scipy" in modules("p1_fit.py")
    assert "snakemake" in modules("provenance.py")  # imported to record its version
    assert runtime_imports(
        "import a.b\nfrom c import d\nif TYPE_CHECKING:\n    import e\nelse:\n    import f\n"
        "def g():\n    import h\nfrom . import i\n"
    ) == {"a", "c", "f", "h"}
    versions = package_versions(["sklearn", "nosuchmodule"], {"sklearn": ["scikit-learn"]})
    assert versions["nosuchmodule"] == "not installed"
    assert versions["scikit-learn"] == metadata.version("scikit-learn")


def _standin(folder: Path, name: str, version: str) -> Path:
    """Return a folder that, first on PYTHONPATH, makes ``name`` report ``version``.

    Only its metadata: the code imported stays the installed one.
    """
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return folder


def _jobs(dry_run_output: str) -> set[str]:
    """Rule names in the "Job stats" table of a dry run (empty when nothing is to be done)."""
    if "Job stats:" not in dry_run_output:
        return set()
    table = dry_run_output.split("Job stats:", 1)[1].splitlines()
    out = set()
    for line in table[3:]:
        parts = line.split()
        if not parts or parts[0] == "total":
            break
        out.add(parts[0])
    return out


@pytest.mark.workflow
def test_editing_a_module_or_upgrading_a_package_reruns_exactly_its_jobs(tmp_path: Path):
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy2(REPO / "Snakefile", copy / "Snakefile")
    for name in ("workflow", "src", "reports", "config", "profiles"):
        shutil.copytree(
            REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    wd = tmp_path / "run"
    wd.mkdir()
    cfg = wd / "config.yaml"
    cfg.write_text(json.dumps(small_config()))
    # the copy's library is the one imported, by the Snakefile and by every job
    env = {**SNAKEMAKE_ENV, "PYTHONPATH": os.pathsep.join([str(copy / "src"), *sys.path])}
    cmd = [
        str(BIN / "snakemake"),
        "-s",
        str(copy / "Snakefile"),
        "--directory",
        str(wd),
        "--configfile",
        str(cfg),
        "--cores",
        "2",
        "--workflow-profile",
        str(copy / "profiles" / "default"),
    ]

    def run(*args: str, standin: Path | None = None) -> str:
        path = env["PYTHONPATH"] if standin is None else f"{standin}{os.pathsep}{env['PYTHONPATH']}"
        proc = subprocess.run(
            [*cmd, *args],
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": path},
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout + proc.stderr

    run()
    prov = json.loads((wd / "results" / "provenance.json").read_text())
    assert prov["code"]["tree_fit"]["digest"] == code_record(SCRIPTS / "tree_fit.py").digest
    assert _jobs(run("-n")) == set()
    assert prov["code"]["tree_fit"]["packages"]["scikit-learn"] == metadata.version("scikit-learn")
    assert "scikit-learn" not in prov["code"]["p1_fit"]["packages"]

    # another version of a package (a stand-in: its metadata only) reruns the jobs whose code
    # imports it and what reads their results; provenance records the versions, so it reruns too
    standin = _standin(tmp_path / "latex", "latex2mathml", "99.0")
    assert _jobs(run("-n", standin=standin)) == {"report", "provenance", "all"}
    sklearn = _jobs(run("-n", standin=_standin(tmp_path / "sk", "scikit-learn", "99.0")))
    assert {"tree_fit", "tree_sweep", "mlp_best_scores", "report"} <= sklearn
    assert not {j for j in sklearn if j.startswith(("p1_", "card_"))} and "mlp_train" not in sklearn
    assert _jobs(run("-n")) == set()

    tree = copy / "src" / "hw6lib" / "card" / "tree.py"
    original = tree.read_text()
    tree.write_text(original + "\n# an edit\n")
    # the tree jobs and what reads their results; nothing of Problem 1, the data or the MLP
    assert _jobs(run("-n")) == {
        "tree_fit",
        "tree_sweep",
        "tree_figure",
        "pr_figure",  # reads the tree's test scores
        "summary",
        "confusion_figure",
        "provenance",
        "report",
        "all",
    }
    tree.write_text(original)
    assert _jobs(run("-n")) == set()

    (copy / "src" / "hw6lib" / "problem1" / "simulate.py").write_text(
        (copy / "src" / "hw6lib" / "problem1" / "simulate.py").read_text() + "\n# an edit\n"
    )
    jobs = _jobs(run("-n"))
    assert "p1_simulate" in jobs
    assert not {j for j in jobs if j.startswith(("card_", "tree_", "mlp_"))}
