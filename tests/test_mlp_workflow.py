"""The MLP grid through Snakemake on the small config (.test/config.yaml)."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from helpers import small_config


@pytest.mark.workflow
def test_mlp_grid_through_snakemake(pipeline_run) -> None:
    wd = pipeline_run
    mlp = small_config()["mlp"]
    cells = sorted(p.name for p in (wd / "results/mlp/cells").iterdir())
    assert cells == ["w4_b256.json", "w8_b256.json"]
    cell = json.loads((wd / "results/mlp/cells/w8_b256.json").read_text())
    assert len(cell["models"]) == 8 and all(len(m["epochs"]) == 2 for m in cell["models"])
    assert sorted({m["momentum"] for m in cell["models"]}) == mlp["momentums"]
    assert cell["n_valid"] == 2000 and cell["n_fit"] == 8000
    with open(wd / "results/mlp/grid.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 1 * 2 * 2 * 2  # width, lr, batch, epochs, momentum, seed
    assert {"valid_f1", "test_f1", "test_accuracy", "diverged"} <= set(rows[0])
    best = json.loads((wd / "results/mlp/best.json").read_text())
    b = best["best"]
    top_valid = max(s["score"] for s in best["top"])
    assert b["score"] == top_valid and b["epochs"] in mlp["epochs"]
    assert b["test_f1"]["n"] == 2
    pub = json.loads((wd / "results/mlp/published.json").read_text())
    assert len(pub["epochs"]) == 10
    log = (wd / "logs/mlp/train_w4_b256.log").read_text()
    assert ("no CUDA device available" in log) or torch.cuda.is_available()
    html = (wd / "reports/hw6.html").read_text()
    assert 'id="mlp"' in html and "Does the MLP beat a simple tree?" in html
    # one verdict, stated alike in the answers and in the MLP section, with its tolerance
    assert html.count("The tolerance is the standard deviation over seeds") == 2
    # where the chosen configuration lies, in the answers and beside the grid table
    assert html.count("The chosen configuration") >= 2
    assert "became infinite or NaN" not in html
    assert html.count("<svg") >= 5


@pytest.mark.workflow
@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_cuda_fails_with_one_line(run_snakemake, tmp_path) -> None:
    cfg = small_config()
    cfg["mlp"] = {**cfg["mlp"], "device": "cuda", "widths": [4]}
    proc = run_snakemake(cfg, "results/mlp/cells/w4_b256.json", check=False)
    assert proc.returncode != 0
    log = (tmp_path / "logs/mlp/train_w4_b256.log").read_text()
    assert "config key mlp.device: 'cuda' requested but no CUDA device is available" in log
    assert "Traceback" not in log
