"""A catalogue of bad inputs, each run through Snakemake over a good earlier run.

Every case must stop Snakemake with a non-zero exit and exactly one ``hw6: ...`` line on stderr
that names the config key, or the data file with its line (and column where there is one); no
job may start, and every file under ``results/``, ``logs/`` and ``reports/`` of the earlier good
run must stay byte-identical, with no temporary file left beside them. The README's
Troubleshooting section lists these messages.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import SNAKEMAKE_ENV, small_config, snakemake_cmd

from hw6lib.card.csvfile import COLUMNS
from hw6lib.card.synthetic import generate_card_data

pytestmark = pytest.mark.workflow

#: Rows of the real-format CSVs of the data cases, and the split used with them.
ROWS, N_TRAIN, N_VALID = 600, 400, 100
HEADER = ",".join(COLUMNS)


def snapshot(wd: Path) -> dict[str, str]:
    """SHA-256 of every file under results/, logs/ and reports/ (temporaries included)."""
    out = {}
    for top in ("results", "logs", "reports"):
        for p in sorted((wd / top).rglob("*")):
            if p.is_file() or p.is_symlink():
                out[p.relative_to(wd).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def good_run(pipeline_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the session's good run of the small config, and its snapshot."""
    wd = tmp_path_factory.mktemp("bad_inputs") / "run"
    shutil.copytree(pipeline_run, wd, symlinks=True)
    state = snapshot(wd)
    assert "reports/hw6.html" in state and any(k.endswith(".npy") for k in state)
    return wd, state


# ------------------------------------------------------------------------------------------
# Real-format CSV files (as real copies are written: 17-digit floats, binaries as 1.0/0.0)
# ------------------------------------------------------------------------------------------


def _lines(n: int = ROWS, seed: int = 11) -> list[str]:
    frame = generate_card_data(n, seed=seed)
    out = [HEADER]
    for row in frame.itertuples(index=False):
        out.append(",".join([f"{v:.17g}" for v in row[:3]] + [f"{v:.1f}" for v in row[3:]]))
    return out


def _set(lines: list[str], line: int, column: str, value: str) -> list[str]:
    """``lines`` with the cell at 1-based ``line`` and ``column`` replaced."""
    cells = lines[line - 1].split(",")
    cells[COLUMNS.index(column)] = value
    return [*lines[: line - 1], ",".join(cells), *lines[line:]]


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _label(lines: list[str], first: int, last: int, value: str) -> list[str]:
    """Lines ``first``..``last`` (1-based) with the label set to ``value``."""
    out = list(lines)
    for i in range(first, last + 1):
        out = _set(out, i, "fraud", value)
    return out


CSV_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "csv_cut_off_mid_row": (
        lambda: _text([*_lines()[:-1], "20.26,2.32,7.50,1,,,,"]),
        "line 601, column used_chip: empty cell; the file is cut off mid-row",
    ),
    "csv_binary_value_not_0_or_1": (
        lambda: _text(_set(_lines(), 207, "used_chip", "2")),
        "line 207, column used_chip: value 2 is not 0 or 1",
    ),
    "csv_non_numeric_label": (
        lambda: _text(_set(_lines(), 33, "fraud", "yes")),
        "line 33, column fraud: value 'yes' is not a number",
    ),
    "csv_negative_distance": (
        lambda: _text(_set(_lines(), 12, "distance_from_home", "-3.5")),
        "line 12, column distance_from_home: value -3.5 is negative",
    ),
    "csv_nan_cell": (
        lambda: _text(_set(_lines(), 50, "ratio_to_median_purchase_price", "NaN")),
        "line 50, column ratio_to_median_purchase_price: value 'NaN' is not a finite number",
    ),
    "csv_empty_cell": (
        lambda: _text(_set(_lines(), 90, "online_order", "")),
        "line 90, column online_order: empty cell",
    ),
    "csv_binary_file": (
        lambda: bytes(range(256)) * 20,
        "line 1: the file is binary (NUL bytes), not CSV text",
    ),
    "csv_utf16": (
        lambda: "\n".join(_lines()).encode("utf-16"),
        "line 1: the file is UTF-16 text; save it as UTF-8",
    ),
    "csv_gzip": (lambda: gzip.compress(_text(_lines()), mtime=0), "line 1: the file is compressed"),
    "csv_latin1_byte": (
        lambda: "\n".join(_set(_lines(), 7, "used_chip", "\xe9")).encode("latin-1"),
        "line 7, column used_chip: byte 0xe9 is not UTF-8 text",
    ),
    "csv_huge_line": (
        lambda: _text([*_lines()[:4], "1" * 3_000_000, *_lines()[5:]]),
        "line 5, column distance_from_home: value '1111",
    ),
    "csv_repeated_header": (
        lambda: _text([*_lines()[:300], HEADER, *_lines()[300:]]),
        "line 301, column distance_from_home: the header is repeated here",
    ),
    "csv_duplicate_column": (
        lambda: _text([HEADER + ",fraud", *(line + ",0.0" for line in _lines()[1:])]),
        "line 1, column 9 (fraud): duplicate column",
    ),
    "csv_missing_column": (
        lambda: _text([",".join(line.split(",")[:6] + line.split(",")[7:]) for line in _lines()]),
        "line 1, column online_order: missing from the header",
    ),
    "csv_extra_value": (
        lambda: _text([*_lines()[:99], _lines()[99] + ",1.0", *_lines()[100:]]),
        "line 100, column 9: extra value",
    ),
    "csv_too_few_rows": (
        lambda: _text(_lines(N_TRAIN)),
        f"line {N_TRAIN + 2}: the file ends after {N_TRAIN} data rows; at least {N_TRAIN + 1}",
    ),
    "csv_blank_line_between_rows": (
        lambda: _text([*_lines()[:120], "", *_lines()[120:]]),
        "line 121, column distance_from_home: empty line (no values)",
    ),
    "csv_saved_pandas_index": (
        lambda: _text([f",{HEADER}", *(f"{i},{line}" for i, line in enumerate(_lines()[1:]))]),
        "line 1, column 1 (empty name): a saved pandas index, not data (DataFrame.to_csv "
        "without index=False); save the data again with to_csv(..., index=False), or read this "
        "copy with read_csv(..., index_col=0) first",
    ),
    "csv_empty_file": (lambda: b"", "line 1: the file is empty"),
    "csv_header_only": (lambda: _text([HEADER]), "line 2: no data rows after the header"),
    "csv_no_fraud_in_training_rows": (
        lambda: _text(_label(_lines(), 2, N_TRAIN - N_VALID + 1, "0.0")),
        f"the training rows (lines 2-{N_TRAIN - N_VALID + 1}) hold no fraud case",
    ),
    "csv_no_fraud_in_validation_rows": (
        lambda: _text(_label(_lines(), N_TRAIN - N_VALID + 2, N_TRAIN + 1, "0.0")),
        f"the validation rows (lines {N_TRAIN - N_VALID + 2}-{N_TRAIN + 1}, the last "
        f"card.n_valid = {N_VALID} training rows) hold no fraud case",
    ),
}


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


