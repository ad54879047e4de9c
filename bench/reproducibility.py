"""The reproducibility envelope: how far the pipeline's numbers move across instruction sets.

numpy and torch choose their kernels by instruction set at run time, and BLAS by CPU model, so the
last bits of floating-point results depend on the machine. This script runs the pipeline's own
functions (the default sizes of the stand-in and of Problem 1, and one MLP cell on a prefix of the
split) once per setting, each in a fresh process, and prints which outputs are bit-identical
across the settings and the largest difference of the others:

- ``native``: the machine as it is;
- ``numpy-avx2``: numpy without its AVX-512 kernels (X86_V4, AVX512_ICL), torch at AVX2;
- ``portable``: numpy at its baseline (no AVX2 or AVX-512 kernels), torch's portable kernels.

The ``OPENBLAS_*`` variables are left as the machine sets them (their value is printed).

    python bench/reproducibility.py                  # prints the table
    python bench/reproducibility.py --readme README.md   # also writes it into the README

With ``--readme`` the table replaces the text between the ``<!-- envelope:begin -->`` and
``<!-- envelope:end -->`` markers, so the README's numbers come from this run, not from a hand.

Whole runs: run the default pipeline twice, natively and under a setting (e.g.
``NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" ATEN_CPU_CAPABILITY=default
snakemake --cores 2 --directory other``), then

    python bench/reproducibility.py --runs native=. portable=other --readme README.md

compares their ``results/summary.json`` side by side (between the ``envelope-runs`` markers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from hw6lib.pipeline.resultfiles import load_array, save_array

#: Settings compared: name -> environment variables added to the machine's own.
SETTINGS: dict[str, dict[str, str]] = {
    "native": {},
    "numpy-avx2": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL", "ATEN_CPU_CAPABILITY": "avx2"},
    "portable": {
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "ATEN_CPU_CAPABILITY": "default",
    },
}
BEGIN, END = "<!-- envelope:begin -->", "<!-- envelope:end -->"
RUNS_BEGIN, RUNS_END = "<!-- envelope-runs:begin -->", "<!-- envelope-runs:end -->"


def _sha(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def worker(out: Path, rows: int, mlp_rows: int) -> None:
    """Compute every compared quantity in this process's instruction-set setting."""
    import torch
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    from hw6lib.card.csvfile import file_sha256
    from hw6lib.card.split import CardSplit, split_card_file
    from hw6lib.card.synthetic import generate_card_data, write_card_csv
    from hw6lib.card.tree import fit_tree
    from hw6lib.mlp import SGDSettings, train_cell
    from hw6lib.pipeline.config import load_schema, validate_config
    from hw6lib.problem1.fit import fit_chain
    from hw6lib.problem1.simulate import simulate

    torch.set_num_threads(1)
    schema = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
    defaults = validate_config({}, load_schema(schema))  # the settings' one statement
    res: dict[str, Any] = {
        "numpy_simd": [k for k in __cpu_dispatch__ if __cpu_features__.get(k)],
        "torch_capability": str(torch.backends.cpu.get_cpu_capability()),
    }
    x, y = simulate(1_000_000, 3)
    res["p1_x_sha"], res["p1_y_sha"] = _sha(x), _sha(y)
    save_array(out.with_suffix(".y.npy"), y)  # compared value by value (units in the last place)
    for depth in (1, 2):
        for gradient in ("finite-difference", "analytic"):
            f = fit_chain(x, y, np.zeros(depth + 1), gradient, defaults["problem1"]["gtol"])
            res[f"p1_{depth}_{gradient}"] = {
                k: getattr(f, k) for k in ("fun", "weights", "nit", "nfev", "njev")
            }
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "card_transdata.csv"
        write_card_csv(generate_card_data(rows, 425), csv)
        res["standin_sha"] = file_sha256(csv)
        arrays, _ = split_card_file(csv, rows // 2, rows // 20, "synthetic", 425)
    res["split_sha"] = _sha(*(arrays[k] for k in sorted(arrays)))
    tree, *_ = fit_tree(CardSplit(**arrays), seed=defaults["tree"]["seed"])
    res["tree"] = {"test_f1": tree["test"]["f1"], "depth": tree["depth"], "leaves": tree["leaves"]}
    cell = train_cell(
        CardSplit(**{k: v[:mlp_rows] for k, v in arrays.items()}, n_valid=mlp_rows // 10),
        SGDSettings.grid(
            width=16, learning_rates=[0.1, 1.0], seeds=[0, 1], batch_size=250, epochs=2
        ),
    )
    res["mlp"] = [
        {
            "lr": m.lr,
            "seed": m.seed,
            "train_loss": [e["train_loss"] for e in m.epochs],
            "valid_f1": [e["valid"]["f1"] if e["valid"] else None for e in m.epochs],
            "test_f1": [e["test"]["f1"] if e["test"] else None for e in m.epochs],
        }
        for m in cell.models
    ]
    out.write_text(json.dumps(res))


def _max_rel(values: list[float]) -> float:
    a = np.asarray(values, dtype=float)
    return float(np.max(np.abs(a - a[0])) / max(abs(a[0]), 1e-300))


def _max_abs(values: list[Any]) -> float:
    a = np.asarray(values, dtype=float)
    return float(np.max(np.abs(a - a[0])))


def ulp_differences(ys: dict[str, np.ndarray]) -> str:
    """How the settings' float64 arrays differ from the first's: how many values, by how many ulp.

    Two finite doubles of one sign are ``k`` ulp apart when their bit patterns, read as
    integers, are ``k`` apart.
    """
    names = list(ys)
    base = ys[names[0]].view(np.int64)
    parts = []
    for n in names[1:]:
        ulp = np.abs(ys[n].view(np.int64) - base)
        k = int(np.count_nonzero(ulp))
        parts.append(
            f"{n}: {k:,} of {ulp.size:,} values ({k / ulp.size:.1%}), at most {int(ulp.max())} ulp"
            if k
            else f"{n}: identical"
        )
    return f"vs {names[0]}: " + "; ".join(parts)


def compare(
    runs: dict[str, dict[str, Any]], ys: dict[str, np.ndarray] | None = None
) -> list[tuple[str, str]]:
    """Rows (quantity, how it varies across the settings); ``ys``: each setting's sigmoid(x)."""
    names = list(runs)
    first = runs[names[0]]
    rows: list[tuple[str, str]] = []

    def same(key: str) -> str:
        return (
            "bit-identical"
            if all(runs[n][key] == first[key] for n in names)
            else "differs: " + ", ".join(f"{n} {str(runs[n][key])[:12]}" for n in names)
        )

    rows.append(("Problem 1 simulated x (SHA-256)", same("p1_x_sha")))
    rows.append(("Problem 1 y = sigmoid(x) (SHA-256)", same("p1_y_sha")))
    if ys is not None and rows[-1][1] != "bit-identical":
        rows.append(("Problem 1 y = sigmoid(x), value by value", ulp_differences(ys)))
    for depth in (1, 2):
        for gradient in ("finite-difference", "analytic"):
            key = f"p1_{depth}_{gradient}"
            recs = [runs[n][key] for n in names]
            counts = [
                f"{n} {r['nit']}/{r['nfev']}/{r['njev']}" for n, r in zip(names, recs, strict=True)
            ]
            w = np.asarray([r["weights"] for r in recs])
            rows.append(
                (
                    f"Problem 1 {depth}-layer fit from zeros, {gradient} gradient",
                    f"MSE {_max_rel([r['fun'] for r in recs]):.1e} relative; weights "
                    f"{np.max(np.abs(w - w[0])):.1e}; nit/nfev/njev " + ", ".join(counts),
                )
            )
    rows.append(("card stand-in CSV (SHA-256)", same("standin_sha")))
    rows.append(("split arrays (SHA-256)", same("split_sha")))
    rows.append(("decision tree (test F1, depth, leaves)", same("tree")))
    mlp = [runs[n]["mlp"] for n in names]
    loss = max(_max_rel([m[i]["train_loss"][-1] for m in mlp]) for i in range(len(mlp[0])))
    vf1 = max(
        _max_abs([m[i]["valid_f1"][e] for m in mlp])
        for i in range(len(mlp[0]))
        for e in range(len(mlp[0][i]["valid_f1"]))
        if all(m[i]["valid_f1"][e] is not None for m in mlp)
    )
    tf1 = max(
        _max_abs([m[i]["test_f1"][e] for m in mlp])
        for i in range(len(mlp[0]))
        for e in range(len(mlp[0][i]["test_f1"]))
        if all(m[i]["test_f1"][e] is not None for m in mlp)
    )
    identical = all(m == mlp[0] for m in mlp)
    rows.append(
        (
            "MLP cell (width 16, batch 250, lr 0.1 and 1, seeds 0 and 1, 2 epochs)",
            "bit-identical"
            if identical
            else f"final training loss {loss:.1e} relative; validation F1 {vf1:.1e}; "
            f"test F1 {tf1:.1e} (largest over models and epochs)",
        )
    )
    return rows


def table(runs: dict[str, dict[str, Any]], ys: dict[str, np.ndarray] | None = None) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    settings = "; ".join(
        f"`{n}`: numpy {'+'.join(r['numpy_simd']) or 'baseline'}, torch {r['torch_capability']}"
        for n, r in runs.items()
    )
    lines = [
        f"Measured by `python bench/reproducibility.py` on {cpu} "
        f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}); settings: "
        f"{settings}.",
        "",
        "| quantity | across the settings |",
        "|---|---|",
        *(f"| {q} | {v} |" for q, v in compare(runs, ys)),
    ]
    return "\n".join(lines)


