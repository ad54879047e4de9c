"""Validating the pipeline's configuration against its JSON Schema.

The schema (``workflow/schemas/config.schema.yaml``) gives every key a description, a type, a
range and a default, and forbids unknown keys. :func:`validate_config` fills the defaults and
turns the first violation into one line that names the key, e.g.
``config key problem1.n: -5 is less than the minimum of 1``. Numbers written as text (Snakemake
reads every value of a nested ``--config 'card={"n_train": 25000}'`` as a string) are turned
into numbers first where the schema asks for one and the text parses cleanly
(:func:`coerce_numbers`).
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Mapping
from typing import Any

import jsonschema
import yaml

from hw6lib.errors import ConfigError


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


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NULLS = ("null", "~")


def _types(schema: Mapping[str, Any]) -> set[str]:
    """Return the JSON types a (sub)schema allows, looking into ``anyOf``/``oneOf``."""
    t = schema.get("type")
    out = set([t] if isinstance(t, str) else t or [])
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            out |= _types(sub)
    return out


def _parse(text: str, types: set[str]) -> Any:
    """``text`` as the first of ``types`` it parses cleanly as, else ``text`` unchanged."""
    s = text.strip()
    if "integer" in types and _INTEGER.fullmatch(s):
        return int(s)
    if "number" in types:
        try:
            value = float(s)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    if "null" in types and s in _NULLS:
        return None
    return text


def coerce_numbers(instance: Any, schema: Mapping[str, Any]) -> Any:
    """Copy ``instance``, turning text into numbers (or null) where the schema asks for them.

    Snakemake reads every value of a nested ``--config`` entry as text (``'25000'``); a text
    value of a key whose schema type is ``integer`` is converted when it is an integer literal
    (``'25000'``, not ``'1e6'`` or ``'2.5'``), of a ``number`` key when it parses as a finite
    float (``'1e-5'``), of a key that allows ``null`` when it is ``'null'`` or ``'~'``. Any
    other text stays as it is, so that validation refuses it naming the key. Lists are
    converted item by item (``items``); objects key by key (``properties``).

    Parameters
    ----------
    instance : any
        The configuration (or part of it).
    schema : mapping
        The matching (sub)schema.

    Returns
    -------
    any
        The converted copy; ``instance`` itself is not modified.
    """
    if isinstance(instance, str):
        types = _types(schema)
        return _parse(instance, types) if types & {"integer", "number", "null"} else instance
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        return {k: coerce_numbers(v, props[k]) if k in props else v for k, v in instance.items()}
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [coerce_numbers(v, schema["items"]) for v in instance]
    return copy.deepcopy(instance)


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
        On the first violation, the violations ordered by the offending key's path, compared
        part by part as text (``card.n_train`` before ``mlp.widths``, an unknown top-level key
        before either), with a one-line message naming the key.

    Notes
    -----
    Text that parses cleanly as the number a key needs is converted first
    (:func:`coerce_numbers`).
    """
    filled = coerce_numbers(dict(config), {**schema, "type": "object"})
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


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return the leaves of a nested configuration under dotted keys (``mlp.widths``), in key order.

    Lists are leaves (a grid's values are one setting), as are ``None`` and scalars.
    """
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def config_differences(
    default: Mapping[str, Any], config: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """List the keys in which ``config`` differs from ``default``, both validated.

    Returns
    -------
    list of dict
        ``key`` (dotted), ``default`` and ``value`` (``None`` where a key is absent), in the
        order of the keys of ``default`` and then of the new ones; empty when they agree.
    """
    a, b = flatten(default), flatten(config)
    return [
        {"key": k, "default": a.get(k), "value": b.get(k)}
        for k in dict.fromkeys([*a, *b])
        if a.get(k) != b.get(k)
    ]
