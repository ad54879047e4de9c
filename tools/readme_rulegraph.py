"""Write the rule graph of the default configuration into README.md's Layout section.

tests/test_rulegraph.py keeps the two in step.

.venv/bin/python tools/readme_rulegraph.py           # rewrite the graph between the markers
.venv/bin/python tools/readme_rulegraph.py --check   # exit 1 if the README's graph is stale

The graph is ``snakemake --rulegraph mermaid-js`` with each node named by its rule and the edges
sorted (Snakemake numbers the nodes and orders the edges differently from run to run) and
without the colours.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import readmeblock

ROOT = Path(__file__).resolve().parents[1]
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


def drawn() -> str:
    """Return the README block's body: the default configuration's graph, fenced as mermaid."""
    return f"```mermaid\n{canonical(snakemake_rulegraph())}```"


if __name__ == "__main__":
    sys.exit(readmeblock.main(__doc__, BEGIN, END, drawn, "rule graph"))
