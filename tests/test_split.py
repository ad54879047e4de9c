"""The homework's split: file order kept, sizes, validation slice, summary, and config errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hw6lib.carddata import COLUMNS, FEATURES, file_sha256, generate_card_data, write_card_csv
from hw6lib.errors import ConfigError, InputError
from hw6lib.split import split_card, split_card_file


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
    """The network is chosen on the validation rows: there must be one (hw6lib.holdout)."""
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
