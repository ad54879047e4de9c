"""The homework's split: file order kept, sizes, validation slice, summary, and config errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hw6lib.card.csvfile import COLUMNS, FEATURES, file_sha256
from hw6lib.card.split import ARRAYS, CardSplit, split_card, split_card_file
from hw6lib.card.synthetic import generate_card_data, write_card_csv
from hw6lib.errors import ConfigError, InputError
from hw6lib.pipeline.resultfiles import save_array
from hw6lib.preflight import check_card_file


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_card_data(3000, seed=11)


def test_order_kept_and_sizes(frame: pd.DataFrame) -> None:
    arrays, summary = split_card(frame, n_train=2000, n_valid=300)
    X = frame.loc[:, list(FEATURES)].to_numpy(np.float32)
    assert arrays["X_train"].shape == (2000, 7)
    assert arrays["X_test"].shape == (1000, 7)
    np.testing.assert_array_equal(arrays["X_train"], X[:2000])
    np.testing.assert_array_equal(arrays["X_test"], X[2000:])
    np.testing.assert_array_equal(arrays["y_train"], frame.fraud.to_numpy()[:2000])
    np.testing.assert_array_equal(arrays["y_test"], frame.fraud.to_numpy()[2000:])
    assert summary["rows"] == {
        "train": 2000,
        "train_fit": 1700,
        "valid": 300,
        "test": 1000,
        "all": 3000,
    }


def test_dtypes_and_contiguity(frame: pd.DataFrame) -> None:
    arrays, _ = split_card(frame, n_train=2000, n_valid=300)
    for k in ("X_train", "X_test"):
        assert arrays[k].dtype == np.float32
    for k in ("y_train", "y_test"):
        assert arrays[k].dtype == np.uint8
        assert set(np.unique(arrays[k])) <= {0, 1}


def test_summary_rates_and_means(frame: pd.DataFrame) -> None:
    _, s = split_card(frame, n_train=2000, n_valid=300)
    y = frame.fraud.to_numpy()
    assert s["fraud_rate"]["train"] == pytest.approx(y[:2000].mean())
    assert s["fraud_rate"]["valid"] == pytest.approx(y[1700:2000].mean())
    assert s["fraud_rate"]["test"] == pytest.approx(y[2000:].mean())
    assert s["fraud_count"]["all"] == int(y.sum())
    assert s["columns"] == list(COLUMNS)
    assert list(s["feature_means"]["test"]) == list(FEATURES)
    assert s["feature_means"]["train"]["used_chip"] == pytest.approx(frame.used_chip[:2000].mean())
    assert len(s["features_summary"]) == len(COLUMNS)


def test_zero_validation_rows_are_refused(frame: pd.DataFrame) -> None:
    """The network is chosen on the validation rows: there must be one (hw6lib.card.holdout)."""
    with pytest.raises(ConfigError, match=r"^config key card\.n_valid: 0 must be smaller"):
        split_card(frame, n_train=2000, n_valid=0)


@pytest.mark.parametrize(
    ("n_train", "n_valid", "key"),
    [(3000, 10, "card.n_train"), (0, 0, "card.n_train"), (2000, 2000, "card.n_valid")],
)
def test_bad_sizes_name_the_config_key(
    frame: pd.DataFrame, n_train: int, n_valid: int, key: str
) -> None:
    with pytest.raises((InputError, ConfigError), match=f"^config key {key}: "):
        split_card(frame, n_train=n_train, n_valid=n_valid)


def test_split_card_file_records_the_source(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "card_transdata.csv"
    write_card_csv(frame, path)
    arrays, s = split_card_file(path, 2000, 300, "synthetic", seed=11)
    assert s["source"] == {
        "kind": "synthetic",
        "path": str(path),
        "rows": 3000,
        "sha256": file_sha256(path),
        "seed": 11,
    }
    assert arrays["X_test"].shape == (1000, 7)
    _, real = split_card_file(path, 2000, 300, "real", seed=11)
    assert real["source"]["kind"] == "real" and real["source"]["seed"] is None


def test_split_card_file_needs_n_train_plus_one_rows(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "card_transdata.csv"
    write_card_csv(frame, path)
    with pytest.raises(
        InputError, match=r"line 3002: the file ends after 3,000 data rows.*n_train"
    ):
        split_card_file(path, 3000, 0, "real")


def test_split_card_file_rejects_unknown_kind(tmp_path: Path, frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="kind"):
        split_card_file(tmp_path / "x.csv", 10, 0, "fake")


def test_card_split_loads_the_split_once_with_its_slice_and_standardiser(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    """What the MLP derives from the split (fitting rows, validation slice, standardiser fitted
    on the fitting rows only, standardised rows) comes from the one object, computed once."""
    arrays, _ = split_card(frame, n_train=2000, n_valid=300)
    files = {}
    for name in ARRAYS:
        files[name] = tmp_path / f"{name}.npy"
        save_array(files[name], arrays[name])
    split = CardSplit.load(files, n_valid=300, device="cpu")
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(split, name), arrays[name])
    assert (split.n_train, split.n_test, split.device) == (2000, 1000, "cpu")
    assert (split.fit, split.valid) == (slice(0, 1700), slice(1700, 2000))
    fit_rows = arrays["X_train"][:1700].astype(np.float64)
    np.testing.assert_allclose(split.standardizer.mean, fit_rows.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(split.standardizer.scale, fit_rows.std(axis=0), rtol=1e-12)
    st = split.standardizer
    np.testing.assert_array_equal(split.X_fit, st.transform(arrays["X_train"][:1700]))
    np.testing.assert_array_equal(split.y_fit, arrays["y_train"][:1700])
    X_valid, y_valid = split.evals["valid"]
    np.testing.assert_array_equal(X_valid, st.transform(arrays["X_train"][1700:]))
    np.testing.assert_array_equal(y_valid, arrays["y_train"][1700:])
    np.testing.assert_array_equal(split.evals["test"][0], st.transform(arrays["X_test"]))
    assert split.X_fit is split.X_fit and split.evals is split.evals  # computed once


def test_card_split_without_n_valid_serves_the_tree_only(frame: pd.DataFrame) -> None:
    arrays, _ = split_card(frame, n_train=2000, n_valid=300)
    split = CardSplit(**arrays)  # the tree and the published run use every training row
    assert split.n_train == 2000 and split.y_train.ndim == 1
    with pytest.raises(ValueError, match=r"without card\.n_valid"):
        _ = split.standardizer
    with pytest.raises(ConfigError, match=r"^config key card\.n_valid: 2000 must be smaller"):
        _ = CardSplit(**arrays, n_valid=2000).fit
    with pytest.raises(ValueError, match="2000 train rows but 1999 train labels"):
        CardSplit(arrays["X_train"], arrays["y_train"][1:], arrays["X_test"], arrays["y_test"])


def test_card_split_load_names_a_damaged_array(tmp_path: Path, frame: pd.DataFrame) -> None:
    arrays, _ = split_card(frame, n_train=2000, n_valid=300)
    files = {name: tmp_path / f"{name}.npy" for name in ARRAYS}
    for name in ARRAYS:
        save_array(files[name], arrays[name])
    files["X_test"].write_bytes(files["X_test"].read_bytes()[:200])
    with pytest.raises(InputError, match=r"X_test\.npy: damaged result file"):
        CardSplit.load(files, n_valid=300)


def test_preflight_and_the_split_job_read_the_data_alike(tmp_path: Path) -> None:
    """One reader (hw6lib.card.split.read_card_file): a file the pre-flight check refuses, the split
    job refuses with the same line, and a file it accepts, the job splits."""
    frame = generate_card_data(400, seed=3)
    frame.loc[250:299, "fraud"] = 0  # no fraud case in the validation rows (250-299)
    path = tmp_path / "card.csv"
    write_card_csv(frame, path)
    with pytest.raises(InputError) as before:
        check_card_file(path, 300, tmp_path / "cache.json", n_valid=50)
    with pytest.raises(InputError) as job:
        split_card_file(path, 300, 50, "real")
    assert str(before.value) == str(job.value)
    assert "validation rows (lines 252-301" in str(job.value)
    assert check_card_file(path, 300, tmp_path / "cache.json", n_valid=100)
    arrays, _ = split_card_file(path, 300, 100, "real")
    assert arrays["y_train"].shape == (300,)
