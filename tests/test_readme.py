"""The README's "What the default run finds" states only what a default run's
``results/summary.json`` bears out, on any CPU.

Each statement carries its check as an HTML comment (invisible on GitHub), e.g.
``<!-- check: 0.999 <= problem2.tree.test_f1 <= 1 -->``: a dotted path into summary.json
(list items by index), compared with numbers, ``true``/``false`` or quoted text. Ranges are
chosen to hold across the reproducibility envelope (README, Reproducibility), not only here.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, snakemake_runner

SECTION = "## What the default run finds"
CHECK = re.compile(r"<!--\s*check:\s*(.+?)\s*-->")
OPS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
TOKEN = re.compile(r"\s*(<=|>=|==|!=|<|>)\s*")


def section(readme: str) -> str:
    """The text of the README's findings section."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    return readme[start : end if end >= 0 else None]


def checks(text: str) -> list[str]:
    return CHECK.findall(text)


def _value(token: str, summary: dict[str, Any]) -> Any:
    token = token.strip()
    if token in ("true", "false"):
        return token == "true"
    if token[:1] in "\"'":
        return token[1:-1]
    try:
        return float(token.replace("_", ""))
    except ValueError:
        pass
    node: Any = summary
    for part in token.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def evaluate(check: str, summary: dict[str, Any]) -> bool:
    """Whether ``check`` (e.g. ``0.99 <= a.b <= 1``; comparisons chain) holds for ``summary``."""
    parts = TOKEN.split(check)
    if len(parts) < 3 or len(parts) % 2 == 0:
        raise ValueError(f"not a comparison: {check!r}")
    values = [_value(p, summary) for p in parts[0::2]]
    return all(OPS[op](a, b) for a, op, b in zip(values[:-1], parts[1::2], values[1:], strict=True))


def test_every_statement_carries_a_check():
    text = section((REPO / "README.md").read_text(encoding="utf-8"))
    bullets = [b for b in re.split(r"\n(?=- )", text) if b.startswith("- ")]
    assert bullets, "no statements in the findings section"
    for bullet in bullets:
        assert checks(bullet), f"statement without a check: {bullet[:80]}"


def test_the_checker_itself():
    s = {"a": {"b": 0.5, "c": [1, 2], "ok": True, "kind": "synthetic"}}
    assert evaluate("0.4 <= a.b <= 0.6", s)
    assert not evaluate("0.6 <= a.b", s)
    assert evaluate("a.c.1 == 2", s) and evaluate("a.ok == true", s)
    assert evaluate("a.kind == 'synthetic'", s) and evaluate("a.kind != 'real'", s)
    with pytest.raises(KeyError):
        evaluate("a.missing > 0", s)
    with pytest.raises(ValueError):
        evaluate("a.b", s)


@pytest.fixture(scope="module")
def default_summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """summary.json of a run of config/config.yaml (or of the run in ``$HW6_DEFAULT_RUN``)."""
    given = os.environ.get("HW6_DEFAULT_RUN")
    if given:
        wd = Path(given)
    else:
        wd = tmp_path_factory.mktemp("default")
        config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
        snakemake_runner(wd)(config, timeout=1800)
    return json.loads((wd / "results" / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.workflow
def test_readme_findings_hold_on_a_default_run(default_summary: dict[str, Any]):
    found = checks(section((REPO / "README.md").read_text(encoding="utf-8")))
    failed = [c for c in found if not evaluate(c, default_summary)]
    assert found and failed == [], failed
