"""Write the map of ``src/hw6lib`` (each module and the first line of its docstring) into README.md.

.venv/bin/python tools/readme_modules.py           # rewrite the table between the markers
.venv/bin/python tools/readme_modules.py --check   # exit 1 if the README's table is stale

The table is read from the sources with ``ast`` (nothing is imported), so it is the library as
it is, and tests/test_readme_modules.py fails when a module is added, moved or re-described
without it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import readmeblock

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "hw6lib"
BEGIN = "<!-- modules: begin (tools/readme_modules.py writes this block) -->"
END = "<!-- modules: end -->"


def summary(path: Path, root: Path = ROOT) -> str:
    """Return the first paragraph of the module docstring of ``path``, on one line.

    Raises
    ------
    ValueError
        When the module has no docstring (every module of the library must say what it holds).
    """
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not doc:
        raise ValueError(f"{path.relative_to(root)}: no module docstring")
    return doc.strip().split("\n\n", 1)[0].replace("\n", " ")


def markdown(rst: str) -> str:
    """Return reST inline markup as markdown: ``x`` and :func:`x` become `x`; pipes escaped."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", rst).replace("``", "`").replace("|", r"\|")


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """Return the dotted name of the module at ``path`` (an ``__init__`` names its package)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_table(package: Path = PACKAGE) -> str:
    """Return the markdown table of every module of ``package``, packages before their modules."""
    paths = sorted(
        package.rglob("*.py"),
        key=lambda p: (
            p.relative_to(package).with_suffix("").parts[:-1]
            + (() if p.name == "__init__.py" else (p.stem,))
        ),
    )
    rows = [
        f"| `{module_name(p, package)}` | {markdown(summary(p, package.parent.parent))} |"
        for p in paths
        if p != package / "__init__.py"
    ]
    return "\n".join(["| module | what it holds |", "|---|---|", *rows])


if __name__ == "__main__":
    sys.exit(readmeblock.main(__doc__, BEGIN, END, modules_table, "module table"))
