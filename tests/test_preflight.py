"""Checks before any job starts: key relations and the real data file (validated once)."""

from __future__ import annotations

import os
import re

import pytest

from hw6lib.card.synthetic import generate_card_data, write_card_csv
from hw6lib.errors import ConfigError, InputError
from hw6lib.preflight import check_card_file, check_config_relations


def card(**kw):
    base = {"path": None, "synthetic_rows": 1000, "n_train": 500, "n_valid": 50}
    return {"card": {**base, **kw}}


@pytest.mark.parametrize(
    ("cfg", "start"),
    [
        (card(n_valid=500), "config key card.n_valid: 500 must be smaller than card.n_train"),
        (card(n_train=1000), "config key card.n_train: 1000 must be smaller than card.synthetic"),
    ],
)
def test_relations(cfg, start):
    with pytest.raises(ConfigError, match="^" + re.escape(start)):
        check_config_relations(cfg)


def test_epochs_beyond_training():
    cfg = {**card(), "mlp": {"epochs": [1, 20], "max_epochs": 10}}
    with pytest.raises(ConfigError, match=r"^config key mlp\.epochs: 20 exceeds mlp\.max_epochs"):
        check_config_relations(cfg)


def test_path_problems(tmp_path):
    with pytest.raises(ConfigError, match=r"card\.path: .* is a directory"):
        check_config_relations(card(path=str(tmp_path)))
    with pytest.raises(ConfigError, match=r"card\.path: no such file"):
        check_config_relations(card(path=str(tmp_path / "missing.csv")))
    good = tmp_path / "ok.csv"
    good.write_text("x")
    check_config_relations(card(path=str(good)))  # existence only; content is checked below


def test_card_file_validated_once_per_version(tmp_path):
    path = tmp_path / "card.csv"
    write_card_csv(generate_card_data(300, seed=1), path)
    cache = tmp_path / "cache" / "validated.json"
    assert check_card_file(path, 200, cache, n_valid=20) is True
    assert check_card_file(path, 200, cache, n_valid=20) is False  # remembered
    assert check_card_file(path, 250, cache, n_valid=20) is True  # another n_train: checked again
    with pytest.raises(InputError, match="at least 301 are needed"):
        check_card_file(path, 300, cache, n_valid=20)
    # a changed file is read again, and its problem reported with line and column
    lines = path.read_text().splitlines()
    cells = lines[10].split(",")
    cells[4] = "7"
    lines[10] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, ns=(1, 1))
    with pytest.raises(InputError, match=r"line 11, column used_chip: value 7 is not 0 or 1"):
        check_card_file(path, 200, cache, n_valid=20)
