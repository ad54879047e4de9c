"""Two clean runs of the same configuration give byte-identical results, and reports that
differ only in the provenance section (date and timings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import _runner

pytestmark = pytest.mark.workflow

#: Files that legitimately differ between runs: timings and the provenance record.
VOLATILE = ("benchmarks/", "provenance.json")


def result_files(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted((root / "results").rglob("*")):
        rel = p.relative_to(root / "results").as_posix()
        if p.is_file() and not any(rel.startswith(v) or rel == v for v in VOLATILE):
            out[rel] = p.read_bytes()
    return out


def strip_provenance(html: str) -> str:
    """The report without its provenance section and the timings marked volatile."""
    html = re.sub(r'<section id="provenance">.*?</section>', "", html, flags=re.S)
    return re.sub(r'<span class="volatile">[^<]*</span>', "", html)


def test_two_clean_runs_are_identical(pipeline_run, tmp_path):
    second = tmp_path / "second"
    _runner(second)(None)
    a, b = result_files(pipeline_run), result_files(second)
    assert a.keys() == b.keys()
    assert any(k.endswith(".json") for k in a) and any(k.endswith(".svg") for k in a)
    differ = [k for k in a if a[k] != b[k]]
    assert differ == []
    ra = (pipeline_run / "reports" / "hw6.html").read_text()
    rb = (second / "reports" / "hw6.html").read_text()
    assert strip_provenance(ra) == strip_provenance(rb)
