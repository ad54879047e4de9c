"""The Problem 2 data and tree rules run by Snakemake: on a small stand-in, on a small real-format
CSV (BOM, CRLF, 1.0/0.0 binaries), and on bad CSVs, which must fail with one line and no output."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from helpers import SNAKEMAKE_ENV, small_config, snakemake_cmd

from hw6lib.card.csvfile import COLUMNS, FEATURES
from hw6lib.card.synthetic import generate_card_data
from hw6lib.pipeline.resultfiles import load_array, read_json

pytestmark = pytest.mark.workflow

SPLIT = [
    "results/card/split/X_train.npy",
    "results/card/split/y_train.npy",
    "results/card/split/X_test.npy",
    "results/card/split/y_test.npy",
    "results/card/split/summary.json",
]
TREE = [
    "results/card/tree/metrics.json",
    "results/card/tree/sweep.json",
    "results/card/tree/depth_sweep.svg",
]


def _config(**card: Any) -> dict[str, Any]:
    """The small configuration's Problem 1, card data (updated by ``card``) and tree."""
    small = small_config()
    return {"problem1": small["problem1"], "card": {**small["card"], **card}, "tree": small["tree"]}


def _snakemake(
    workdir: Path, config: dict[str, Any], *targets: str
) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(config))
    cmd = snakemake_cmd(workdir, cfg, *targets)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=SNAKEMAKE_ENV)


def _ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"


def test_stand_in_split_tree_and_report(tmp_path: Path) -> None:
    proc = _snakemake(tmp_path, _config(), *SPLIT, *TREE, "reports/hw6.html")
    _ok(proc)
    summary = read_json(tmp_path / "results/card/split/summary.json")
    src = summary["source"]
    csv = tmp_path / "results/card/synthetic/card_transdata.csv"
    assert src["kind"] == "synthetic" and src["rows"] == 20000 and src["seed"] == 425
    assert src["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert summary["rows"]["valid"] == 2000 and summary["rows"]["test"] == 10000
    assert abs(summary["fraud_rate"]["all"] - 0.087) < 0.01
    X_train = load_array(tmp_path / "results/card/split/X_train.npy")
    y_test = load_array(tmp_path / "results/card/split/y_test.npy")
    assert X_train.shape == (10000, 7) and X_train.dtype == np.float32
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    # The stand-in written by the rule is the generator's output, in file order.
    expected = generate_card_data(20000, seed=425)
    np.testing.assert_array_equal(X_train, expected.loc[:9999, list(FEATURES)].to_numpy(np.float32))
    metrics = read_json(tmp_path / "results/card/tree/metrics.json")
    assert metrics["n_train"] == 10000 and metrics["test"]["accuracy"] > 0.99
    sweep = read_json(tmp_path / "results/card/tree/sweep.json")
    assert [t["max_depth"] for t in sweep["trees"]] == [2, 4, None]
    assert sweep["trees"][-1]["test"] == metrics["test"]
    html = (tmp_path / "reports/hw6.html").read_text()
    head = html[: html.index("<nav")]
    assert "synthetic stand-in" in head and src["sha256"] in head and "20,000 rows" in head
    for anchor in ('id="data"', 'id="tree"', 'href="#data"', 'href="#tree"', "<svg"):
        assert anchor in html
    assert "truncated branch" in html


def _real_format_csv(path: Path, n: int, seed: int) -> np.ndarray:
    """Write rows as real copies do: BOM, CRLF, 17-digit floats, binaries as 1.0/0.0."""
    frame = generate_card_data(n, seed=seed)
    lines = [",".join(COLUMNS)]
    for row in frame.itertuples(index=False):
        lines.append(",".join([f"{v:.17g}" for v in row[:3]] + [f"{v:.1f}" for v in row[3:]]))
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())
    return frame.to_numpy()


def test_real_format_csv(tmp_path: Path) -> None:
    data = tmp_path / "data" / "card_transdata.csv"
    data.parent.mkdir()
    values = _real_format_csv(data, 15000, seed=9)
    proc = _snakemake(tmp_path / "run", _config(path=str(data)), *SPLIT, *TREE)
    _ok(proc)
    run = tmp_path / "run"
    assert not (run / "results/card/synthetic").exists()
    summary = read_json(run / "results/card/split/summary.json")
    assert summary["source"] == {
        "kind": "real",
        "path": str(data),
        "rows": 15000,
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "seed": None,
    }
    X_test = load_array(run / "results/card/split/X_test.npy")
    np.testing.assert_array_equal(X_test, values[10000:, :7].astype(np.float32))
    assert (load_array(run / "results/card/split/y_train.npy") == values[:10000, 7]).all()
    assert read_json(run / "results/card/tree/metrics.json")["n_test"] == 5000


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("chip", "line 1207, column used_chip: value 2 is not 0 or 1"),
        ("cut", "line 12002, column used_chip: empty cell; the file is cut off mid-row"),
        ("short", "line 12002: the file ends after 12,000 data rows; at least 12,001 are needed"),
    ],
)
def test_bad_csv_fails_with_one_line_and_no_output(tmp_path: Path, edit: str, message: str) -> None:
    data = tmp_path / "card_transdata.csv"
    _real_format_csv(data, 12000, seed=4)
    lines = data.read_bytes().decode("utf-8-sig").split("\r\n")
    if edit == "chip":
        cells = lines[1206].split(",")
        cells[4] = "2"
        lines[1206] = ",".join(cells)
    elif edit == "cut":
        lines[-1] = "20.26,2.32,7.50,1,,,,"
    config = _config(path=str(data))
    if edit == "short":
        config["card"]["n_train"] = 12000
    data.write_text("\r\n".join(lines), encoding="utf-8", newline="")
    run = tmp_path / "run"
    proc = _snakemake(run, config, *SPLIT, *TREE)
    assert proc.returncode != 0
    # the real file is validated before any job starts: one line, no job, nothing written
    errors = [line for line in proc.stderr.splitlines() if line.startswith("hw6: ")]
    assert len(errors) == 1 and errors[0].startswith(f"hw6: {data} {message}")
    assert not run.joinpath("results").exists()
    assert not run.joinpath("logs").exists()


def test_missing_path_names_the_config_key(tmp_path: Path) -> None:
    proc = _snakemake(tmp_path, _config(path=str(tmp_path / "nope.csv")), *SPLIT)
    assert proc.returncode != 0
    assert "hw6: config key card.path: no such file" in proc.stderr
