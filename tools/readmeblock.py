"""Blocks of README.md that a tool writes between two HTML-comment markers.

The README's rule graph (tools/readme_rulegraph.py) and module map (tools/readme_modules.py) are
drawn from the code, never typed; each tool rewrites its block, or with ``--check`` exits 1 when
the README's block is not what it would write (the tests call the same functions).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def block(begin: str, end: str, body: str) -> str:
    """Return ``body`` between the markers, each on a line of its own."""
    return f"{begin}\n{body}\n{end}"


def current(text: str, begin: str, end: str) -> str:
    """Return the block of ``text`` from ``begin`` to ``end`` (markers included)."""
    start = text.index(begin)
    return text[start : text.index(end, start) + len(end)]


def main(
    doc: str,
    begin: str,
    end: str,
    body: Callable[[], str],
    what: str,
    argv: Sequence[str] | None = None,
    readme: Path = README,
) -> int:
    """Rewrite the block of ``readme``, or check it with ``--check``; return the exit status.

    Parameters
    ----------
    doc : str
        The tool's docstring (its first paragraph describes the command).
    begin, end : str
        The markers.
    body : callable
        Computes what belongs between the markers.
    what : str
        The block's name in messages, e.g. ``"rule graph"``.
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).
    readme : pathlib.Path
        The file holding the block.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the block is stale")
    args = parser.parse_args(argv)
    text = readme.read_text(encoding="utf-8")
    new, old = block(begin, end, body()), current(text, begin, end)
    if args.check:
        if old != new:
            print(f"{readme.name}'s {what} is stale: run {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    readme.write_text(text.replace(old, new), encoding="utf-8")
    print(f"{readme.name}: {what} " + ("unchanged" if old == new else "rewritten"))
    return 0
