"""Rendering the HTML report from result files with Jinja2.

The report reads only files under ``results/``: :func:`load_inputs` turns a mapping of names to
paths into a context (the files of :data:`RECORDS` as their records, other JSON parsed, CSV as a
list of rows, SVG inlined as markup),
:func:`build_context` adds what the report says about them (:mod:`hw6lib.report.narrative`: every
choice between sentences is made there, the templates only format), and :func:`render_report`
renders ``reports/templates/hw6.html.j2`` with autoescaping on. Every string from data or config is
escaped; only our own SVG figures, the MathML of :func:`hw6lib.report.htmltext.tex` and the
sentences of :mod:`hw6lib.report.narrative` (escaped values in our own wording) are marked safe.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import jinja2
import yaml
from markupsafe import Markup

from hw6lib.mlp.grid import BestSummary
from hw6lib.mlp.replication import PublishedReplication
from hw6lib.pipeline.resultfiles import JsonValue, Record, atomic_open, read_json
from hw6lib.problem1.depths import DepthComparison, DepthFit
from hw6lib.problem1.gradcheck import GradientCheck
from hw6lib.report.htmltext import (
    count_with_noun,
    data_element,
    data_weights,
    format_number,
    tex,
    texblock,
    thousands,
    weights,
)
from hw6lib.report.narrative import report_narrative
from hw6lib.report.summary import Summary

#: Inputs read as records (``section__key`` to the record type; a list of files gives a list of
#: records): the rest stay plain JSON.
RECORDS: dict[str, type[Record]] = {
    "p1__fits": DepthFit,
    "p1__compare": DepthComparison,
    "p1__gradcheck": GradientCheck,
    "mlp__best": BestSummary,
    "mlp__published": PublishedReplication,
    "summary": Summary,
}

#: What one file of the report's inputs becomes (:func:`load_inputs`): a record (:data:`RECORDS`),
#: parsed JSON, a CSV or TSV file's rows, an SVG figure's markup, or text.
ReportInput: TypeAlias = "Record | JsonValue | list[dict[str, str]] | Markup | str"


def _load(path: Path) -> JsonValue | list[dict[str, str]] | Markup | str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json(path)
    if suffix in {".csv", ".tsv"}:
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f, delimiter="," if suffix == ".csv" else "\t"))
    if suffix == ".svg":
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
        text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
        return Markup(text)  # our own matplotlib output, not user data
    return path.read_text(encoding="utf-8")


def load_inputs(
    inputs: Mapping[str, str | os.PathLike[str] | list[Any]],
) -> dict[str, ReportInput | list[ReportInput]]:
    """Load every named input of the report rule, the inputs of :data:`RECORDS` as records.

    Parameters
    ----------
    inputs : mapping
        Name to path (or list of paths) as in Snakemake's ``input`` object.

    Returns
    -------
    dict
        Name to content (:data:`ReportInput`; a list of them for a list of paths): the files
        named in :data:`RECORDS` read into those records (``from_json``, once, here).
    """
    out: dict[str, ReportInput | list[ReportInput]] = {}
    for name, value in inputs.items():
        record = RECORDS.get(name)

        def read(path: str | os.PathLike[str], record: type[Record] | None = record) -> ReportInput:
            content = _load(Path(path))
            return content if record is None else record.from_json(content)  # type: ignore[arg-type]

        if isinstance(value, list | tuple):
            out[name] = [read(v) for v in value]
        else:
            out[name] = read(value)
    return out


def to_yaml(value: Any) -> str:
    """Compact YAML of a configuration: one line per key, lists of numbers inline."""
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=None, width=100).rstrip()


def make_environment(template_dir: str | os.PathLike[str]) -> jinja2.Environment:
    """Make a Jinja2 environment with autoescaping, strict undefined and the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=format_number,
        weights=weights,
        tex=tex,
        texblock=texblock,
        yaml=to_yaml,
        thousands=thousands,
        count=count_with_noun,
        data=data_element,
        data_weights=data_weights,
    )
    env.globals.update(tex=tex)
    return env


def render_report(
    template: str | os.PathLike[str],
    context: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> None:
    """Render ``template`` with ``context`` into ``out`` atomically.

    Parameters
    ----------
    template : path-like
        The main template file; sibling files and subfolders can be included.
    context : mapping
        Template variables.
    out : path-like
        Destination HTML file.
    """
    template = Path(template)
    env = make_environment(template.parent)
    html = env.get_template(template.name).render(**context)
    with atomic_open(out, "w") as f:
        f.write(html)


def build_context(
    inputs: Mapping[str, str | os.PathLike[str] | list[Any]],
    config: Mapping[str, Any],
    run: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the template context: inputs named ``section__key`` become ``context[section][key]``.

    The inputs named in :data:`RECORDS` are those records (:func:`load_inputs`);
    ``context["narrative"]`` holds what the report says about them
    (:func:`hw6lib.report.narrative.report_narrative`).

    Parameters
    ----------
    inputs : mapping
        The report rule's named inputs (paths), e.g. ``{"p1__compare": "results/...json"}``.
    config : mapping
        The validated configuration, exposed as ``config`` (escaped like any other string).
    run : mapping, optional
        Which configuration this is, exposed as ``run``: ``configfiles`` (those given besides
        the default) and ``differs`` (per key in which it differs from the default: ``key``,
        ``default``, ``value``); the report says so at its top when ``differs`` is not empty.

    Returns
    -------
    dict
    """
    context: dict[str, Any] = {
        "config": dict(config),
        "run": {"configfiles": [], "differs": [], **(run or {})},
    }
    for name, value in load_inputs(inputs).items():
        section, _, key = name.partition("__")
        if not key:
            context[section] = value
        else:
            context.setdefault(section, {})[key] = value
    context["narrative"] = report_narrative(context)
    return context
