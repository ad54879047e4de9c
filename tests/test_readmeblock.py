"""tools/readmeblock.py: a README block is rewritten in place, and ``--check`` finds it stale."""

from __future__ import annotations

from pathlib import Path

import helpers
import pytest


def test_rewrite_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rb = helpers.tool("readmeblock")
    readme = tmp_path / "README.md"
    readme.write_text("# t\n\n<!-- a -->\nold\n<!-- b -->\n\nafter\n")
    args = ("doc", "<!-- a -->", "<!-- b -->", lambda: "new\nlines", "table")
    assert rb.main(*args, argv=["--check"], readme=readme) == 1
    assert "README.md's table is stale" in capsys.readouterr().err
    assert rb.main(*args, argv=[], readme=readme) == 0
    assert readme.read_text() == "# t\n\n<!-- a -->\nnew\nlines\n<!-- b -->\n\nafter\n"
    assert rb.main(*args, argv=["--check"], readme=readme) == 0
    assert rb.main(*args, argv=[], readme=readme) == 0
    assert "table unchanged" in capsys.readouterr().out
