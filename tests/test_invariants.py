"""One bound per invariant: the schema or preflight checks it, and the library's guards agree.

Each invariant of the configuration has one authoritative check before any job starts: the
schema for a bound on one key, preflight for a relation between keys or with the data. The
library's own guards (for callers outside the workflow) must draw the line at the same place:
every value the authoritative check accepts is accepted by the library, and the first value
past it is refused by both.
"""

from __future__ import annotations

import ast
import re

import pytest
from helpers import REPO, default_config

from hw6lib.card.holdout import check_split_sizes
from hw6lib.card.split import split_card
from hw6lib.card.synthetic import generate_card_data
from hw6lib.errors import ConfigError
from hw6lib.mlp.schedule import SCHEDULES, lr_factor
from hw6lib.pipeline.config import load_schema, validate_config
from hw6lib.pipeline.device import DEVICES
from hw6lib.preflight import check_config_relations
from hw6lib.problem1.fit import start_design
from hw6lib.problem1.simulate import simulate

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
PROPS = SCHEMA["properties"]


def test_enumerations_are_the_library_constants():
    """mlp.schedule and mlp.device allow exactly the names the library knows."""
    assert tuple(PROPS["mlp"]["properties"]["schedule"]["enum"]) == SCHEDULES
    assert tuple(PROPS["mlp"]["properties"]["device"]["enum"]) == DEVICES


def test_multistart_points_are_what_the_design_accepts():
    """Every value of problem1.multistart.points gives a design; 3 is refused by both."""
    points = PROPS["problem1"]["properties"]["multistart"]["properties"]["points"]["enum"]
    for p in points:
        assert start_design(1, p, 3.0, 0).shape == (1 + p, 2)
    with pytest.raises(ConfigError, match=r"multistart\.points"):
        validate_config({"problem1": {"multistart": {"points": 3}}}, SCHEMA)
    with pytest.raises(ValueError, match="power of 2"):
        start_design(1, 3, 3.0, 0)


def test_minimum_rows_of_problem1():
    """problem1.n and gradcheck.rows: at least 1 in the configuration check and in simulate."""
    for key, bad, good in (
        ("n", {"n": 0}, {"n": 1}),
        ("gradcheck.rows", {"gradcheck": {"rows": 0}}, {"gradcheck": {"rows": 1}}),
    ):
        with pytest.raises(ConfigError, match=rf"problem1\.{re.escape(key)}"):
            validate_config({"problem1": bad}, SCHEMA)
        validate_config({"problem1": good}, SCHEMA)
    assert simulate(1, 3)[0].shape == (1,)
    with pytest.raises(ValueError, match="at least 1"):
        simulate(0, 3)


def _config(n_train: int, synthetic_rows: int) -> dict:
    card = {"path": None, "synthetic_rows": synthetic_rows, "n_train": n_train, "n_valid": 1}
    return {"card": card}


@pytest.mark.parametrize("n_train", [2, 9, 10])
def test_test_rows_remain(n_train):
    """card.n_train < rows: preflight (stand-in) and split_card draw the line at the same place."""
    rows = 10
    frame = generate_card_data(rows, seed=0)
    if n_train < rows:
        check_config_relations(_config(n_train, rows))
        arrays, _ = split_card(frame, n_train, 1)
        assert len(arrays["y_test"]) == rows - n_train
    else:
        with pytest.raises(ConfigError, match=r"card\.n_train"):
            check_config_relations(_config(n_train, rows))
        with pytest.raises(ValueError, match=r"card\.n_train"):
            split_card(frame, n_train, 1)


@pytest.mark.parametrize("last", [5, 6])
def test_epochs_within_training(last):
    """max(mlp.epochs) <= mlp.max_epochs: preflight and the schedule agree on the last epoch."""
    cfg = {**_config(5, 10), "mlp": {"epochs": [1, last], "max_epochs": 5}}
    if last <= 5:
        check_config_relations(cfg)
        assert lr_factor("cosine", last, 5) > 0
    else:
        with pytest.raises(ConfigError, match=r"mlp\.epochs"):
            check_config_relations(cfg)
        with pytest.raises(ValueError, match="outside"):
            lr_factor("cosine", last, 5)


