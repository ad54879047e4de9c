"""Peak memory of every job of a finished run, from its benchmark files and job logs (not a test).

    .venv/bin/python bench/memory.py [WORKDIR] [--limit-mb 2000]

WORKDIR is the folder the pipeline ran in (holding ``results/`` and ``logs/``; default: the
current folder). One row per job:

* ``wall_s`` and ``bench_rss_mb``: from ``results/benchmarks/**/*.tsv`` (Snakemake's
  ``benchmark:`` files, column ``max_rss`` in MB). Snakemake samples memory every 0.5 s for the
  first 15 s and every 30 s after that, so a short peak (or a job shorter than a sample) can
  be missed or under-reported;
* ``peak_rss_mb``: the line ``peak memory: ... MB`` that every job writes at its end
  (:func:`hw6lib.pipeline.runlog.peak_rss_mb`, the kernel's exact high-water mark of the job's
  process), for jobs with and without a benchmark file.

The exit status is 1 when a job's peak (the larger of the two) exceeds ``--limit-mb``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

PEAK = re.compile(r"peak memory: ([0-9.]+) MB")


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "", "NA", "-") else None
    except ValueError:
        return None


def collect(workdir: Path) -> list[dict[str, object]]:
    """One record per job: ``job``, ``wall_s``, ``bench_rss_mb``, ``peak_rss_mb``."""
    jobs: dict[str, dict[str, object]] = {}
    bench = workdir / "results" / "benchmarks"
    for tsv in sorted(bench.rglob("*.tsv")):
        with open(tsv, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if not rows:
            continue
        name = tsv.relative_to(bench).with_suffix("").as_posix()
        rec = jobs.setdefault(name, {"job": name})
        rec["wall_s"] = max(_float(r.get("s")) or 0.0 for r in rows)
        rec["bench_rss_mb"] = max(_float(r.get("max_rss")) or 0.0 for r in rows)
    logs = workdir / "logs"
    for log in sorted(logs.rglob("*.log")):
        found = PEAK.findall(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            name = log.relative_to(logs).with_suffix("").as_posix()
            jobs.setdefault(name, {"job": name})["peak_rss_mb"] = float(found[-1])
    return [jobs[k] for k in sorted(jobs)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("workdir", nargs="?", default=".", type=Path)
    ap.add_argument("--limit-mb", type=float, default=2000.0)
    args = ap.parse_args(argv)
    records = collect(args.workdir)
    if not records:
        print(f"no benchmark files or job logs under {args.workdir}", file=sys.stderr)
        return 2

    def cell(v: object, fmt: str) -> str:
        width = int(fmt.split(".")[0])
        return format(v, fmt) if isinstance(v, float) else "-".rjust(width)

    print(f"{'job':<28} {'wall s':>8} {'bench max_rss MB':>17} {'peak RSS MB':>12}")
    worst = 0.0
    for r in records:
        peak = max(v for v in (r.get("bench_rss_mb"), r.get("peak_rss_mb"), 0.0) if v is not None)
        worst = max(worst, float(peak))  # type: ignore[arg-type]
        print(
            f"{r['job']:<28} {cell(r.get('wall_s'), '8.1f')} "
            f"{cell(r.get('bench_rss_mb'), '17.1f')} {cell(r.get('peak_rss_mb'), '12.1f')}"
        )
    verdict = "within" if worst <= args.limit_mb else "OVER"
    print(f"largest peak {worst:.1f} MB: {verdict} the limit of {args.limit_mb:.0f} MB")
    return 0 if worst <= args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
