"""Validating the pipeline's configuration against its JSON Schema.

The schema (``workflow/schemas/config.schema.yaml``) gives every key a description, a type, a
range and a default, and forbids unknown keys. :func:`validate_config` fills the defaults and
turns the first violation into one line that names the key, e.g.
``config key problem1.n: -5 is less than the minimum of 1``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""


def load_schema(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML or JSON schema file with the safe YAML loader."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _fill_defaults(instance: Any, schema: Mapping[str, Any]) -> None:
    """Recursively insert the schema's defaults for missing keys of objects."""
    if not isinstance(instance, dict) or schema.get("type") != "object":
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)


def _key(error: jsonschema.ValidationError) -> str:
    """Dotted path of the offending key (for an unknown key, the unknown key itself)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path += extra[:1]
    return ".".join(path) or "<top level>"


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a configuration and return a copy with every default filled in.

    Parameters
    ----------
    config : mapping
        The configuration as loaded (e.g. Snakemake's ``config``).
    schema : mapping
        The JSON Schema (draft 2020-12).

    Returns
    -------
    dict
        A deep copy of ``config`` with defaults inserted.

    Raises
    ------
    ConfigError
        On the first violation, in schema order, with a one-line message naming the key.
    """
    filled = copy.deepcopy(dict(config))
    _fill_defaults(filled, {**schema, "type": "object"})
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = errors[0]
        key = _key(e)
        if e.validator == "additionalProperties":
            msg = f"unknown key (allowed: {', '.join(sorted(e.schema.get('properties', {})))})"
        else:
            msg = e.message.replace("\n", " ")
        raise ConfigError(f"config key {key}: {msg}")
    return filled
