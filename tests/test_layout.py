"""The library's layout: a package per part of the pipeline, few modules at the top."""

from __future__ import annotations

import helpers

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
