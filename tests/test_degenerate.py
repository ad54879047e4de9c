"""Degenerate data and training: a diverging learning rate is recorded and reported, a constant
feature is standardised without dividing by zero, and training rows from which nothing can be
learnt (one class only) stop the run with one line; plus the clean-up of killed writers and the
peak-memory line of every job."""

from __future__ import annotations

import csv
import json
import logging
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import small_config, snakemake_runner

from hw6lib.card.csvfile import COLUMNS
from hw6lib.card.split import CardSplit, check_label_classes
from hw6lib.card.standardize import fit_standardizer
from hw6lib.card.synthetic import generate_card_data
from hw6lib.errors import InputError
from hw6lib.mlp import DIVERGENCE_FACTOR, SGDSettings, train_cell, train_models
from hw6lib.pipeline.resultfiles import read_json, write_json
from hw6lib.pipeline.runlog import job_logging, peak_rss_mb


@pytest.fixture(scope="module")
def card() -> tuple[np.ndarray, np.ndarray]:
    frame = generate_card_data(3000, seed=2)
    X = frame.loc[:, list(COLUMNS[:-1])].to_numpy(np.float32)
    return X, frame["fraud"].to_numpy(np.uint8)


# ------------------------------------------------------------------------------------------
# Divergence
# ------------------------------------------------------------------------------------------


def test_huge_learning_rate_is_marked_diverged_though_its_loss_stays_finite(card) -> None:
    X, y = card
    st = fit_standardizer(X)
    Xs = st.transform(X)
    out = train_models(
        Xs, y, {"valid": (Xs[:500], y[:500])}, SGDSettings(4, [0.1, 1000.0], [0, 0], 256, 3)
    )
    good, bad = out.models
    assert good["diverged_epoch"] is None
    assert all(r["valid"] is not None for r in good["epochs"])
    assert bad["diverged_epoch"] == 1
    first = bad["epochs"][0]["train_loss"]
    assert math.isfinite(first) and first > DIVERGENCE_FACTOR * bad["initial_train_loss"]
    assert [r["diverged"] for r in bad["epochs"]] == [True, True, True]
    assert all(r["valid"] is None for r in bad["epochs"])
    assert all(np.isfinite(v).all() for v in out.params.values())


def test_small_learning_rates_are_not_marked(card) -> None:
    X, y = card
    Xs = fit_standardizer(X).transform(X)
    out = train_models(Xs, y, {}, SGDSettings(4, [0.0, 1e-4, 0.01, 1.0], [0, 1, 2, 3], 256, 2))
    assert [m["diverged_epoch"] for m in out.models] == [None] * 4


# ------------------------------------------------------------------------------------------
# A constant feature
# ------------------------------------------------------------------------------------------


def test_constant_column_is_centred_not_divided_by_zero(card) -> None:
    X, y = card
    X = X.copy()
    X[:, 5] = 0.0  # used_pin_number never 1
    X[:, 0] = 7.25  # a constant continuous column
    st = fit_standardizer(X)
    assert st.scale[5] == 1.0 and st.scale[0] == 1.0
    Z = st.transform(X)
    assert np.isfinite(Z).all() and (Z[:, 5] == 0).all() and (Z[:, 0] == 0).all()
    split = CardSplit(X[:2000], y[:2000], X[2000:], y[2000:], n_valid=400)
    cell = train_cell(split, SGDSettings.grid(4, [0.1], [0], 128, 2))
    rec = cell.models[0].epochs[-1]
    assert cell.models[0].diverged_epoch is None
    assert math.isfinite(rec["train_loss"]) and math.isfinite(rec["test"]["loss"])


# ------------------------------------------------------------------------------------------
# Training rows of one class
# ------------------------------------------------------------------------------------------


def test_label_classes() -> None:
    y = np.zeros(100, dtype=np.uint8)
    y[[10, 95]] = 1
    check_label_classes(y, 20, "f.csv")  # fraud in the fitting rows and in validation
    with pytest.raises(InputError, match=r"^f\.csv: the training rows \(lines 2-81\) hold no"):
        check_label_classes(np.zeros(100, np.uint8), 20, "f.csv")
    with pytest.raises(InputError, match=r"lines 2-81\) are all fraud cases"):
        check_label_classes(np.ones(100, np.uint8), 20, "f.csv")
    y[95] = 0
    with pytest.raises(
        InputError, match=r"the validation rows \(lines 82-101, the last card.n_valid = 20 "
    ):
        check_label_classes(y, 20, "f.csv")
    check_label_classes(y, 0, "f.csv")  # no validation slice: nothing to choose on


