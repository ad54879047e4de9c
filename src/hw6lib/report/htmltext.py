"""Numbers and mathematics as HTML text, for the report's templates and sentences.

The formatting is shared by the templates (as filters) and :mod:`hw6lib.report.narrative`.
:func:`format_number` formats a number for reading, :func:`data_element` wraps it in a ``<data>``
element that keeps the exact value, :func:`tex` turns LaTeX into MathML (rendered by browsers
without scripts). Strings are escaped; only MathML made here is marked safe.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

import latex2mathml.converter
from markupsafe import Markup


def format_number(value: Any, digits: int = 4, style: str = "g") -> str:
    """Format a number for a table: ``digits`` significant digits, "—" for missing values.

    Parameters
    ----------
    value : Any
        A number, a numeric string, ``None`` or ``""`` (missing); anything else is shown as is.
    digits : int
        Significant digits (``"g"``, ``"e"``) or digits after the point (``"f"``, ``"%"``).
    style : {"g", "e", "f", "%"}
        General, scientific, fixed, or percent (the value times 100).

    Returns
    -------
    str
    """
    if value is None or value == "":
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if style == "e":
        return f"{v:.{digits - 1}e}"
    if style == "f":
        return f"{v:.{digits}f}"
    if style == "%":
        return f"{100 * v:.{digits}f}%"
    return f"{v:.{digits}g}"


def weights(values: Iterable[Any], digits: int = 4) -> str:
    """Format a weight vector as ``(w0, w1, ...)``."""
    return "(" + ", ".join(format_number(v, digits) for v in values) + ")"


def data_element(value: Any, digits: int = 4, style: str = "g") -> Markup:
    """Wrap a number in ``<data>``: the exact value in ``value``, :func:`format_number` as text."""
    return Markup('<data value="{}">{}</data>').format(value, format_number(value, digits, style))


def data_weights(values: Iterable[Any], digits: int = 4) -> Markup:
    """Format a weight vector as ``(w0, w1, ...)`` of :func:`data_element` elements."""
    return Markup("({})").format(Markup(", ").join(data_element(v, digits) for v in values))


def thousands(n: int) -> str:
    """Format an integer with thousands separators: ``1,000,000``."""
    return f"{n:,}"


def count_with_noun(n: int, noun: str, plural: str | None = None) -> str:
    """Count with a noun, plural unless ``n`` is 1: ``"1 seed"``, ``"3 seeds"``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


@functools.lru_cache(maxsize=256)
def _tex(latex: str, display: bool) -> str:
    return latex2mathml.converter.convert(latex, display="block" if display else "inline")


def tex(latex: str, display: bool = False) -> Markup:
    """Convert LaTeX to MathML (rendered natively by browsers, no script, no network)."""
    return Markup(_tex(str(latex), display))


def texblock(latex: str) -> Markup:
    """Display-style MathML; used as ``{% filter texblock %}...{% endfilter %}`` in templates."""
    return tex(str(latex).strip(), display=True)
