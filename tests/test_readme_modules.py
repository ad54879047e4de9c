"""README.md's map of src/hw6lib is the library as it is: each module, its docstring's summary."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location(
        "readme_modules", REPO / "tools" / "readme_modules.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_lists_packages_before_their_modules(tmp_path: Path) -> None:
    tool = _tool()
    pkg = tmp_path / "src" / "hw6lib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""The library."""\n')
    (pkg / "zeta.py").write_text('"""Last.\n\nMore text."""\n')
    (pkg / "sub" / "__init__.py").write_text(
        '"""A package: | pipes escaped, ``code`` and :func:`f`."""\n'
    )
    (pkg / "sub" / "alpha.py").write_text('"""In the\npackage."""\n')
    assert tool.modules_table(pkg).splitlines()[2:] == [
        "| `hw6lib.sub` | A package: \\| pipes escaped, `code` and `f`. |",
        "| `hw6lib.sub.alpha` | In the package. |",
        "| `hw6lib.zeta` | Last. |",
    ]
    (pkg / "bare.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match=r"bare\.py: no module docstring"):
        tool.modules_table(pkg)


def test_readme_module_table_is_current() -> None:
    tool = _tool()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert tool.readme_block(readme) == tool.block(tool.modules_table()), (
        "README.md's module table is stale: run .venv/bin/python tools/readme_modules.py"
    )
