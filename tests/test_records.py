"""Records (hw6lib.pipeline.resultfiles.Record): typed in the library, the same JSON in the
files."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from hw6lib.mlp.cell import Cell, CellEngine
from hw6lib.mlp.grid import BestSummary, GridEdges, Leader, MeanSd, best_summary
from hw6lib.mlp.selfcheck import CheckRecord
from hw6lib.pipeline.resultfiles import Record, read_json, write_json


@dataclasses.dataclass(frozen=True)
class Inner(Record):
    a: float
    b: list[int]


@dataclasses.dataclass(frozen=True)
class Outer(Record):
    z: str
    inner: Inner
    many: list[Inner]
    by_name: dict[str, Inner]
    maybe: Inner | None


def _outer() -> Outer:
    i = Inner(a=0.1, b=[1, 2])
    return Outer(
        z="x", inner=i, many=[i, Inner(a=float("nan"), b=[])], by_name={"k": i}, maybe=None
    )


def test_to_json_is_the_plain_dict_in_field_order() -> None:
    d = _outer().to_json()
    assert list(d) == ["z", "inner", "many", "by_name", "maybe"]
    assert d["inner"] == {"a": 0.1, "b": [1, 2]} and d["by_name"] == {"k": {"a": 0.1, "b": [1, 2]}}
    assert d["many"][1]["b"] == [] and d["maybe"] is None


def test_a_record_is_written_as_its_dict_and_read_back_as_the_record(tmp_path) -> None:
    rec = _outer()
    write_json(tmp_path / "rec.json", rec)
    write_json(tmp_path / "dict.json", rec.to_json())
    # nested in plain containers, too
    write_json(tmp_path / "nested.json", {"r": [rec]})
    assert (tmp_path / "rec.json").read_bytes() == (tmp_path / "dict.json").read_bytes()
    assert read_json(tmp_path / "nested.json") == {"r": [read_json(tmp_path / "dict.json")]}
    back = Outer.from_json(read_json(tmp_path / "rec.json"))
    assert isinstance(back.inner, Inner) and isinstance(back.many[1], Inner)
    assert isinstance(back.by_name["k"], Inner) and back.maybe is None
    assert back.many[1].a is None  # NaN is written as null
    assert back.inner == rec.inner and back.by_name == rec.by_name


def test_records_are_frozen_and_a_missing_key_is_an_error() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MeanSd(mean=1.0, sd=None, n=1).n = 2  # type: ignore[misc]
    with pytest.raises(KeyError, match="sd"):
        MeanSd.from_json({"mean": 1.0, "n": 1})


def _metrics(f1: float) -> dict[str, Any]:
    return {k: f1 for k in ("loss", "accuracy", "precision", "recall", "f1")} | {
        "tp": 1,
        "fp": 0,
        "tn": 1,
        "fn": 0,
    }


def _cell() -> Cell:
    models = []
    for lr, seed, f1 in [(0.1, 0, 0.8), (0.1, 1, 0.9), (1.0, 0, 0.5), (1.0, 1, 0.6)]:
        epochs = [
            {
                "epoch": e,
                "train_loss": 0.1 / e,
                "diverged": False,
                "valid": _metrics(f1),
                "test": _metrics(f1 - 0.1),
            }
            for e in (1, 2)
        ]
        models.append(
            {
                "momentum": 0.0,
                "engine": "fused",
                "lr": lr,
                "seed": seed,
                "diverged_epoch": None,
                "initial_train_loss": 0.7,
                "epochs": epochs,
            }
        )
    check = CheckRecord("fused", True, 1e-6, 0.1, 40, 4, 2, 0.01)
    return Cell.from_json(
        {
            "width": 4,
            "batch_size": 10,
            "momentums": [0.0],
            "schedule": "cosine",
            "epochs": 2,
            "n_fit": 8,
            "n_valid": 2,
            "n_test": 3,
            "standardizer": {"mean": [0.0, 1.0], "scale": [1.0, 2.0]},
            "models": models,
            "engines": [CellEngine(momentum=0.0, engine="fused", checks=[check]).to_json()],
        }
    )


#: The keys of a cell's file (results/mlp/cells/w*_b*.json), as the file has held them.
CELL_KEYS = ["width", "batch_size", "momentums", "schedule", "epochs", "n_fit", "n_valid"]
CELL_KEYS += ["n_test", "standardizer", "models", "engines"]
CELL_MODEL_KEYS = ["momentum", "engine", "lr", "seed", "diverged_epoch", "initial_train_loss"]
CELL_MODEL_KEYS += ["epochs"]
CHECK_KEYS = ["engine", "passed", "max_diff", "tolerance_ratio", "rows", "models", "epochs"]
CHECK_KEYS += ["cost", "error"]


def test_cell_file_keeps_its_layout_and_reads_back_as_the_record(tmp_path) -> None:
    cell = _cell()
    d = cell.to_json()
    assert list(d) == CELL_KEYS
    assert all(list(m) == CELL_MODEL_KEYS for m in d["models"])
    assert [list(e) for e in d["engines"]] == [["momentum", "engine", "checks"]]
    assert list(d["engines"][0]["checks"][0]) == CHECK_KEYS
    # the depth: first, and only where it is not the homework's 2
    assert cell.depth is None and cell.hidden_layers == 2
    deep = dataclasses.replace(cell, depth=3)
    assert list(deep.to_json()) == ["depth", *CELL_KEYS] and deep.hidden_layers == 3
    for rec in (cell, deep):
        write_json(tmp_path / "cell.json", rec)
        back = Cell.from_json(read_json(tmp_path / "cell.json"))
        assert back == rec
        assert isinstance(back.models[0], type(rec.models[0]))
        assert isinstance(back.engines[0].checks[0], CheckRecord)


#: The keys of results/mlp/best.json, as the file has held them.
BEST_KEYS = [
    "best",
    "top",
    "selection",
    "n_configurations",
    "n_models",
    "n_diverged_models",
    "epochs_considered",
    "n_fit",
    "n_valid",
    "n_test",
    "momentums",
    "schedule",
    "schedule_text",
    "max_epochs",
    "edges",
    "near_best",
    "divergence_rule",
]
SUMMARY_KEYS = ["width", "lr", "batch_size", "epochs", "momentum", "seeds", "n_diverged", "score"]
SUMMARY_KEYS += [f"{s}_{k}" for s in ("valid", "test") for k in ("loss", "accuracy")]
SUMMARY_KEYS += [f"{s}_{k}" for s in ("valid", "test") for k in ("precision", "recall", "f1")]


def test_best_summary_file_keeps_its_layout_and_reads_back_as_the_record() -> None:
    best = best_summary([_cell()], [1, 2], top=2)
    d = json.loads(json.dumps(best.to_json()))
    assert list(d) == BEST_KEYS
    assert sorted(d["best"]) == sorted([*SUMMARY_KEYS, "curve", "rows"])
    assert all(sorted(t) == sorted([*SUMMARY_KEYS, "curve"]) for t in d["top"])
    assert d["best"]["valid_f1"] == {
        "mean": pytest.approx(0.85),
        "sd": pytest.approx(0.0707, abs=1e-4),
        "n": 2,
    }
    assert list(d["edges"]) == ["dimensions", "open", "interior"]
    back = BestSummary.from_json(d)
    assert back == best
    assert isinstance(back.edges, GridEdges) and isinstance(back.best.valid_f1, MeanSd)
    assert back.best.curve[1].epoch == 2 and isinstance(back.top[1], Leader)


@pytest.mark.parametrize("schedule", ["constant", "cosine", "step"])
def test_best_json_keeps_the_words_the_report_prints(schedule: str) -> None:
    """best.json keeps its two sentences byte for byte; the report words them in narrative."""
    from hw6lib.mlp import grid
    from hw6lib.report.narrative.mlp import schedule_text, selection_text

    assert grid._file_schedule_text(schedule) == schedule_text(schedule)
    for with_depth in (False, True):
        assert grid._file_selection(with_depth) == selection_text(with_depth)


@dataclasses.dataclass(frozen=True)
class _Pair(Record):
    a: int
    b: list[MeanSd]


def test_report_inputs_named_as_records_are_read_into_them_at_the_boundary(
    tmp_path, monkeypatch
) -> None:
    from hw6lib.report import render as report

    monkeypatch.setitem(report.RECORDS, "x__pair", _Pair)
    rec = _Pair(1, [MeanSd(0.5, None, 1)])
    write_json(tmp_path / "p.json", rec)
    one = report.load_inputs({"x__pair": str(tmp_path / "p.json")})
    assert one["x__pair"] == rec
    many = report.load_inputs({"x__pair": [tmp_path / "p.json", tmp_path / "p.json"]})
    assert many["x__pair"] == [rec, rec]
    # an input not named in RECORDS stays plain JSON
    plain = report.load_inputs({"x__plain": tmp_path / "p.json"})
    assert plain["x__plain"] == {"a": 1, "b": [{"mean": 0.5, "sd": None, "n": 1}]}