def run_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows of the whole-run comparison: label and value read from one summary.json."""
    p1, p2 = s["problem1"]["nets"][1], s["problem2"]
    mlp, pub = p2["mlp"], p2["published_run"]
    config = ("width", "lr", "batch_size", "epochs", "momentum")
    return [
        ("Problem 1: 2-layer best minimum, MSE", f"{p1['best_mse']:.10e}"),
        ("Problem 1: 2-layer published recipe, MSE", f"{p1['zeros_mse']:.10e}"),
        (
            "Problem 1: 2-layer published recipe, weights",
            ", ".join(f"{w:.4f}" for w in p1["zeros_weights"]),
        ),
        (
            "Problem 1: starts reaching the best 2-layer minimum",
            f"{p1['best_count']} of {p1['starts']}",
        ),
        ("Problem 2: stand-in CSV SHA-256", p2["source"]["sha256"][:12]),
        ("Problem 2: tree test F1", f"{p2['tree']['test_f1']:.6f}"),
        (
            "Problem 2: chosen MLP (width, lr, batch, epochs, momentum)",
            ", ".join(str(mlp[k]) for k in config),
        ),
        (
            "Problem 2: its test F1, mean ± sd over seeds",
            f"{mlp['test_f1']:.4f} ± {mlp['test_f1_sd']:.4f}",
        ),
        (
            "Problem 2: configurations within one sd of the best",
            f"{p2['near_best']['n']} of {p2['near_best']['n_configurations']}",
        ),
        ("Problem 2: verdict", p2["verdict"]["outcome"]),
        (
            "Problem 2: published run, accuracy range over epochs (%)",
            f"{pub['accuracy_min']:.1f} to {pub['accuracy_max']:.1f}",
        ),
    ]


def runs_table(runs: dict[str, Path]) -> str:
    """Side-by-side table of the summaries of whole default runs."""
    summaries = {
        n: json.loads((d / "results" / "summary.json").read_text()) for n, d in runs.items()
    }
    lines = [
        "Whole default runs (`snakemake --cores 2`, default configuration), "
        + ", ".join(f"`{n}`" for n in runs)
        + ", compared by `python bench/reproducibility.py --runs`:",
        "",
        "| result | " + " | ".join(runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    rows = [run_rows(s) for s in summaries.values()]
    for i, (label, _) in enumerate(rows[0]):
        lines.append(f"| {label} | " + " | ".join(r[i][1] for r in rows) + " |")
    return "\n".join(lines)


def _write_between(readme: Path, begin: str, end: str, text: str) -> None:
    content = readme.read_text()
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, default=1_000_000, help="stand-in rows (default run's)")
    ap.add_argument("--mlp-rows", type=int, default=100_000, help="training rows of the cell")
    ap.add_argument("--readme", type=Path, help="write the table between the envelope markers")
    ap.add_argument("--runs", nargs="+", metavar="NAME=DIR", help="compare whole runs' summaries")
    args = ap.parse_args()
    if args.runs:
        text = runs_table({k: Path(v) for k, v in (r.split("=", 1) for r in args.runs)})
        print(text)
        if args.readme:
            _write_between(args.readme, RUNS_BEGIN, RUNS_END, text)
        return
    if args.worker:
        worker(args.worker, args.rows, args.mlp_rows)
        return
    runs: dict[str, dict[str, Any]] = {}
    ys: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, env in SETTINGS.items():
            out = Path(tmp) / f"{name}.json"
            subprocess.run(
                [sys.executable, __file__, "--worker", str(out), "--rows", str(args.rows),
                 "--mlp-rows", str(args.mlp_rows)],
                env={**os.environ, **env, "OMP_NUM_THREADS": "1"},
                check=True,
            )  # fmt: skip
            runs[name] = json.loads(out.read_text())
            ys[name] = load_array(out.with_suffix(".y.npy"))
        text = table(runs, ys)
    print(text)
    if args.readme:
        _write_between(args.readme, BEGIN, END, text)


if __name__ == "__main__":
    main()
