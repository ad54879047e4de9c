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
    # one inline script (the sortable grid table), nothing loaded
    assert page.lower().count("<script") == 1 and "<script>" in page
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)


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


def test_summary_numbers_equal_the_result_files(page, pipeline_run):
    import csv
    import json
    import math
    import statistics

    from hw6lib.report.render import format_number

    res = pipeline_run / "results"

    def load(rel):
        return json.loads((res / rel).read_text())

    summary = load("summary.json")
    # each summary number against the result file it comes from, read here by path (not rebuilt
    # with build_summary, which would repeat any mistake of its own)
    for d, net in zip((1, 2), summary["problem1"]["nets"], strict=True):
        fit = load(f"problem1/fit_depth{d}.json")
        assert net["depth"] == d
        assert net["zeros_mse"] == fit["published_reproduction"]["fun"]
        assert net["zeros_weights"] == fit["published_reproduction"]["weights"]
        assert net["best_mse"] == min(m["fun"] for m in fit["multistart"]["minima"])
        assert net["n_minima"] == len(fit["multistart"]["minima"])
        assert net["starts"] == len(fit["multistart"]["starts"])
    p2 = summary["problem2"]
    split = load("card/split/summary.json")
    assert p2["rows"] == {k: split["rows"][k] for k in ("train", "test")}
    tree = load("card/tree/metrics.json")
    assert p2["tree"]["test_f1"] == tree["test"]["f1"]
    assert p2["tree"]["test_accuracy"] == tree["test"]["accuracy"]
    b = load("mlp/best.json")["best"]
    cfg = {k: b[k] for k in ("width", "lr", "batch_size", "epochs", "momentum")}
    assert {k: p2["mlp"][k] for k in cfg} == cfg
    with open(res / "mlp" / "grid.csv", newline="") as f:
        seeds = [r for r in csv.DictReader(f) if all(r[k] == str(v) for k, v in cfg.items())]
    f1 = [float(r["test_f1"]) for r in seeds]
    assert len(f1) == p2["mlp"]["seeds"] >= 2
    assert p2["mlp"]["test_f1"] == pytest.approx(statistics.mean(f1), rel=1e-12)
    assert p2["mlp"]["test_f1_sd"] == pytest.approx(statistics.stdev(f1), rel=1e-9)
    gap = statistics.mean(f1) - tree["test"]["f1"]
    assert p2["mlp_minus_tree_f1"] == pytest.approx(gap, rel=1e-12)
    outcome = (
        "mlp" if gap > statistics.stdev(f1) else "tree" if -gap > statistics.stdev(f1) else None
    )
    assert p2["verdict"]["outcome"] == (outcome or "within_spread")
    pub = load("mlp/published.json")
    printed = [e["printed"]["accuracy"] for e in pub["epochs"]]
    assert p2["published_run"]["accuracy_min"] == min(printed)
    assert p2["published_run"]["accuracy_max"] == max(printed)

    def numbers(obj):
        if isinstance(obj, bool):
            return
        if isinstance(obj, int | float):
            yield float(obj)
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from numbers(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from numbers(v)

    known = list(numbers(summary))
    section = page[page.index('<section id="answers"') : page.index("</section>")]
    values = re.findall(r'<data value="([^"]+)">([^<]+)</data>', section)
    assert len(values) >= 20
    for raw, shown in values:
        x = float(raw)
        assert any(math.isclose(x, k, rel_tol=0, abs_tol=0) or x == -k for k in known), raw
        assert shown in {
            format_number(x, d, s) for d in range(1, 8) for s in ("g", "e", "f", "%")
        }, shown
    # the headline numbers are there
    assert repr(summary["problem1"]["nets"][1]["best_mse"]) in section
    assert repr(summary["problem2"]["mlp"]["test_f1"]) in section
    assert repr(summary["problem2"]["tree"]["test_f1"]) in section


def test_snakemake_report_zip(pipeline_run, tmp_path):
    import subprocess
    import sys
    import zipfile

    from helpers import REPO

    out = tmp_path / "report.zip"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "-s",
            str(REPO / "Snakefile"),
            "--directory",
            str(pipeline_run),
            "--configfile",
            str(pipeline_run / "config.yaml"),
            "--report",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = zipfile.ZipFile(out).namelist()
    for fig in ("fits.svg", "residuals.svg", "confusion.svg", "depth_sweep.svg"):
        assert any(n.endswith(fig) for n in names), fig


def test_data_strings_are_escaped(pipeline_run, tmp_path):
    """A data path holding markup appears escaped in the report, never as markup.

    Snakemake itself rejects ``<name>`` in a configured file path (it reads it as a path
    variable), so the markup is planted in the split summary's recorded source path of a copy
    of the session run, and the report is rebuilt from it.
    """
    import json
    import shutil

    from helpers import snakemake_runner

    run = tmp_path / "run"
    shutil.copytree(pipeline_run, run, symlinks=True)
    summary = run / "results" / "card" / "split" / "summary.json"
    data = json.loads(summary.read_text())
    data["source"]["path"] = "<script>alert(1)</script>.csv"
    summary.write_text(json.dumps(data))
    snakemake_runner(run)(None, "reports/hw6.html", "--rerun-triggers", "mtime")
    html = (run / "reports" / "hw6.html").read_text()
    assert "alert(1)</script>" not in html and html.count("<script") == 1  # the page's own only
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in html
