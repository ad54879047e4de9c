"""Configuration schema: defaults, and one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hw6lib.config import ConfigError, load_schema, validate_config

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
