"""Configuration schema: defaults, and one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hw6lib.errors import ConfigError
from hw6lib.pipeline.config import load_schema, validate_config

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def _walk(schema, path=""):
    yield path, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}" if path else key)


def test_every_key_has_description_and_default_and_objects_are_closed():
    for path, sub in _walk(SCHEMA):
        assert sub.get("description"), f"{path or 'top level'} has no description"
        if path:
            assert "default" in sub, f"{path} has no default"
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, f"{path} allows unknown keys"


def test_default_config_file_is_valid_and_equals_schema_defaults():
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert validate_config(cfg, SCHEMA) == validate_config({}, SCHEMA)


@pytest.mark.parametrize(
    ("config", "key", "what"),
    [
        ({"problem1": {"n": 0}}, "problem1.n", "less than the minimum"),
        ({"problem1": {"n": -5}}, "problem1.n", "less than the minimum"),
        ({"problem1": {"n": "many"}}, "problem1.n", "not of type 'integer'"),
        ({"problem1": {"n": 1.5}}, "problem1.n", "not of type 'integer'"),
        ({"problem1": {"seed": True}}, "problem1.seed", "not of type 'integer'"),
        ({"problem1": {"nn": 10}}, "problem1.nn", "unknown key"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"problem1": {"depths": [2, 3]}}, "problem1.depths", "does not contain"),
        ({"problem1": {"gradcheck": {"eps": 0}}}, "problem1.gradcheck.eps", "less than or equal"),
    ],
)
def test_bad_values_name_the_key(config, key, what):
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"config key {key}:"), msg
    assert what in msg


def test_defaults_fill_nested_sections():
    cfg = validate_config({"problem1": {"n": 10}}, SCHEMA)
    assert cfg["problem1"]["n"] == 10
    assert cfg["problem1"]["seed"] == 3
    assert cfg["problem1"]["gradcheck"]["points"] == 5


# Snakemake reads every value of a nested --config entry as text:
#   --config 'card={"path": "x.csv", "n_train": 25000}'  ->  {"n_train": "25000"}
@pytest.mark.parametrize(
    ("config", "section", "key", "value"),
    [
        ({"card": {"n_train": "25000"}}, "card", "n_train", 25000),
        ({"card": {"n_train": " 25000 "}}, "card", "n_train", 25000),
        ({"problem1": {"gtol": "1e-5"}}, "problem1", "gtol", 1e-5),
        ({"problem1": {"gtol": "0.001"}}, "problem1", "gtol", 0.001),
        ({"mlp": {"widths": ["4", "8"]}}, "mlp", "widths", [4, 8]),
        ({"mlp": {"learning_rates": ["0.1", "1"]}}, "mlp", "learning_rates", [0.1, 1.0]),
        ({"tree": {"max_depths": ["2", "null"]}}, "tree", "max_depths", [2, None]),
        ({"card": {"path": "null"}}, "card", "path", None),
        ({"card": {"path": "data/card_transdata.csv"}}, "card", "path", "data/card_transdata.csv"),
        ({"mlp": {"device": "cpu"}}, "mlp", "device", "cpu"),
    ],
)
def test_numbers_given_as_text_are_accepted(config, section, key, value):
    cfg = validate_config(config, SCHEMA)
    assert cfg[section][key] == value
    assert type(cfg[section][key]) is type(value)


@pytest.mark.parametrize(
    ("config", "key", "text"),
    [
        ({"card": {"n_train": "25k"}}, "card.n_train", "'25k' is not of type 'integer'"),
        ({"card": {"n_train": "2.5"}}, "card.n_train", "'2.5' is not of type 'integer'"),
        ({"problem1": {"n": "1e6"}}, "problem1.n", "'1e6' is not of type 'integer'"),
        ({"problem1": {"gtol": "small"}}, "problem1.gtol", "'small' is not of type 'number'"),
        ({"problem1": {"gtol": "nan"}}, "problem1.gtol", "'nan' is not of type 'number'"),
        ({"mlp": {"widths": ["4", "x"]}}, "mlp.widths.1", "'x' is not of type 'integer'"),
        ({"card": {"n_train": "-5"}}, "card.n_train", "-5 is less than the minimum of 1"),
    ],
)
def test_text_that_is_not_a_clean_number_is_refused_naming_the_key(config, key, text):
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert str(err.value) == f"config key {key}: {text}"


def test_coercion_does_not_modify_the_input():
    config = {"card": {"n_train": "25000"}}
    validate_config(config, SCHEMA)
    assert config == {"card": {"n_train": "25000"}}


def test_config_readme_is_generated_from_the_schema():
    """config/README.md is tools/config_readme.py's output for the current schema."""
    from hw6lib.pipeline.configdoc import schema_markdown

    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    assert text == schema_markdown(SCHEMA), "run: .venv/bin/python tools/config_readme.py"
    for path, sub in _walk(SCHEMA):
        if path and sub.get("type") != "object":
            assert f"| `{path}` |" in text, path


def test_real_config_points_at_the_kaggle_file():
    real = yaml.safe_load((REPO / "config" / "real.yaml").read_text())
    assert real == {"card": {"path": "data/card_transdata.csv"}}
    cfg = validate_config(real, SCHEMA)
    assert cfg["card"]["n_train"] == 500000  # the homework's split, from the defaults
    assert "config/real.yaml" in (REPO / "README.md").read_text()
