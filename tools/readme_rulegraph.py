"""Write the rule graph of the default configuration into README.md's Layout section.

tests/test_rulegraph.py keeps the two in step.

.venv/bin/python tools/readme_rulegraph.py           # rewrite the graph between the markers
.venv/bin/python tools/readme_rulegraph.py --check   # exit 1 if the README's graph is stale

The graph is ``snakemake --rulegraph mermaid-js`` with each node named by its rule and the edges
sorted (Snakemake numbers the nodes and orders the edges differently from run to run) and
without the colours.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN = "<!-- rulegraph: begin (tools/readme_rulegraph.py writes this block) -->"
END = "<!-- rulegraph: end -->"
NODE = re.compile(r"^\s*(id\d+)\[(\w+)\]\s*$")
EDGE = re.compile(r"^\s*(id\d+)\s*-->\s*(id\d+)\s*$")


def snakemake_rulegraph(config: Path = ROOT / "config" / "config.yaml") -> str:
    """Return what ``snakemake --rulegraph mermaid-js`` prints for ``config``.

    It runs in an empty directory, so that no earlier results change what it shows.
    """
    snakemake = Path(sys.executable).with_name("snakemake")
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.run(
            [
                str(snakemake),
                "-s",
                str(ROOT / "Snakefile"),
                "--directory",
                workdir,
                "--configfile",
                str(config),
                "--cores",
                "1",
                "--rulegraph",
                "mermaid-js",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake --rulegraph failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def canonical(mermaid: str) -> str:
    """The graph as a mermaid flowchart: one ``source --> target`` line per edge, sorted."""
    names = {}
    edges = []
    for line in mermaid.splitlines():
        if node := NODE.match(line):
            names[node.group(1)] = node.group(2)
        elif edge := EDGE.match(line):
            edges.append(edge.groups())
    if not edges:
        raise ValueError("no edges in the rule graph")
    lines = sorted(f"    {names[a]} --> {names[b]}" for a, b in edges)
    return "\n".join(["flowchart TB", *lines]) + "\n"


def block(graph: str) -> str:
    """The README block: the markers around a fenced mermaid diagram."""
    return f"{BEGIN}\n```mermaid\n{graph}```\n{END}"


def readme_graph(readme: str) -> str:
    """The block between the markers in ``readme`` (markers included)."""
    start = readme.index(BEGIN)
    end = readme.index(END, start) + len(END)
    return readme[start:end]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = block(canonical(snakemake_rulegraph()))
    old = readme_graph(text)
    if args.check:
        if old != new:
            print("README.md's rule graph is stale: run tools/readme_rulegraph.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(text.replace(old, new), encoding="utf-8")
    print("README.md: rule graph " + ("unchanged" if old == new else "rewritten"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
