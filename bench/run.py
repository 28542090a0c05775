"""Run every benchmark: the core's, then each plugin's; each prints figures with same-run baselines.

Usage: ``python bench/run.py`` (from the repository root, with the plugins installed).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def benchmark_scripts() -> list[Path]:
    """Every ``bench/*.py`` and ``plugins/*/bench/*.py`` except this runner."""
    scripts = [p for p in sorted((ROOT / "bench").glob("*.py")) if p.name != "run.py"]
    return scripts + sorted(ROOT.glob("plugins/*/bench/*.py"))


def main() -> int:
    """Run each benchmark in its own process; exit non-zero when any failed."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    )
    failed = []
    for script in benchmark_scripts():
        name = script.relative_to(ROOT)
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)
        print(f"   ({time.perf_counter() - started:.0f} s)")
        if result.returncode:
            failed.append(str(name))
    if failed:
        print("\nfailed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
