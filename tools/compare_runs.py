"""Compare two runs of the pipeline: which result files differ.

A run's results are deterministic for a configuration: every file under ``results/`` is the
same, byte for byte, in two runs of the same configuration, apart from the timings
(``results/benchmarks/``) and the provenance record (``results/provenance.json``). The report
``reports/hw6.html`` is the same apart from its provenance section and the timings marked
volatile. This compares two working directories (``--directory`` of two runs, e.g. of two
commits) on exactly that::

    python tools/compare_runs.py RUN_A RUN_B

prints each differing file (or one present in one run only) and exits 1 if there is one, 0 if
the runs agree. ``--results-only`` leaves the report out. The test suite uses
:func:`compare_runs` (tests/test_determinism.py).

Two more modes read the numbers (:mod:`hw6lib.report.runs`)::

    python tools/compare_runs.py --numbers OLD NEW      # every number of results/summary.json
                                                        # that differs: old, new, change
    python tools/compare_runs.py --table [--html reports/runs.html] RUN...

``--table`` (``make compare``: the default run and every run under ``runs/``) prints one column
per run: the configuration keys in which they differ (only those), the data and its SHA-256,
the headline answers, the jobs' summed wall time and the commit, and for a run of the same
configuration as an earlier one, whether the two are identical, within the reproducibility
envelope or outside it; ``--html`` writes the same table as a page.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

from hw6lib.pipeline.resultfiles import atomic_open
from hw6lib.report.runs import (
    Run,
    differing_keys,
    envelope_verdict,
    headline,
    numeric_diff,
    read_run,
)

#: Paths under ``results/`` that legitimately differ between runs: timings and provenance.
VOLATILE = ("benchmarks/", "provenance.json")
#: The report, relative to a run's working directory.
REPORT = "reports/hw6.html"


def result_files(root: str | Path) -> dict[str, bytes]:
    """Read the contents of every file under ``root/results`` except the volatile ones.

    Parameters
    ----------
    root : str or path-like
        A run's working directory.

    Returns
    -------
    dict
        Path relative to ``results/`` (POSIX) -> bytes, in sorted order.
    """
    results = Path(root) / "results"
    out = {}
    for p in sorted(results.rglob("*")):
        rel = p.relative_to(results).as_posix()
        if p.is_file() and not any(rel.startswith(v) for v in VOLATILE):
            out[rel] = p.read_bytes()
    return out


def strip_provenance(html: str) -> str:
    """Remove the report's provenance section and the timings marked volatile."""
    html = re.sub(r'<section id="provenance">.*?</section>', "", html, flags=re.S)
    return re.sub(r'<span class="volatile">[^<]*</span>', "", html)


def compare_runs(a: str | Path, b: str | Path, report: bool = True) -> list[str]:
    """List the files in which two runs differ.

    Parameters
    ----------
    a, b : str or path-like
        The two runs' working directories.
    report : bool
        Also compare ``reports/hw6.html`` without its provenance (:func:`strip_provenance`),
        when either run has one.

    Returns
    -------
    list of str
        Paths relative to the working directory (``results/...``, ``reports/hw6.html``) whose
        contents differ or that exist in one run only, sorted; empty when the runs agree.
    """
    fa, fb = result_files(a), result_files(b)
    differ = [f"results/{k}" for k in sorted(fa.keys() | fb.keys()) if fa.get(k) != fb.get(k)]
    if report:
        ra, rb = Path(a) / REPORT, Path(b) / REPORT
        if ra.is_file() or rb.is_file():
            texts = [
                strip_provenance(r.read_text(encoding="utf-8")) if r.is_file() else None
                for r in (ra, rb)
            ]
            if texts[0] != texts[1]:
                differ.append(REPORT)
    return differ


