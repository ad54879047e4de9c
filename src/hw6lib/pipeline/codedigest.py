"""Digests of the code behind each result, so that editing the library reruns what it changes.

Snakemake's own ``code`` rerun trigger sees only a rule's script. The science lives in
:mod:`hw6lib`, so each rule also carries, as a parameter, the SHA-256 of every hw6lib module
its script imports, followed transitively through the library. Imports are read statically with
:mod:`ast` (nothing is executed), including imports inside functions; importing a submodule also
runs its parent packages' ``__init__.py``, so those count too.

Upgrading a package changes results as surely as editing the library, so each rule also carries
the versions of the packages outside the standard library that its script and those modules
import (:func:`third_party_modules`, :func:`package_versions`): upgrading scikit-learn reruns the
tree jobs, not Problem 1.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from hw6lib.pipeline.resultfiles import Record

PACKAGE = "hw6lib"


def package_root(package: str = PACKAGE) -> Path:
    """Folder of the installed ``package`` (the one the jobs will import).

    Raises
    ------
    ModuleNotFoundError
        If the package is not importable.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not an importable package")
    return Path(next(iter(spec.submodule_search_locations)))


def module_file(name: str, root: Path, package: str = PACKAGE) -> Path | None:
    """Source file of the dotted module ``name`` inside ``package`` (``None`` if absent)."""
    parts = name.split(".")
    if parts[0] != package:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, root: Path, package: str) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [package, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def imported_names(
    source: str, current: str | None = None, is_package: bool = False
) -> frozenset[str]:
    """Dotted names of every module ``source`` imports (absolute, relative ones resolved).

    Memoised: parsing is most of the cost of the workflow's start (every rule's digest and
    versions follow the same modules), and the answer depends on the arguments only.

    Parameters
    ----------
    source : str
        Python source text.
    current : str, optional
        Dotted name of the module holding ``source`` (needed for relative imports).
    is_package : bool
        Whether ``source`` is a package's ``__init__.py``.

    Returns
    -------
    frozenset of str
        For ``from a.b import c`` both ``a.b`` and ``a.b.c`` (``c`` may be a submodule).
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue
                pkg = current.split(".")
                if not is_package:
                    pkg = pkg[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names)


def module_closure(script: str | os.PathLike[str], package: str = PACKAGE) -> list[Path]:
    """Every module file of ``package`` that running ``script`` imports, transitively.

    Parameters
    ----------
    script : path-like
        A Python file (e.g. a workflow script).
    package : str
        The package to follow.

    Returns
    -------
    list of pathlib.Path
        Sorted module files, parent packages' ``__init__.py`` included.
    """
    root = package_root(package)
    seen: set[Path] = set()
    todo = [(Path(script).read_text(encoding="utf-8"), None, False)]
    while todo:
        source, current, is_pkg = todo.pop()
        for name in imported_names(source, current, is_pkg):
            parts = name.split(".")
            # importing a.b.c runs a/__init__.py and a/b/__init__.py first
            for k in range(1, len(parts) + 1):
                path = module_file(".".join(parts[:k]), root, package)
                if path is None or path in seen:
                    continue
                seen.add(path)
                todo.append(
                    (
                        path.read_text(encoding="utf-8"),
                        _module_name(path, root, package),
                        path.name == "__init__.py",
                    )
                )
    return sorted(seen)


def files_digest(files: Iterable[Path], root: Path) -> str:
    """SHA-256 over the relative names and bytes of ``files`` (order-independent)."""
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class CodeRecord(Record):
    """The library code behind a script (:func:`code_record`).

    ``modules`` (module paths relative to the package's parent, sorted) and ``digest``
    (SHA-256 of their names and contents; the script itself is not included: Snakemake's
    ``code`` trigger covers it).
    """

    modules: list[str]
    digest: str


def code_record(script: str | os.PathLike[str], package: str = PACKAGE) -> CodeRecord:
    """Describe the library code behind ``script``: its modules and their digest."""
    root = package_root(package)
    files = module_closure(script, package)
    return CodeRecord(
        modules=[p.relative_to(root.parent).as_posix() for p in files],
        digest=files_digest(files, root),
    )


def _is_type_checking(node: ast.AST) -> bool:
    """Whether ``node`` is ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@functools.cache
def runtime_imports(source: str) -> frozenset[str]:
    """Top-level names of the absolute imports in ``source`` that run when it runs.

    Imports under ``if TYPE_CHECKING:`` are left out (the workflow scripts import Snakemake's
    ``snakemake`` object there for the type checker only); imports inside functions and
    ``try`` blocks count. Memoised, as :func:`imported_names`.
    """
    names: set[str] = set()
    todo: list[ast.AST] = [ast.parse(source)]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                todo.extend(child.orelse)
            else:
                todo.append(child)
    return frozenset(names)


def third_party_modules(script: str | os.PathLike[str], package: str = PACKAGE) -> list[str]:
    """Top-level modules outside ``package`` and the standard library that ``script`` runs.

    They are the imports of ``script`` and of every ``package`` module it imports
    (:func:`module_closure`), e.g. ``["numpy", "scipy"]`` for Problem 1's fit.
    """
    sources = [Path(script).read_text(encoding="utf-8")]
    sources += [p.read_text(encoding="utf-8") for p in module_closure(script, package)]
    names = set().union(*(runtime_imports(s) for s in sources))
    return sorted(n for n in names if n != package and n not in sys.stdlib_module_names)


def package_versions(
    modules: Iterable[str], distributions: Mapping[str, list[str]] | None = None
) -> dict[str, str]:
    """Installed versions of the distributions that provide ``modules``.

    Parameters
    ----------
    modules : iterable of str
        Top-level module names (``sklearn``).
    distributions : mapping, optional
        Module to distribution names (:func:`importlib.metadata.packages_distributions`, read
        once by default; pass it to read it once for many calls).

    Returns
    -------
    dict
        Distribution name (``scikit-learn``) to version, sorted by name; a module that no
        installed distribution provides appears under its own name as ``"not installed"``.
    """
    if distributions is None:
        distributions = metadata.packages_distributions()
    out: dict[str, str] = {}
    for module in modules:
        dists = distributions.get(module)
        if not dists:
            out[module] = "not installed"
        for dist in dists or ():
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[dist] = "not installed"
    return dict(sorted(out.items()))