# ------------------------------------------------------------------------------------------
# Killed writers and peak memory
# ------------------------------------------------------------------------------------------


def test_next_writer_removes_temporaries_of_a_killed_one(tmp_path: Path) -> None:
    stale = tmp_path / ".best.json.k3x9q.tmp"
    stale.write_text('{"half": ')
    other = tmp_path / ".grid.json.k3x9q.tmp"  # another file's temporary: not ours to remove
    other.write_text("{")
    write_json(tmp_path / "best.json", {"a": 1})
    assert read_json(tmp_path / "best.json") == {"a": 1}
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".grid.json.k3x9q.tmp", "best.json"]


def test_every_job_logs_its_peak_memory(tmp_path: Path) -> None:
    # the kernel's own high-water mark of this process, read independently (Linux), is what
    # peak_rss_mb reports at least; and touching 150 MB more than that raises it by as much
    if sys.platform.startswith("linux"):

        def hwm_mb() -> float:
            status = Path("/proc/self/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024 / 1e6

        before = hwm_mb()
        assert peak_rss_mb() >= before - 1
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))
        extra = int((before - rss * 1024 / 1e6 + 150) * 1e6)
        block = np.ones(extra // 8)  # written, so resident
        assert peak_rss_mb() >= before + 140
        del block
    log = tmp_path / "job.log"
    with job_logging(log, name="hw6-peak-test") as lg:
        lg.info("work")
    assert "peak memory: " in log.read_text()
    logging.getLogger("hw6-peak-test").handlers.clear()


# ------------------------------------------------------------------------------------------
# Through Snakemake: a diverging learning rate and a constant feature in a real-format file
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def degenerate_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small config on a real-format CSV whose used_pin_number is always 0, with a learning
    rate of 1000 beside 0.1."""
    wd = tmp_path_factory.mktemp("degenerate")
    frame = generate_card_data(20000, seed=6)
    frame["used_pin_number"] = 0.0
    data = wd / "card_transdata.csv"
    lines = [",".join(COLUMNS)]
    for row in frame.itertuples(index=False):
        lines.append(",".join([f"{v:.17g}" for v in row[:3]] + [f"{v:.1f}" for v in row[3:]]))
    data.write_text("\n".join(lines) + "\n")
    cfg = small_config()
    cfg["card"] = {**cfg["card"], "path": str(data)}
    cfg["mlp"] = {
        **cfg["mlp"],
        "widths": [4],
        "learning_rates": [0.1, 1000.0],
        "momentums": [0.0],
    }
    snakemake_runner(wd / "run")(cfg)
    return wd / "run"


@pytest.mark.workflow
def test_diverging_learning_rate_is_recorded_and_reported(degenerate_run: Path) -> None:
    cell = read_json(degenerate_run / "results/mlp/cells/w4_b256.json")
    by_lr = {(m["lr"], m["seed"]): m for m in cell["models"]}
    assert all(by_lr[(1000.0, s)]["diverged_epoch"] == 1 for s in (0, 1))
    assert all(by_lr[(0.1, s)]["diverged_epoch"] is None for s in (0, 1))
    with open(degenerate_run / "results/mlp/grid.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["diverged"] for r in rows if float(r["lr"]) == 1000.0} == {"True"}
    assert {r["diverged"] for r in rows if float(r["lr"]) == 0.1} == {"False"}
    best = read_json(degenerate_run / "results/mlp/best.json")
    assert best["best"]["lr"] == 0.1 and best["n_diverged_models"] == 2
    html = (degenerate_run / "reports/hw6.html").read_text()
    assert "div. (epoch 1)" in html and "of which 2 diverged" in html
    # the report states the rule the code applies, with the code's factor
    assert f"exceeded {DIVERGENCE_FACTOR:g} times the loss of its initial weights" in html
    assert "nan" not in json.dumps(best).lower()


@pytest.mark.workflow
def test_constant_feature_runs_through(degenerate_run: Path) -> None:
    cell = read_json(degenerate_run / "results/mlp/cells/w4_b256.json")
    pin = COLUMNS.index("used_pin_number")
    assert cell["standardizer"]["scale"][pin] == 1.0
    assert cell["standardizer"]["mean"][pin] == 0.0
    tree = read_json(degenerate_run / "results/card/tree/metrics.json")
    # the label was drawn with the PIN flag, now hidden: still well above the 91% base rate
    assert tree["test"]["accuracy"] > 0.95
    log = (degenerate_run / "logs/mlp/train_w4_b256.log").read_text()
    assert "peak memory: " in log and "Traceback" not in log
