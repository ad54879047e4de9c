"""The MLP grid through Snakemake on the small config (.test/config.yaml)."""

from __future__ import annotations

import csv
import json
import statistics

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
    # the best is the configuration of the highest mean validation F1 over seeds, recomputed
    # from grid.csv here (diverged seeds count as 0), not read off best.json's own ranking
    keys = ("width", "lr", "batch_size", "epochs", "momentum")
    by_config: dict[tuple[str, ...], list[float]] = {}
    for r in rows:
        f1 = 0.0 if r["diverged"] in ("True", "true", "1") or not r["valid_f1"] else r["valid_f1"]
        by_config.setdefault(tuple(r[k] for k in keys), []).append(float(f1))
    means = {k: statistics.mean(v) for k, v in by_config.items()}
    chosen = tuple(str(b[k]) for k in keys)
    assert chosen in means, (chosen, list(means)[:3])
    assert means[chosen] == pytest.approx(max(means.values()), rel=1e-12, abs=1e-15)
    assert b["score"] == pytest.approx(means[chosen], rel=1e-12, abs=1e-15)
    assert b["epochs"] in mlp["epochs"]
    assert b["test_f1"]["n"] == 2
    pub = json.loads((wd / "results/mlp/published.json").read_text())
    assert len(pub["epochs"]) == 10
    log = (wd / "logs/mlp/train_w4_b256.log").read_text()
    # the log says which device trained (device: auto), on a GPU machine as on a CPU-only one
    if torch.cuda.is_available():
        assert f"device auto: training on {torch.cuda.get_device_name(0)}" in log
    else:
        assert "device auto: no CUDA device available, training on the CPU" in log
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
