"""Shared statistics and table printing for every ``bench_*.py`` module.

Every published figure is the **median over repeated runs** with its **spread**, and every comparison is
a **ratio measured in the same run** (both sides timed inside one repetition, then the per-run ratios are
summarised like any other figure). This module holds the few helpers that make all benches print that the
same way:

* :func:`summarize` -> :class:`Summary` (median, quartiles, min/max; ``spread`` = half the inter-quartile
  range relative to the median, printed as ``±x%``).
* :func:`per_call`: a bounded async timing loop (``time.perf_counter``), no unbounded ``while True``.
* :class:`Table`: a plain-text table.
* :func:`environment_lines` / :func:`print_header`: machine, Python and library versions, and the exact
  command, printed once at the top of ``python -m bench``.
* :func:`fmt_time`, :func:`fmt_rate`, :func:`fmt_ratio`: consistent units.
* :func:`run_client_process`: one client script in a fresh process on a given ``PYTHONPATH`` (this tree
  or an older one), its result read from the last line it prints (JSON).

Pure stdlib (plus optional version probes) so that it is usable from any bench without side effects.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "Summary",
    "Table",
    "environment_lines",
    "fmt_rate",
    "fmt_ratio",
    "fmt_summary",
    "fmt_time",
    "per_call",
    "percentile",
    "print_header",
    "quick_mode",
    "summarize",
]


QUICK_ENV = "BENCH_QUICK"


def quick_mode() -> bool:
    """True under ``python -m bench --quick`` (sets ``BENCH_QUICK=1``): use fewer runs / smaller loops.

    The whole quick suite must finish in under 2 minutes; a bench that reads this picks its own smaller
    defaults (explicit command-line values still win).
    """
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and spread of repeated measurements (one value per run)."""

    median: float
    p25: float
    p75: float
    minimum: float
    maximum: float
    n: int

    @property
    def spread(self) -> float:
        """Half the inter-quartile range relative to the median (0.05 = ±5 %); 0 for a single run."""
        if self.n < 2 or self.median == 0:
            return 0.0
        return (self.p75 - self.p25) / 2 / abs(self.median)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation; ``nan`` for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def summarize(values: Iterable[float]) -> Summary:
    """Summarise one value per run. Raises ``ValueError`` on an empty input (a bench bug)."""
    data = [float(v) for v in values]
    if not data:
        raise ValueError("summarize() needs at least one value")
    return Summary(
        median=statistics.median(data),
        p25=percentile(data, 25),
        p75=percentile(data, 75),
        minimum=min(data),
        maximum=max(data),
        n=len(data),
    )


async def per_call(call: Callable[[], Awaitable[object]], number: int) -> float:
    """Seconds per ``await call()`` averaged over ``number`` sequential calls (one timed batch)."""
    start = time.perf_counter()
    for _ in range(number):
        await call()
    return (time.perf_counter() - start) / number


# --------------------------------------------------------------------------------------------- formatting


def fmt_time(seconds: float) -> str:
    """A duration with a readable unit: ``ns``, ``us``, ``ms`` or ``s``."""
    if seconds != seconds:  # nan
        return "n/a"
    a = abs(seconds)
    if a < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if a < 1e-3:
        return f"{seconds * 1e6:.2f} us" if a < 1e-5 else f"{seconds * 1e6:.1f} us"
    if a < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(per_second: float, unit: str = "/s") -> str:
    """A rate with thousands separators, e.g. ``12,345 /s``."""
    if per_second != per_second:
        return "n/a"
    return f"{per_second:,.0f} {unit}"


def fmt_ratio(ratio: float) -> str:
    """A ratio such as ``12.3x``."""
    if ratio != ratio:
        return "n/a"
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def fmt_summary(summary: Summary, fmt: Callable[[float], str]) -> str:
    """``median ±spread%`` using ``fmt`` for the median (e.g. :func:`fmt_time`)."""
    return f"{fmt(summary.median)} ±{summary.spread * 100:.0f}%"


class Table:
    """A small fixed-column text table, printed with ``print()``."""

    def __init__(self, title: str, columns: Sequence[str], note: str | None = None) -> None:
        self.title = title
        self.columns = list(columns)
        self.rows: list[list[str]] = []
        self.note = note

    def add_row(self, *cells: object) -> None:
        """Append a row; cells are converted with ``str``; missing cells are blank."""
        row = [str(c) for c in cells]
        if len(row) > len(self.columns):
            raise ValueError(f"{len(row)} cells for {len(self.columns)} columns")
        self.rows.append(row + [""] * (len(self.columns) - len(row)))

    def render(self) -> str:
        """Plain-text rendering with aligned columns (first column left, others right)."""
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

        def line(cells: Sequence[str]) -> str:
            parts = [
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = [f"== {self.title}", line(self.columns), rule, *(line(r) for r in self.rows)]
        if self.note:
            out.append(f"   {self.note}")
        return "\n".join(out)

    def print(self) -> None:
        """Print the plain-text rendering followed by a blank line (flushed: benches run long)."""
        print(self.render() + "\n", flush=True)


# ---------------------------------------------------------------------------------------------- header


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def environment_lines(argv: Sequence[str] | None = None) -> list[str]:
    """Machine, interpreter, library versions and the exact command, one fact per line."""
    args = list(sys.argv if argv is None else argv)
    cmd = "python -m bench" + ("" if len(args) <= 1 else " " + shlex.join(args[1:]))
    try:
        load = "load avg {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load avg n/a"
    return [
        f"command:  {cmd}",
        f"date:     {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"machine:  {platform.system()} {platform.release()} {platform.machine()}, {_cpu_model()}, "
        f"{os.cpu_count()} logical CPUs, {load}",
        f"python:   {platform.python_implementation()} {platform.python_version()}",
        "packages: "
        + ", ".join(
            f"{name} {_version(name)}" for name in ("exchangekit", "aiohttp", "protobuf", "msgspec", "attrs")
        ),
    ]


def print_header(argv: Sequence[str] | None = None) -> None:
    """Print :func:`environment_lines` framed, once per ``python -m bench`` invocation."""
    lines = environment_lines(argv)
    width = max(len(line) for line in lines)
    print("=" * width)
    for line in lines:
        print(line)
    print("=" * width + "\n", flush=True)


def run_client_process(
    script: Path, args: dict[str, Any], pythonpath: str, *, label: str, timeout: float
) -> dict[str, Any]:
    """Run ``script`` with ``args`` (JSON) in a fresh interpreter whose imports come from
    ``pythonpath``, from ``/`` so the current tree cannot shadow it; return the JSON object on the
    last line it prints. A failing client raises with the tail of its stderr."""
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(args)],
        env=dict(os.environ, PYTHONPATH=pythonpath),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd="/",
    )
    if done.returncode != 0:
        raise RuntimeError(f"{label}: client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
