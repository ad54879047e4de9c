"""The library's layout: a package per part of the pipeline, few modules at the top."""

from __future__ import annotations

import helpers
import pytest

LIB = helpers.REPO / "src" / "hw6lib"


def test_top_level_holds_a_package_per_part_and_few_modules() -> None:
    modules = sorted(p.name for p in LIB.glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= 6, f"{len(modules)} modules at the top of hw6lib: {modules}"
    packages = {p.parent.name for p in LIB.glob("*/__init__.py")}
    assert {"problem1", "card", "mlp", "report", "pipeline"} <= packages


def test_no_module_name_is_used_twice() -> None:
    where: dict[str, list[str]] = {}
    for path in sorted(LIB.rglob("*.py")):
        if path.name != "__init__.py":
            where.setdefault(path.stem, []).append(path.relative_to(LIB).as_posix())
    twice = {stem: paths for stem, paths in where.items() if len(paths) > 1}
    assert not twice, f"module names used twice in hw6lib: {twice}"


#: The floors of the library, bottom up: a module imports only from its own floor or below.
FLOORS: dict[str, int] = {
    "errors": 0,
    "published": 0,
    "pipeline": 1,
    "problem1": 2,
    "card": 2,
    "mlp": 3,
    "report": 4,
    "preflight": 5,
    "provenance": 5,
}


def _part(path_or_name: str) -> str:
    return path_or_name.split(".")[0].split("/")[0].removesuffix(".py")


def test_no_import_runs_back_up() -> None:
    """Each part imports only the parts below it (imports inside functions included)."""
    import ast

    assert {_part(p.relative_to(LIB).as_posix()) for p in LIB.rglob("*.py")} - {"__init__"} == set(
        FLOORS
    ), "a part of hw6lib without a floor in FLOORS"
    upward = []
    for path in sorted(LIB.rglob("*.py")):
        rel = path.relative_to(LIB).as_posix()
        if rel == "__init__.py":
            continue
        here = FLOORS[_part(rel)]
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("hw6lib."):
                    there = _part(name.removeprefix("hw6lib."))
                    if FLOORS[there] > here:
                        upward.append(f"{rel}:{node.lineno} imports {name}")
    assert not upward, "imports that run back up: " + "; ".join(upward)


#: Modules of the jobs that only read result files (the grid's summary, the answers, the report,
#: the figures): they start without torch (importing it costs a second or more of CPU a job).
READERS = (
    "hw6lib.mlp.cellfile",
    "hw6lib.mlp.grid",
    "hw6lib.mlp.prcurves",
    "hw6lib.report.summary",
    "hw6lib.report.render",
    "hw6lib.report.mlpfigures",
    "hw6lib.problem1.gradcheck",
)


def test_jobs_that_read_results_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys\n" + "".join(f"import {m}\n" for m in READERS)
    code += "print(sorted(m for m in ('torch', 'triton') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]", f"importing {READERS} imported {out}"


def test_mlp_package_exports_every_name_lazily() -> None:
    import hw6lib.mlp as mlp

    assert sorted(mlp.__all__) == sorted(mlp._EXPORTS)
    for name in mlp.__all__:
        assert getattr(mlp, name) is getattr(
            __import__(f"hw6lib.mlp.{mlp._EXPORTS[name]}", fromlist=[name]), name
        )
    assert set(mlp.__all__) <= set(dir(mlp))
    with pytest.raises(AttributeError, match="no_such_name"):
        mlp.no_such_name  # noqa: B018
