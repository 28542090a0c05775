"""Run every benchmark (the core's, then each plugin's) and print one table of their figures.

Usage: ``python bench/run.py [--markdown]`` from the repository root, with the plugins installed.
Each script measures its own baseline in the same run and reports rows through
``payalert_testing.benchmarks.report_row``; the table at the end gathers them all.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from payalert_testing.benchmarks import ROWS_ENV, BenchmarkRow, read_rows

ROOT = Path(__file__).resolve().parent.parent


def benchmark_scripts() -> list[Path]:
    """Every ``bench/*.py`` and ``plugins/*/bench/*.py`` except this runner."""
    scripts = [p for p in sorted((ROOT / "bench").glob("*.py")) if p.name != "run.py"]
    return scripts + sorted(ROOT.glob("plugins/*/bench/*.py"))


def machine() -> str:
    """One line describing where the figures were measured."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def table(rows: list[BenchmarkRow], markdown: bool) -> str:
    """The rows as a Markdown table, or as aligned plain text."""
    header = ("benchmark", "payalert", "baseline (same run)", "ratio", "target", "")
    verdict = {True: "met", False: "MISSED", None: "reported"}
    lines = [(r.benchmark, r.value, r.baseline, r.ratio, r.target, verdict[r.met]) for r in rows]
    if markdown:
        out = ["| " + " | ".join(header[:-1]) + " |", "|" + "---|" * (len(header) - 1)]
        out += [
            f"| {a} | {b} | {c} | {d} | {f if e == '–' else f'{e} — {f}'} |" for a, b, c, d, e, f in lines
        ]
        return "\n".join(out)
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *lines]
    )


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line; ``--help`` prints usage and exits before any benchmark starts."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Run every benchmark (bench/*.py, then plugins/*/bench/*.py), each in its own process, "
        "and print one table of their figures with ratios against baselines measured in the same run.",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run each benchmark in its own process, then print the table; non-zero when one failed."""
    arguments = parse_arguments(argv)
    print(f"machine: {machine()}")
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        rows_file = os.path.join(folder, "rows.jsonl")
        open(rows_file, "w").close()
        for script in benchmark_scripts():
            name = script.relative_to(ROOT)
            print(f"\n== {name}", flush=True)
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, str(script)], cwd=ROOT, check=False, env={**os.environ, ROWS_ENV: rows_file}
            )
            print(f"   ({time.perf_counter() - started:.0f} s)")
            if result.returncode:
                failed.append(str(name))
        rows = read_rows(rows_file)
    print(f"\n== results ({machine()})\n")
    print(table(rows, markdown=arguments.markdown))
    if failed:
        print("\nfailed or missed a target: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