def _with(section: str, **values: Any) -> Callable[[dict, Path], None]:
    def edit(cfg: dict, tmp: Path) -> None:
        cfg[section] = {**cfg.get(section, {}), **values}

    return edit


def _card_path(kind: str) -> Callable[[dict, Path], None]:
    def edit(cfg: dict, tmp: Path) -> None:
        target = tmp / "data"
        if kind == "dir":
            target.mkdir()
        cfg["card"] = {**cfg["card"], "path": str(target)}

    return edit


def _top(key: str, value: Any) -> Callable[[dict, Path], None]:
    def edit(cfg: dict, tmp: Path) -> None:
        cfg[key] = value

    return edit


CONFIG_CASES: dict[str, tuple[Callable[[dict, Path], None], str]] = {
    "cfg_wrong_type_string": (
        _with("problem1", n="many"),
        "config key problem1.n: 'many' is not of type 'integer'",
    ),
    "cfg_wrong_type_exponent": (
        # YAML 1.1 reads 1e6 (no dot) as a string
        _with("problem1", n="1e6"),
        "config key problem1.n: '1e6' is not of type 'integer'",
    ),
    "cfg_wrong_type_null": (
        _with("problem1", seed=None),
        "config key problem1.seed: None is not of type 'integer'",
    ),
    "cfg_wrong_type_scalar_grid": (
        _with("mlp", seeds=0),
        "config key mlp.seeds: 0 is not of type 'array'",
    ),
    "cfg_section_not_a_mapping": (_top("mlp", 5), "config key mlp: 5 is not of type 'object'"),
    "cfg_size_zero": (_with("problem1", n=0), "config key problem1.n: 0 is less than the minimum"),
    "cfg_size_negative": (
        _with("card", n_train=-5),
        "config key card.n_train: -5 is less than the minimum of 1",
    ),
    "cfg_empty_widths": (_with("mlp", widths=[]), "config key mlp.widths: [] should be non-empty"),
    "cfg_empty_learning_rates": (
        _with("mlp", learning_rates=[]),
        "config key mlp.learning_rates: [] should be non-empty",
    ),
    "cfg_negative_learning_rate": (
        _with("mlp", learning_rates=[0.1, -0.1]),
        "config key mlp.learning_rates.1: -0.1 is less than or equal to the minimum of 0",
    ),
    "cfg_batch_size_zero": (
        _with("mlp", batch_sizes=[0]),
        "config key mlp.batch_sizes.0: 0 is less than the minimum of 1",
    ),
    "cfg_tree_depth_zero": (_with("tree", max_depths=[0]), "config key tree.max_depths.0:"),
    "cfg_depths_without_2": (_with("problem1", depths=[1]), "config key problem1.depths:"),
    "cfg_n_train_not_below_rows": (
        _with("card", n_train=20000),
        "config key card.n_train: 20000 must be smaller than card.synthetic_rows (20000)",
    ),
    "cfg_n_valid_not_below_n_train": (
        _with("card", n_valid=10000),
        "config key card.n_valid: 10000 must be smaller than card.n_train (10000)",
    ),
    "cfg_n_valid_zero": (
        _with("card", n_valid=0),
        "config key card.n_valid: 0 is less than the minimum of 1",
    ),
    "cfg_epochs_beyond_max_epochs": (
        _with("mlp", epochs=[1, 5], max_epochs=2),
        "config key mlp.epochs: 5 exceeds mlp.max_epochs (2)",
    ),
    "cfg_unknown_device": (
        _with("mlp", device="tpu"),
        "config key mlp.device: 'tpu' is not one of ['auto', 'cpu', 'cuda']",
    ),
    "cfg_missing_data_path": (_card_path("missing"), "config key card.path: no such file: "),
    "cfg_data_path_is_directory": (
        _card_path("dir"),
        "is a directory, not a CSV file",
    ),
    "cfg_data_path_empty": (
        _with("card", path=""),
        "config key card.path: '' should be non-empty",
    ),
    "cfg_data_path_not_a_string": (
        _with("card", path=5),
        "config key card.path: 5 is not of type 'string', 'null'",
    ),
    "cfg_unknown_top_level_key": (_top("colour", "red"), "config key colour: unknown key"),
    "cfg_misspelt_key": (_with("mlp", width=[4]), "config key mlp.width: unknown key"),
}


