"""README.md's map of src/hw6lib is the library as it is: each module, its docstring's summary."""

from __future__ import annotations

from pathlib import Path

import helpers
import pytest

REPO = helpers.REPO


def test_table_lists_packages_before_their_modules(tmp_path: Path) -> None:
    tool = helpers.tool("readme_modules")
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
    tool = helpers.tool("readme_modules")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = helpers.tool("readmeblock")
    expected = block.block(tool.BEGIN, tool.END, tool.modules_table())
    assert block.current(readme, tool.BEGIN, tool.END) == expected, (
        "README.md's module table is stale: run .venv/bin/python tools/readme_modules.py"
    )
