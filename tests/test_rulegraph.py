"""README.md's rule graph is what Snakemake draws for the default configuration now, and the
workflow's file graph is typed once (each result path in one rule)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import helpers
import pytest

REPO = helpers.REPO


MERMAID = """\
---
title: DAG
---
flowchart TB
\tid0[all]
\tid1[report]
\tid2[p1_fit]
\tstyle id0 fill:#D95757,stroke-width:2px,color:#333333
\tid2 --> id1
\tid1 --> id0
"""


def test_canonical_names_nodes_and_sorts_edges() -> None:
    """Snakemake's node numbers and edge order vary from run to run; the README's do not."""
    tool = helpers.tool("readme_rulegraph")
    assert tool.canonical(MERMAID) == "flowchart TB\n    p1_fit --> report\n    report --> all\n"
    shuffled = MERMAID.replace("\tid0[all]\n\tid1[report]\n", "\tid1[report]\n\tid0[all]\n")
    assert tool.canonical(shuffled) == tool.canonical(MERMAID)


@pytest.mark.workflow
def test_readme_rule_graph_is_snakemakes_for_the_default_config() -> None:
    tool = helpers.tool("readme_rulegraph")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    drawn = tool.drawn()
    block = helpers.tool("readmeblock")
    assert block.current(readme, tool.BEGIN, tool.END) == block.block(
        tool.BEGIN, tool.END, drawn
    ), "run: .venv/bin/python tools/readme_rulegraph.py"
    # every rule of the workflow files is in the graph (the default config uses them all)
    rules = {
        name
        for path in [REPO / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]
        for name in re.findall(r"^\s*rule (\w+):", path.read_text(), re.MULTILINE)
    }
    assert rules - {"problem1", "problem2"} == {
        name for edge in re.findall(r"^    (\w+) --> (\w+)$", drawn, re.MULTILINE) for name in edge
    }


def test_each_result_path_is_typed_once() -> None:
    """A file is named in the rule that writes it; every other rule takes rules.<name>.output."""
    text = "\n".join(
        path.read_text()
        for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    )
    for helper in ("result_path", "log_path", "bench_path"):
        paths = re.findall(rf"""{helper}\(\s*["']([^"']+)""", text)
        assert paths, f"no {helper} found"
        assert sorted(p for p in set(paths) if paths.count(p) > 1) == [], helper
    # and no path is typed outside them (their own f-strings apart)
    assert re.findall(r"""(?<!f)["'](?:results|logs)/""", text) == []


@pytest.mark.workflow
def test_a_wildcard_without_configured_values_is_named(tmp_path: Path) -> None:
    """all_jobs over a wildcard that WILDCARD_VALUES does not know stops the run, saying which."""
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        f'include: "{REPO / "Snakefile"}"\n\n'
        "rule extra:\n"
        "    input:\n"
        '        all_jobs("results/x/{foo}.txt"),\n'
    )
    proc = subprocess.run(
        [str(helpers.BIN / "snakemake"), "-s", str(snakefile), "-n", "--cores", "1",
         "--directory", str(tmp_path), "--configfile", str(REPO / "config" / "config.yaml")],
        capture_output=True, text=True, check=False, timeout=300, env=helpers.SNAKEMAKE_ENV,
    )  # fmt: skip
    assert proc.returncode != 0
    assert (
        "wildcard(s) foo of results/x/{foo}.txt have no configured values"
        in proc.stdout + proc.stderr
    )
