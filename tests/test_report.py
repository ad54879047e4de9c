"""The rendered report: valid HTML5, self-contained, every required table filled."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def page(pipeline_run: Path) -> str:
    return (pipeline_run / "reports" / "hw6.html").read_text(encoding="utf-8")


def test_html5_parses_without_errors(page):
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    parser.parse(page)
    assert parser.errors == []


def test_no_external_resources(page):
    assert not re.search(r"""(?:src|href|xlink:href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page)
    assert "@import" not in page
    assert "<script" not in page.lower()


def test_mathml_and_inline_figures(page):
    assert page.count("<math") > 10
    assert page.count("<svg") >= 2
    assert "<img" not in page or "data:image" in page


def test_required_tables_are_filled(page):
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    tables = {t.findtext("caption", "").strip(): t for t in tree.iter("table")}
    for caption_start in [
        "Largest absolute and relative error",
        "Every fit, beside the published numbers",
        "Distinct end points",
        "Wall time and peak memory",
    ]:
        match = [t for c, t in tables.items() if c.startswith(caption_start)]
        assert match, f"no table captioned {caption_start!r}"
        assert len(match[0].findall("./tbody/tr")) >= 1, caption_start
