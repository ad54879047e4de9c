"""The configuration's reference, ``config/README.md``, written from its JSON Schema.

Only ``tools/config_readme.py`` uses it (and the test that the README is current).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from hw6lib.pipeline.config import _types


def _type_text(schema: Mapping[str, Any]) -> str:
    """Say a key's type in words: ``integer``, ``list of number``, ``string or null``."""
    if schema.get("type") == "array":
        return f"list of {_type_text(schema.get('items', {}))}"
    if any(sub.get("type") == "array" for sub in schema.get("anyOf", [])):
        return " or ".join(_type_text(sub) for sub in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    types = sorted(_types(schema), key=lambda t: (t == "null", t))
    return " or ".join(types) or "any"


def _range_text(schema: Mapping[str, Any]) -> str:
    """Say the limits a key's schema sets (on its items, for a list), in words."""
    parts = []
    items = schema.get("items") if schema.get("type") == "array" else None
    for sub in [schema, *([items] if isinstance(items, dict) else [])]:
        subs = [sub, *sub.get("anyOf", [])]
        for s in subs:
            for word, sign in (
                ("minimum", "≥"),
                ("exclusiveMinimum", ">"),
                ("maximum", "≤"),
                ("exclusiveMaximum", "<"),
            ):
                if word in s:
                    parts.append(f"{sign} {s[word]}")
    if schema.get("minItems"):
        parts.append(f"at least {schema['minItems']} item(s)")
    if schema.get("uniqueItems"):
        parts.append("no repeats")
    if schema.get("minLength"):
        parts.append("not empty")
    return ", ".join(parts)


def _default_text(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def schema_markdown(schema: Mapping[str, Any]) -> str:
    """``config/README.md``: every key of the schema with its type, default, limits and meaning.

    Parameters
    ----------
    schema : mapping
        The configuration schema (``workflow/schemas/config.schema.yaml``).

    Returns
    -------
    str
        Markdown, one table per top-level section, generated (``tools/config_readme.py``).
    """
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from workflow/schemas/config.schema.yaml by tools/config_readme.py;",
        "     edit the schema, then run: .venv/bin/python tools/config_readme.py -->",
        "",
        " ".join(str(schema.get("description", "")).split()),
        "",
        "| file | what |",
        "|---|---|",
        "| `config.yaml` | the default configuration, read by every run |",
        "| `full.yaml` | a larger MLP grid for a GPU or a cluster "
        "(`--configfile config/full.yaml`) |",
        "| `real.yaml` | the real Kaggle file at `data/card_transdata.csv` "
        "(`--configfile config/real.yaml`) |",
        "",
        "A file given with `--configfile` is merged over `config.yaml`: it needs only the keys "
        "it changes. One key can also be set on the command line, a whole section at a time "
        'for nested keys: `--config \'card={"path": "data/card_transdata.csv", '
        '"n_train": 25000}\'` (numbers given there as text are read as numbers). Every value '
        "is checked before any job starts; a bad one stops the run with one line naming the key.",
    ]
    for section, sub in schema.get("properties", {}).items():
        lines += ["", f"## `{section}`", "", " ".join(str(sub.get("description", "")).split())]
        lines += ["", "| key | type | default | limits | meaning |", "|---|---|---|---|---|"]
        for key, s in _leaves(sub, section):
            desc = " ".join(str(s.get("description", "")).split()).replace("|", "\\|")
            lines.append(
                f"| `{key}` | {_type_text(s)} | `{_default_text(s.get('default'))}` | "
                f"{_range_text(s)} | {desc} |"
            )
    return "\n".join(lines) + "\n"


def _leaves(schema: Mapping[str, Any], prefix: str) -> list[tuple[str, Mapping[str, Any]]]:
    """Dotted keys of the non-object entries under ``schema``, in schema order."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{key}"
        if sub.get("type") == "object":
            out += _leaves(sub, path)
        else:
            out.append((path, sub))
    return out