def _fmt(value: Any, full: bool = False) -> str:
    """A table cell: numbers to 6 significant digits, lists in brackets, SHA-256 shortened."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join("null" if v is None else _fmt(v, full) for v in value) + "]"
    text = str(value)
    if not full:  # a 64-digit hex digest: its first 12 digits identify it
        text = re.sub(r"\b([0-9a-f]{12})[0-9a-f]{52}\b", r"\1...", text)
    return text


#: Row labels of the answers (hw6lib.report.runs.headline's keys).
LABELS = {
    "data": "data, SHA-256",
    "tree.test_f1": "tree: test F1",
    "mlp.best": "best MLP: width, lr, batch, epochs, momentum",
    "mlp.test_f1": "best MLP: test F1 (sd over seeds)",
    "verdict": "does the MLP beat the tree",
    "job_seconds": "run time (s, jobs summed)",
    "commit": "commit",
}


def _label(key: str) -> str:
    m = re.fullmatch(r"p1\.depth(\d+)\.(\w+)", key)
    if m:
        what = {
            "best_mse": "best minimum, MSE",
            "best_weights": "its weights",
            "n_minima": "distinct minima",
        }
        return f"P1 {m[1]}-layer: {what.get(m[2], m[2].replace('_', ' '))}"
    return LABELS.get(key, key)


def runs_table(runs: list[Run], full: bool = False) -> list[list[str]]:
    """The table of runs: a header row (``""`` and the run names), then one row per field."""
    done = [r for r in runs if r.complete]
    heads = {r.name: headline(r) for r in done}
    rows = [["", *(r.name for r in runs)]]
    rows.append(["folder", *(str(r.path) for r in runs)])
    for key in differing_keys(runs):
        values = []
        for r in runs:
            v: Any = r.config
            for part in key.split("."):
                v = v.get(part) if isinstance(v, dict) else None
            values.append(_fmt(v, full) if r.complete else "")
        rows.append([f"config: {key}", *values])
    keys = list(dict.fromkeys(k for h in heads.values() for k in h))
    for key in keys:
        if key == "mlp.test_f1_sd":
            continue
        cells = []
        for r in runs:
            h = heads.get(r.name)
            if h is None:
                cells.append("no results yet")
            elif key == "mlp.test_f1":
                cells.append(f"{h[key]:.4f} ({h['mlp.test_f1_sd']:.4f})")
            elif key == "job_seconds":
                cells.append(f"{h[key]:.0f}")
            else:
                cells.append(_fmt(h.get(key), full))
        rows.append([_label(key), *cells])
    same = []
    for i, r in enumerate(runs):
        cell = ""
        for earlier in runs[:i]:
            if r.complete and earlier.complete and _same_config(r, earlier):
                verdict, outside = envelope_verdict(
                    earlier, r, compare_runs(earlier.path, r.path, report=False)
                )
                cell = f"as {earlier.name}: {verdict}" + (
                    f" ({', '.join(outside)})" if outside else ""
                )
                break
        same.append(cell)
    if any(same):
        rows.append(["same configuration", *same])
    return rows


def _same_config(a: Run, b: Run) -> bool:
    return json.dumps(a.config, sort_keys=True) == json.dumps(b.config, sort_keys=True)


def format_table(rows: list[list[str]]) -> str:
    """Plain text, columns padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def html_page(rows: list[list[str]]) -> str:
    """The table as a standalone HTML page (every cell escaped)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "\n".join(
        "<tr><th>"
        + html.escape(row[0])
        + "</th>"
        + "".join(f"<td>{html.escape(c)}</td>" for c in row[1:])
        + "</tr>"
        for row in rows[1:]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hw6: runs side by side</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
td {{ font-family: ui-monospace, monospace; overflow-wrap: anywhere; max-width: 40em; }}
</style>
</head>
<body>
<h1>hw6: runs side by side</h1>
<p>Written by <code>make compare</code> (<code>tools/compare_runs.py --table</code>) from each
run's <code>results/summary.json</code> and <code>results/provenance.json</code>. Configuration
keys are listed only where the runs differ; a run of the same configuration as an earlier one is
compared with it: identical (every result file), within the reproducibility envelope, or not.</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


#: The README's sample table (``--readme``), between these markers.
README_BEGIN, README_END = "<!-- runs:begin -->", "<!-- runs:end -->"


def write_readme_sample(readme: Path, table: str) -> None:
    """Put ``table`` (printed by ``--table`` from real runs) in ``readme``'s block."""
    sys.path.insert(0, str(Path(__file__).parent))
    from readmeblock import block, current

    text = readme.read_text(encoding="utf-8")
    body = (
        "Printed by `make compare` (`python tools/compare_runs.py --table --readme README.md "
        ". runs/*/` wrote it here):\n\n```text\n" + table + "```"
    )
    readme.write_text(
        text.replace(
            current(text, README_BEGIN, README_END), block(README_BEGIN, README_END, body)
        ),
        encoding="utf-8",
    )
    print(f"{readme}: sample table rewritten", file=sys.stderr)


def run_name(path: Path) -> str:
    """Name a run: ``default`` for the repository's own, else its folder's name.

    The repository's own run is the folder with a Snakefile.
    """
    return "default" if (path / "Snakefile").is_file() else path.resolve().name


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's documentation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="working directories of runs")
    parser.add_argument("--results-only", action="store_true", help="do not compare the report")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--numbers", action="store_true", help="the numbers of summary.json: old, new, change"
    )
    mode.add_argument("--table", action="store_true", help="every run's answers side by side")
    parser.add_argument("--all", action="store_true", help="--numbers: list equal numbers too")
    parser.add_argument("--html", type=Path, help="--table: also write this HTML page")
    parser.add_argument(
        "--readme", type=Path, help="--table: also write it as the sample in this README's block"
    )
    args = parser.parse_args(argv)
    if args.table:
        runs = [read_run(p, run_name(p)) for p in args.runs if (p / "results").is_dir()]
        # the default run first, then in the order they were made (provenance's time): a run is
        # compared with the earlier ones
        runs.sort(key=lambda r: (r.name != "default", r.provenance.get("created_utc", "~")))
        if not runs:
            parser.error("no runs: none of the folders has results/ (make run first)")
        rows = runs_table(runs)
        print(format_table(rows), end="")
        if args.html:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(args.html, "w") as f:
                f.write(html_page(runs_table(runs, full=True)))
            print(f"wrote {args.html}", file=sys.stderr)
        if args.readme:
            write_readme_sample(args.readme, format_table(rows))
        return 0
    if len(args.runs) != 2:
        parser.error("give two runs (or --table)")
    run_a, run_b = args.runs
    for run in (run_a, run_b):
        if not (run / "results").is_dir():
            parser.error(f"{run}: no results/ directory (not a run's working directory)")
    if args.numbers:
        old, new = (read_run(r) for r in (run_a, run_b))
        rows = [["path", "old", "new", "change"]]
        for d in numeric_diff(old.summary, new.summary, all_values=args.all):
            rows.append([d["path"], *(_fmt(d[k]) for k in ("old", "new", "change"))])
        if len(rows) > 1:
            print(format_table(rows), end="")
        print(
            f"{len(rows) - 1} number(s) differ" if len(rows) > 1 else "no number differs",
            file=sys.stderr,
        )
        return 0
    differ = compare_runs(run_a, run_b, report=not args.results_only)
    for path in differ:
        only = [r for r in (run_a, run_b) if not (r / path).is_file()]
        print(
            f"{path}: only in {run_b if only == [run_a] else run_a}" if only else f"{path}: differs"
        )
    print(f"{len(differ)} file(s) differ" if differ else "the runs agree", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