@pytest.mark.parametrize(
    ("n_train", "n_valid", "key"),
    [
        (10, 1, "card.n_train"),
        (0, 1, "card.n_train"),
        (5, 5, "card.n_valid"),
        (5, 0, "card.n_valid"),
    ],
)
def test_split_sizes_are_bounded_in_one_place(n_train, n_valid, key):
    """Preflight (stand-in rows) and the split job (rows read) refuse with the same line."""
    rows = 10
    with pytest.raises(ConfigError) as direct:
        check_split_sizes(n_train, n_valid, rows, "card.synthetic_rows")
    assert str(direct.value).startswith(f"config key {key}: ")
    cfg = {"card": {"path": None, "synthetic_rows": rows, "n_train": n_train, "n_valid": n_valid}}
    with pytest.raises(ConfigError) as preflight:
        check_config_relations(cfg)
    with pytest.raises(ConfigError) as job:
        split_card(generate_card_data(rows, seed=0), n_train, n_valid)
    assert str(preflight.value) == str(direct.value)
    assert str(job.value) == str(direct.value).replace("card.synthetic_rows", "the data rows")
    check_split_sizes(9, 8, rows)  # the largest sizes that fit


#: Library defaults of parameters named like a config key that are not the config's value, and
#: why: ``device="cpu"`` is torch's own default device, never the configured ``auto`` (the jobs
#: pass ``mlp.device`` through hw6lib.mlp.cell.job_device); ``engine`` of a training record or
#: its progress is the name of the engine that trained, not the setting; ``engine="auto"`` of the
#: trainers (mlp/engine.py, mlp/cell.py) is left for the change that reshapes the trainers.
SIGNATURE_DEFAULTS_ALLOWED = {
    ("mlp/denormals.py", "flush_denormals", "device"),
    ("mlp/engine.py", "train_models", "device"),
    ("mlp/model.py", "init_params", "device"),
    ("card/split.py", "CardSplit", "device"),
    ("card/split.py", "load", "device"),
    ("mlp/training.py", "TrainingResult", "engine"),
    ("mlp/progress.py", "end_epoch", "engine"),
    ("mlp/progress.py", "report_epoch", "engine"),
    ("mlp/engine.py", "train_models", "engine"),
    ("mlp/cell.py", "train_cell", "engine"),
}


def _config_keys(config, prefix=""):
    for key, value in config.items():
        if isinstance(value, dict):
            yield from _config_keys(value, f"{prefix}{key}.")
        else:
            yield key


def test_science_defaults_are_stated_once():
    """A configured setting's default lives in the schema only: a library function's parameter
    named after a config key takes the value (no default), defaults to ``None``, or shares one
    named constant (e.g. ``hw6lib.mlp.schedule.CONSTANT``), never a literal of its own."""
    keys = set(_config_keys(default_config()))
    found = set()
    for path in sorted((REPO / "src" / "hw6lib").rglob("*.py")):
        module = path.relative_to(REPO / "src" / "hw6lib").as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                a = node.args
                pos = a.posonlyargs + a.args
                pairs = list(zip(pos[len(pos) - len(a.defaults) :], a.defaults, strict=True))
                pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d]
                owner = node.name
            elif isinstance(node, ast.ClassDef):
                pairs = [
                    (st.target, st.value)
                    for st in node.body
                    if isinstance(st, ast.AnnAssign) and st.value is not None
                ]
                owner = node.name
            else:
                continue
            for arg, default in pairs:
                name = arg.arg if isinstance(arg, ast.arg) else getattr(arg, "id", "")
                literal = isinstance(default, ast.Constant) and default.value is not None
                if name in keys and literal:
                    found.add((module, owner, name))
    assert found == SIGNATURE_DEFAULTS_ALLOWED
