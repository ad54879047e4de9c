"""Problem 1 through Snakemake on a small config: every output, the report, bad configs."""

from __future__ import annotations

import html
import json
import re

import pytest
from helpers import small_config

pytestmark = pytest.mark.workflow


def test_problem1_end_to_end_and_report(run_snakemake, tmp_path):
    run_snakemake(None, "reports/hw6.html")
    p1 = tmp_path / "results" / "problem1"
    for name in [
        "data.npy",
        "fit_depth1.json",
        "fit_depth2.json",
        "gradcheck.json",
        "compare.json",
        "fits.svg",
        "residuals.svg",
    ]:
        assert (p1 / name).stat().st_size > 0, name
    fit2 = json.loads((p1 / "fit_depth2.json").read_text())
    assert fit2["depth"] == 2 and fit2["n"] == 20000
    assert fit2["multistart"]["best"]["fun"] < fit2["published_reproduction"]["fun"]
    # the multi-start's design comes from the config (zeros + 8 Sobol points of [-3, 3]^3)
    assert fit2["design"] == {
        "kind": "zeros + scrambled Sobol",
        "points": 8,
        "box": 3.0,
        "seed": 0,
        "starts": 9,
    }
    assert len(fit2["multistart"]["starts"]) == 9
    for name in ["simulate", "fit_depth1", "fit_depth2", "gradcheck"]:
        assert (tmp_path / "results" / "benchmarks" / "problem1" / f"{name}.tsv").exists()
        assert (tmp_path / "logs" / "problem1" / f"{name}.log").exists()

    page = (tmp_path / "reports" / "hw6.html").read_text()
    assert "<math" in page and "<svg" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    # every fitted weight and training error of both nets is in the tables
    for depth in (1, 2):
        fit = json.loads((p1 / f"fit_depth{depth}.json").read_text())
        for rec in (fit["published_reproduction"], fit["analytic_from_zeros"]):
            assert f"{rec['fun']:.10g}" in text
            for w in rec["weights"]:
                assert f"{w:.4g}" in text
        assert f"{fit['multistart']['best']['fun']:.10g}" in text
    # the report states the starts' design, from the result file
    assert "8 points of a scrambled Sobol sequence" in text and "9 starts" in text
    # the published numbers belong to n = 1,000,000, seed 3 only: not shown for this config
    assert fit2["published"] is None and "apply only to its data set" in text


def test_dry_run_lists_problem1_jobs_separately(run_snakemake):
    out = run_snakemake(None, "-n", "--quiet", "rules").stdout
    for rule in ["p1_simulate", "p1_fit", "p1_gradcheck", "p1_compare", "p1_figures", "report"]:
        assert rule in out
    assert re.search(r"p1_fit\s+2", out)


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ({"n": 0}, "problem1.n"),
        ({"n": "lots"}, "problem1.n"),
        ({"unknown": 1}, "problem1.unknown"),
    ],
)
def test_bad_config_stops_before_any_job(run_snakemake, tmp_path, patch, key):
    cfg = small_config()
    cfg["problem1"].update(patch)
    proc = run_snakemake(cfg, check=False)
    assert proc.returncode != 0
    assert f"hw6: config key {key}:" in proc.stderr + proc.stdout
    assert not (tmp_path / "results").exists()