def _snakemake(wd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        snakemake_cmd(wd, config), capture_output=True, text=True, timeout=300, env=SNAKEMAKE_ENV
    )


def _check_refused(good_run: tuple[Path, dict], cfg: dict, tmp_path: Path, expect: str) -> str:
    wd, before = good_run
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(cfg))
    proc = _snakemake(wd, config)
    assert proc.returncode != 0, proc.stdout[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hw6: ")]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert expect in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert len(lines[0]) < 400
    assert snapshot(wd) == before  # nothing written, nothing removed, no temporary left
    return lines[0]


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_config_is_refused(case: str, good_run: tuple[Path, dict], tmp_path: Path) -> None:
    edit, expect = CONFIG_CASES[case]
    cfg = small_config()
    edit(cfg, tmp_path)
    line = _check_refused(good_run, cfg, tmp_path, expect)
    assert line.startswith("hw6: config key "), line
    assert line.endswith(f"(config files: {tmp_path / 'bad.yaml'})")


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_bad_csv_is_refused(case: str, good_run: tuple[Path, dict], tmp_path: Path) -> None:
    content, expect = CSV_CASES[case]
    data = tmp_path / "card_transdata.csv"
    data.write_bytes(content())
    cfg = small_config()
    cfg["card"] = {"path": str(data), "n_train": N_TRAIN, "n_valid": N_VALID}
    line = _check_refused(good_run, cfg, tmp_path, expect)
    assert line.startswith(f"hw6: {data} line ") or line.startswith(f"hw6: {data}: the "), line


def test_the_catalogue_is_large_enough() -> None:
    assert len(CONFIG_CASES) + len(CSV_CASES) >= 15


def test_good_csv_of_the_catalogue_passes_the_preflight(tmp_path: Path) -> None:
    """The unedited base file is good, so each case fails for its own edit only."""
    from hw6lib.preflight import check_card_file

    data = tmp_path / "card_transdata.csv"
    data.write_bytes(_text(_lines()))
    assert check_card_file(data, N_TRAIN, tmp_path / "cache.json", n_valid=N_VALID)


#: Copies that editors and exports make, which must be accepted as the original.
GOOD_CSV_CASES: dict[str, Callable[[], bytes]] = {
    "csv_blank_lines_at_the_end": lambda: _text([*_lines(), "", "", ""]),
    "csv_blank_lines_at_the_end_crlf": lambda: (_text(_lines()) + b"\r\n  \r\n").replace(
        b"\n", b"\r\n"
    ),
}


@pytest.mark.parametrize("case", list(GOOD_CSV_CASES))
def test_accepted_csv_exports_run_through_snakemake(case: str, tmp_path: Path) -> None:
    """An export with blank lines at the end passes the checks and splits like the original."""
    data = tmp_path / "card_transdata.csv"
    data.write_bytes(GOOD_CSV_CASES[case]())
    cfg = small_config()
    cfg["card"] = {"path": str(data), "n_train": N_TRAIN, "n_valid": N_VALID}
    config = tmp_path / "ok.yaml"
    config.write_text(yaml.safe_dump(cfg))
    run = tmp_path / "run"
    run.mkdir()
    proc = subprocess.run(
        snakemake_cmd(run, config, "results/card/split/summary.json"),
        capture_output=True,
        text=True,
        timeout=300,
        env=SNAKEMAKE_ENV,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = yaml.safe_load((run / "results/card/split/summary.json").read_text())
    assert summary["source"]["rows"] == ROWS
