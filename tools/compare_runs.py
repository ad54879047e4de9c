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
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    """Command line: print the differing files; 1 if there is one, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path, help="working directory of the first run")
    parser.add_argument("run_b", type=Path, help="working directory of the second run")
    parser.add_argument("--results-only", action="store_true", help="do not compare the report")
    args = parser.parse_args(argv)
    for run in (args.run_a, args.run_b):
        if not (run / "results").is_dir():
            parser.error(f"{run}: no results/ directory (not a run's working directory)")
    differ = compare_runs(args.run_a, args.run_b, report=not args.results_only)
    for path in differ:
        only = [r for r in (args.run_a, args.run_b) if not (r / path).is_file()]
        print(
            f"{path}: only in {args.run_b if only == [args.run_a] else args.run_a}"
            if only
            else f"{path}: differs"
        )
    print(f"{len(differ)} file(s) differ" if differ else "the runs agree", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
