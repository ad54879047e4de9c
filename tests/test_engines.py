"""The engines' run-time self-check and fallback order, with stand-in engines on the CPU.

A stand-in is an engine object (:mod:`hw6lib.mlp.engines`) that wraps the eager reference and
misbehaves as a fast engine might on a user's GPU: not available (no Triton), raising (a
compile error, a failed CUDA-graph capture), or computing a slightly wrong update. The
fused kernel itself is checked the same way under Triton's interpreter in
``tests/test_mlp_triton.py``. These tests must run in CI (marker ``selfcheck``).
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch

from hw6lib.card.split import CardSplit
from hw6lib.errors import InputError
from hw6lib.mlp import SGDSettings, train_cell
from hw6lib.mlp.engines import EagerEngine, GraphEngine
from hw6lib.mlp.selfcheck import (
    TOL_FLOOR,
    choose_engine,
    model_difference,
    param_tolerance,
)
from hw6lib.pipeline.runlog import ENGINE_FALLBACK, gpu_fallbacks

pytestmark = pytest.mark.selfcheck

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray]:
    from synthcard import synth_card

    from hw6lib.card.standardize import fit_standardizer

    X, y = synth_card(1200, seed=5)
    return fit_standardizer(X).transform(X).astype(np.float32), y


SGD = SGDSettings.grid(4, [0.1, 1.0], [0, 1], 50, 3, schedule="cosine")


@dataclass(frozen=True)
class Relabelled(EagerEngine):
    """The eager reference under another name: a correct fast engine."""

    name: str = "fused"


@dataclass(frozen=True)
class PerturbedUpdate(EagerEngine):
    """A wrong engine: every SGD update is 1% too large (a learning rate off by 1%)."""

    name: str = "fused"

    def train(self, X, y, eval_sets, sgd, device, log, monitor=None):
        lrs = [lr * 1.01 for lr in sgd.learning_rates]
        return super().train(X, y, eval_sets, replace(sgd, learning_rates=lrs), device, log)


@dataclass(frozen=True)
class NoTriton(EagerEngine):
    """The fused engine where Triton is not importable."""

    name: str = "fused"

    def available(self, device, sgd, log) -> bool:
        log.info("fused MLP kernel: triton is not importable; using the torch path")
        return False


@dataclass(frozen=True)
class CompileError(EagerEngine):
    """The fused engine whose kernel does not compile on this GPU."""

    name: str = "fused"

    def train(self, X, y, eval_sets, sgd, device, log, monitor=None):
        raise RuntimeError("PassManager::run failed\n(a second line of the compiler's output)")


@dataclass(frozen=True)
class CaptureFails(GraphEngine):
    """The real graph engine, let onto the CPU, where no CUDA graph can be captured."""

    def available(self, device, sgd, log) -> bool:
        return True


def choose(engines, X, y, setting="auto", caplog=None, sgd=SGD):
    log = logging.getLogger("hw6.test_engines")
    return choose_engine(engines, X, y, sgd.with_momentum(0.0), CPU, setting, log)


def test_a_correct_fast_engine_passes_and_trains(rows, caplog) -> None:
    X, y = rows
    with caplog.at_level(logging.INFO, logger="hw6.test_engines"):
        choice = choose([Relabelled(), EagerEngine()], X, y)
    assert choice.engine.name == "fused"
    [check] = choice.checks
    assert check.passed and check.max_diff == 0.0 and check.error is None
    assert check.models == 4 and check.epochs == 2 and check.rows == 16 * 50
    assert 0 < check.cost < 1
    assert "engine fused self-check against eager on cpu: passed" in caplog.text
    assert ENGINE_FALLBACK not in caplog.text


def test_a_wrong_update_is_detected_and_fallen_back_from(rows, caplog) -> None:
    X, y = rows
    with caplog.at_level(logging.INFO, logger="hw6.test_engines"):
        choice = choose([PerturbedUpdate(), EagerEngine()], X, y)
    assert choice.engine.name == "eager"
    [check] = choice.checks
    assert not check.passed and check.engine == "fused"
    assert check.max_diff is not None and check.max_diff > 10 * TOL_FLOOR
    assert check.tolerance_ratio is not None and check.tolerance_ratio > 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{ENGINE_FALLBACK}: engine fused on cpu (largest difference ")
    assert warnings[0].endswith("falling back to eager")


def test_fallback_order_no_triton_then_capture_fails_then_eager(rows, caplog) -> None:
    X, y = rows
    with caplog.at_level(logging.INFO, logger="hw6.test_engines"):
        choice = choose([NoTriton(), CaptureFails(), EagerEngine()], X, y)
    assert choice.engine.name == "eager"
    [check] = choice.checks  # fused was not available, so only graph was checked
    assert check.engine == "graph" and not check.passed and check.max_diff is None
    assert check.error == "RuntimeError: CUDA graph capture failed or found no full mini-batch"
    text = caplog.text
    assert text.index("triton is not importable") < text.index("engine graph self-check")
    assert f"{ENGINE_FALLBACK}: engine graph on cpu (largest difference n/a)" in text
    assert text.rstrip().endswith("falling back to eager")


def test_compile_error_falls_back_to_the_next_engine_that_passes(rows, caplog) -> None:
    X, y = rows

    @dataclass(frozen=True)
    class GoodGraph(EagerEngine):
        name: str = "graph"

    with caplog.at_level(logging.INFO, logger="hw6.test_engines"):
        choice = choose([CompileError(), GoodGraph(), EagerEngine()], X, y)
    assert choice.engine.name == "graph"
    assert [(c.engine, c.passed) for c in choice.checks] == [("fused", False), ("graph", True)]
    assert choice.checks[0].error == "RuntimeError: PassManager::run failed"
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "PassManager::run failed; falling back to graph" in warning
    assert "\n" not in warning


def test_a_forced_engine_that_fails_its_check_fails_the_job_in_one_line(rows) -> None:
    X, y = rows
    with pytest.raises(InputError) as err:
        choose([PerturbedUpdate(), EagerEngine()], X, y, setting="fused")
    msg = str(err.value)
    assert msg.startswith("config key mlp.engine: 'fused' forced but its self-check against eager")
    assert "differs by" in msg and "\n" not in msg
    with pytest.raises(InputError, match="'fused' forced but it cannot run on cpu"):
        choose([NoTriton(), EagerEngine()], X, y, setting="fused")
    # forcing a correct engine, or the reference, trains with it
    assert choose([Relabelled(), EagerEngine()], X, y, setting="fused").engine.name == "fused"
    assert choose([PerturbedUpdate(), EagerEngine()], X, y, "eager").engine.name == "eager"
    with pytest.raises(InputError, match="unknown engine 'fast'"):
        choose([EagerEngine()], X, y, setting="fast")


def test_the_cell_records_the_engine_and_its_check(rows, caplog) -> None:
    X, y = rows
    Xt, yt = X[:200], y[:200]
    with caplog.at_level(logging.INFO, logger="hw6.test_engines"):
        cell = train_cell(
            CardSplit(X[200:], y[200:], Xt, yt, n_valid=100),
            replace(SGD, momentums=(0.0, 0.9), epochs=2),
            logger=logging.getLogger("hw6.test_engines"),
            engines=[PerturbedUpdate(), Relabelled(name="graph"), EagerEngine()],
        )
    assert [e.engine for e in cell.engines] == ["graph", "graph"]
    assert [e.momentum for e in cell.engines] == [0.0, 0.9]
    for e in cell.engines:
        assert [(c.engine, c.passed) for c in e.checks] == [
            ("fused", False),
            ("graph", True),
        ]
        assert e.checks[0].max_diff > 10 * TOL_FLOOR
    assert {m.engine for m in cell.models} == {"graph"}
    assert "with engine graph" in caplog.text


def test_on_the_cpu_the_default_engines_train_eagerly_without_a_check(rows) -> None:
    X, y = rows
    split = CardSplit(X[200:], y[200:], X[:200], y[:200], n_valid=100)
    cell = train_cell(split, replace(SGD, epochs=1))
    assert cell.to_json()["engines"] == [{"momentum": 0.0, "engine": "eager", "checks": []}]


def test_differences_never_hide_nan() -> None:
    a = {"W": np.array([[1.0, 2.0]], dtype=np.float32)}
    nan = {"W": np.array([[1.0, np.nan]], dtype=np.float32)}
    assert model_difference(nan, a, 0) == math.inf
    assert model_difference(a, nan, 0) == math.inf
    assert model_difference(nan, nan, 0) == 0.0
    inf = {"W": np.array([[1.0, np.inf]], dtype=np.float32)}
    assert model_difference(inf, nan, 0) == math.inf
    b = {"W": np.array([[1.0, 2.5]], dtype=np.float32)}
    assert model_difference(b, a, 0) == pytest.approx(0.25)  # relative to the size 2


def test_tolerance_follows_the_steps_and_momentum() -> None:
    assert param_tolerance(1, 0.0, False) == TOL_FLOOR
    many = param_tolerance(10_000, 0.0, False)
    assert many > TOL_FLOOR
    assert param_tolerance(10_000, 0.9, False) == pytest.approx(10 * many)
    assert param_tolerance(1, 0.0, True) == 1e-3


def test_the_end_of_a_run_names_the_jobs_that_fell_back(tmp_path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text(f"x WARNING {ENGINE_FALLBACK}: engine fused on cuda:0 ...\n")
    b.write_text("x INFO engine fused self-check against eager on cuda:0: passed\n")
    assert gpu_fallbacks([a, b, tmp_path / "missing.log"], ENGINE_FALLBACK) == [str(a)]


def test_provenance_gives_each_training_job_its_engine_and_check(tmp_path) -> None:
    from hw6lib.mlp.cell import Cell, CellEngine
    from hw6lib.mlp.selfcheck import CheckRecord
    from hw6lib.pipeline.resultfiles import write_json
    from hw6lib.provenance import collect_provenance

    bench = tmp_path / "b.tsv"
    bench.write_text("s\tmax_rss\n1.5\t100\n")
    check = CheckRecord("fused", False, 0.2, 2.0, 100, 4, 2, 0.01, "model 0 differs")
    good = CheckRecord("graph", True, 3e-6, 0.5, 100, 4, 2, 0.02)
    cells = {
        "w8_b100": [
            CellEngine(momentum=0.0, engine="graph", checks=[check, good]),
            CellEngine(momentum=0.9, engine="graph", checks=[check, good]),
        ],
        "w16_b250": [CellEngine(momentum=0.0, engine="eager", checks=[])],
    }
    paths = []
    for name, runs in cells.items():
        w, b = name[1:].split("_b")
        path = tmp_path / f"{name}.json"
        cell = Cell(int(w), int(b), [0.0], "cosine", 1, 8, 2, 3, {}, models=[], engines=runs)
        write_json(path, cell)
        paths.append(path)
    labels = {"mlp_train_w8_b100": bench, "mlp_train_w16_b250": bench, "tree_fit": bench}
    pv = collect_provenance({}, tmp_path, labels, "9", cells=paths)
    jobs = {j["job"]: j for j in pv.jobs}
    assert jobs["mlp_train_w8_b100"]["engine"] == "graph"
    assert jobs["mlp_train_w8_b100"]["check_max_diff"] == 3e-6
    assert jobs["mlp_train_w8_b100"]["check_cost"] == pytest.approx(0.06)
    assert jobs["mlp_train_w8_b100"]["fallbacks"] == ["fused"]
    assert jobs["mlp_train_w16_b250"]["engine"] == "eager"
    assert jobs["mlp_train_w16_b250"]["check_max_diff"] is None
    assert "engine" not in jobs["tree_fit"] and jobs["tree_fit"]["seconds"] == 1.5


def test_a_bare_gpu_node_is_named_in_one_line(tmp_path, monkeypatch) -> None:
    """Triton's first launch builds a C launcher: a missing compiler, Python.h or libcuda is
    named in the one line of the fallback (fused.usable) and of bench/gpu_fused.py."""
    import sysconfig

    from hw6lib.mlp import fused

    monkeypatch.setattr(sysconfig, "get_paths", lambda scheme=None: {"include": str(tmp_path)})
    monkeypatch.setenv("CC", str(tmp_path / "no-cc"))
    monkeypatch.setenv("TRITON_LIBCUDA_PATH", str(tmp_path))
    problems = fused.toolchain_problems()
    assert [p.split(" (")[0].split(" in ")[0] for p in problems] == [
        "no C compiler",
        "no Python.h",
        "libcuda.so.1 not found by ldconfig -p",
    ]
    line = fused.launch_failure(RuntimeError("Failed to find C compiler.\nPlease specify CC"))
    assert line.startswith("RuntimeError: Failed to find C compiler.; Triton's launcher needs: ")
    assert "no Python.h" in line and "\n" not in line
    # all there: nothing named
    (tmp_path / "Python.h").write_text("")
    (tmp_path / "libcuda.so.1").write_text("")
    monkeypatch.setenv("CC", sys.executable)  # any executable stands in for the compiler
    assert fused.toolchain_problems() == []
    assert fused.launch_failure(ValueError("x")) == "ValueError: x"
