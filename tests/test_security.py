"""Untrusted input is parsed safely: YAML with the safe loader, arrays never unpickled, no pickle
and no unguarded ``torch.load`` anywhere in the library, the workflow or the benchmarks.
(Escaping of report text is tested in tests/test_report.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from hw6lib.pipeline.config import load_schema
from hw6lib.pipeline.resultfiles import load_array

REPO = Path(__file__).resolve().parents[1]
SOURCES = [
    *sorted(
        p
        for top in ("src", "workflow", "bench")
        for p in (REPO / top).rglob("*")
        if p.suffix in {".py", ".smk"}
    ),
    REPO / "Snakefile",
]

#: (pattern, why it is forbidden)
FORBIDDEN = [
    (
        r"\byaml\.(load|load_all|full_load|full_load_all|unsafe_load|unsafe_load_all)\(",
        "YAML must be read with yaml.safe_load",
    ),
    (r"Loader\s*=\s*yaml\.(Full|Unsafe)?Loader\b", "YAML must be read with the safe loader"),
    (r"\b(c?[Pp]ickle|dill|joblib|shelve|marshal)\b", "no pickle of data (it runs code)"),
    (r"allow_pickle\s*=\s*True", "numpy arrays are loaded with allow_pickle=False"),
    (r"\b(eval|exec)\(", "no evaluation of strings as code"),
]


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """Lines of ``path`` without comments (docstrings may mention what is forbidden)."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("#", 1)[0]
        if code.strip() and not code.strip().startswith(('"', "'", "``")):
            out.append((i, code))
    return out


def test_sources_are_found() -> None:
    names = {p.name for p in SOURCES}
    assert {"config.py", "resultfiles.py", "common.smk", "Snakefile"} <= names


@pytest.mark.parametrize(("pattern", "why"), FORBIDDEN)
def test_no_unsafe_deserialisation(pattern: str, why: str) -> None:
    hits = [
        f"{p.relative_to(REPO)}:{i}: {code.strip()}"
        for p in SOURCES
        for i, code in _code_lines(p)
        if re.search(pattern, code)
    ]
    assert hits == [], f"{why}: {hits}"


def _calls_without(call_pattern: str, required: str) -> list[str]:
    """Every call matching ``call_pattern`` in the sources whose argument list lacks
    ``required``."""
    hits = []
    for p in SOURCES:
        text = p.read_text(encoding="utf-8")
        for m in re.finditer(call_pattern, text):
            call = text[m.start() : text.find(")", m.start()) + 1]
            if required not in call:
                hits.append(f"{p.relative_to(REPO)}: {call}")
    return hits


def test_torch_load_only_with_weights_only() -> None:
    assert _calls_without(r"\btorch\.load\(", "weights_only=True") == []


def test_every_np_load_refuses_pickles() -> None:
    assert _calls_without(r"\b(np|numpy)\.load\(", "allow_pickle=False") == []


def test_pickled_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle=False"):
        load_array(path)


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo owned']\n")
    with pytest.raises(yaml.constructor.ConstructorError):
        load_schema(path)
