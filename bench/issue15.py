"""Issue 15's whole table in one command: every row, ours vs the floor (and an older tree), with spreads.

    python -m bench.issue15 [--quick] [--before PYTHONPATH] [--only ROW ...]
    python -m bench.issue15 --make-before DIR [--commit 43eb379]   # set up the start-of-round tree

Each row is measured by the bench that owns it (nothing is measured twice in two ways):

* ``ws``: :mod:`bench.bench_floor`: WS trades (10/frame) and books (20+20 levels, local book + top-20
  handler), client CPU per frame, ours vs the bare aiohttp + upb floor (every field read);
* ``rest``: :mod:`bench.bench_rest`: REST depth (limit 100) and signed order vs bare aiohttp + the
  fastest generic JSON decoder installed (+ HMAC), wall and client CPU per request;
* ``scale``: :mod:`bench.bench_scale`: CPU per depth frame at 1/10/100/300 symbols, all subscribed;
* ``memory``: :func:`bench.bench_orderbook.measure_memory`: 1,000 books x 1,000 levels (500 a side);
* ``latency``: :func:`bench.bench_e2e.latency`: server send -> handler p50/p99/p99.9 at 1k and 10k
  frames/s (trades and books);
* ``private``: the private-stream bench (``bench/bench_private*.py``), if the tree has one.

Every bench's own table (with its notes) is printed first, then the summary: one line per row of the
issue's table. ``--before PYTHONPATH`` times a second tree with the same scripts, each client in its
own process (rows whose bench runs in-process say "n/a" for it); ``--make-before DIR`` builds such a
tree from a commit (``git archive`` + this tree's ``bench/e2e_ours.py`` + orjson, which 43eb379 still
imported) and prints the PYTHONPATH to pass. Default settings took 5 minutes on a loaded 2-vCPU host,
``--quick`` about 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_floor, bench_rest, bench_scale
from bench.stats import QUICK_ENV, Table, environment_lines, fmt_ratio, fmt_summary, fmt_time, summarize

TREE = Path(__file__).resolve().parent.parent
ROWS = ("ws", "rest", "scale", "memory", "latency", "private")


@dataclass
class Summary:
    """The issue's table: one line per path, filled in by each row's runner."""

    table: Table = field(
        default_factory=lambda: Table(
            "Issue 15: ours vs the floor (and before)",
            ["path", "floor", "ours", "ours/floor", "before", "before/floor", "target", "status"],
            note="median of runs ±half-IQR; ratios are per run (same run, same load), then summarised; "
            "CPU = client process time (time.process_time); details in the tables above",
        )
    )
    details: list[Table] = field(default_factory=list)

    def row(self, *cells: str) -> None:
        self.table.add_row(*cells)


def _ratio(values: Sequence[float]) -> str:
    return fmt_summary(summarize(values), fmt_ratio) if values else ""


def _status(ratio: float | None, target: float) -> str:
    if ratio is None:
        return ""
    return "met" if ratio <= target else "MISSED"


# --------------------------------------------------------------------------------------------- rows


def run_ws(summary: Summary, quick: bool, before: str | None) -> None:
    runs, frames = (2, 5000) if quick else (5, 20000)
    results = bench_floor.measure(runs, frames, before)
    summary.details.append(bench_floor.table(results, runs, frames))
    for scenario, label in bench_floor.LABELS.items():
        floor = results[(scenario, "floor")]
        cells = {}
        ratios = {}
        for client in ("floor", "ours", "before"):
            rows = results.get((scenario, client), [])
            cells[client] = fmt_summary(summarize(r["cpu_per_frame"] for r in rows), fmt_time) if rows else ""
            ratios[client] = [
                r["cpu_per_frame"] / f["cpu_per_frame"] for r, f in zip(rows, floor, strict=False)
            ]
        ours = summarize(ratios["ours"]).median
        summary.row(
            f"{label} (CPU/frame)",
            cells["floor"],
            cells["ours"],
            _ratio(ratios["ours"]),
            cells["before"] or ("n/a" if before else ""),
            _ratio(ratios["before"]),
            f"<= {bench_floor.TARGET}x",
            _status(ours, bench_floor.TARGET),
        )


def run_rest(summary: Summary, quick: bool, before: str | None) -> None:
    runs, number = (3, 200) if quick else (5, 1000)
    results = bench_rest.measure(runs, number, before=before)
    summary.details.append(bench_rest.table(results, number))
    labels = {"depth": "REST depth (limit 100)", "order": "REST signed order"}
    for what, label in labels.items():
        for kind, values, ratios in (
            ("wall", results.wall[what], results.wall_ratio[what]),
            ("client CPU", results.cpu[what], results.cpu_ratio[what]),
        ):
            bare = values.get("bare", [])
            ours = values.get("ours", [])
            old = values.get("before", [])
            ours_ratio = summarize(ratios["ours"]).median if ratios.get("ours") else None
            summary.row(
                f"{label}, {kind}/request vs bare aiohttp + {bench_rest.bare_decoder()[0]}",
                fmt_summary(summarize(bare), fmt_time) if bare else "",
                fmt_summary(summarize(ours), fmt_time) if ours else "",
                _ratio(ratios.get("ours", [])),
                fmt_summary(summarize(old), fmt_time) if old else ("n/a" if before else ""),
                _ratio(ratios.get("before", [])),
                f"<= {bench_rest.TARGET}x" if kind == "wall" else "",
                _status(ours_ratio, bench_rest.TARGET) if kind == "wall" else "",
            )


def run_scale(summary: Summary, quick: bool, before: str | None) -> None:
    runs, frames, counts = (2, 6000, [1, 300]) if quick else (3, 20000, list(bench_scale.SYMBOL_COUNTS))
    results = bench_scale.measure(runs, frames, counts, ["depth"], before)
    summary.details.append(bench_scale.table(results, runs, frames))
    top = max(counts)
    for symbols in counts:
        cells = {}
        for client in ("floor", "ours", "before"):
            rows = results.get(("depth", symbols, client), [])
            cpu = fmt_summary(summarize(r["cpu_per_frame"] for r in rows), fmt_time) if rows else ""
            scale = bench_scale.scaling_ratio(results, "depth", symbols, client)
            cells[client] = f"{cpu} ({fmt_ratio(scale.median)} of 1)" if rows and scale is not None else cpu
        scale = bench_scale.scaling_ratio(results, "depth", symbols, "ours")
        last = symbols == top and scale is not None
        summary.row(
            f"CPU per depth frame, {symbols} symbol{'s' if symbols > 1 else ''} (x of 1 symbol)",
            cells["floor"],
            cells["ours"],
            "",
            cells["before"] or ("n/a" if before else ""),
            "",
            f"<= {bench_scale.TARGET}x of 1" if last else "",
            _status(scale.median if scale is not None else None, bench_scale.TARGET) if last else "",
        )


MEMORY_BOOKS = 1000
MEMORY_LEVELS = 1000
MEMORY_TARGET = 64.0


def _memory_in(pythonpath: str, books: int, depth: int) -> tuple[float, float]:
    """:func:`bench.bench_orderbook.measure_memory` of another tree, in its own process."""
    code = (
        "import json; from bench.bench_orderbook import measure_memory; "
        f"print(json.dumps(measure_memory({books}, {depth})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=pythonpath),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd="/",
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory bench of {pythonpath} failed: {done.stderr[-1500:]}")
    ours, plain = json.loads(done.stdout.strip().splitlines()[-1])
    return float(ours), float(plain)


def run_memory(summary: Summary, quick: bool, before: str | None) -> None:
    books = 200 if quick else MEMORY_BOOKS
    runs = 1 if quick else 3
    depth = MEMORY_LEVELS // 2
    mine = [_memory_in(str(TREE), books, depth) for _ in range(runs)]
    old = [_memory_in(before, books, depth) for _ in range(runs)] if before else []
    per_level = [r[0] / MEMORY_LEVELS for r in mine]
    plain = [r[1] / MEMORY_LEVELS for r in mine]
    table = Table(
        f"Memory per book level: {books:,} books x {MEMORY_LEVELS:,} levels ({depth} a side), tracemalloc",
        ["client", "bytes/level", "vs plain dicts", "all books"],
        note="the book's containers only (the price/size floats exist before, as a parsed feed's would); "
        "each measurement in a fresh process; plain dicts = two dicts price -> size per book",
    )

    def size(values: Sequence[float]) -> str:
        return fmt_summary(summarize(values), lambda v: f"{v:,.0f} B")

    table.add_row(
        "plain dicts",
        size(plain),
        "1x",
        f"{summarize(plain).median * MEMORY_LEVELS * books / 2**20:,.0f} MiB",
    )
    for name, rows in (("ours", mine), ("before", old)):
        if rows:
            levels = [r[0] / MEMORY_LEVELS for r in rows]
            table.add_row(
                name,
                size(levels),
                _ratio([r[0] / r[1] for r in rows]),
                f"{summarize(levels).median * MEMORY_LEVELS * books / 2**20:,.0f} MiB",
            )
    summary.details.append(table)
    median = summarize(per_level).median
    summary.row(
        f"memory per book level ({books:,} books x {MEMORY_LEVELS:,} levels)",
        size(plain) + " (plain dicts)",
        size(per_level),
        _ratio([r[0] / r[1] for r in mine]),
        size([r[0] / MEMORY_LEVELS for r in old]) if old else ("n/a" if before else ""),
        _ratio([r[0] / r[1] for r in old]),
        f"<= {MEMORY_TARGET:.0f} B",
        "met" if median <= MEMORY_TARGET else "MISSED",
    )


LATENCY_TARGET_P99 = 1e-3


def _cell(table: Table, row: list[str], column: str) -> str:
    return row[table.columns.index(column)] if column in table.columns else ""


def run_latency(summary: Summary, quick: bool, before: str | None) -> None:
    from bench import bench_e2e
    from bench.server import ServerProcess

    runs, seconds = (2, 1.0) if quick else (3, 3.0)
    with ServerProcess() as server:
        for rate in (1000.0, 10000.0):
            table = bench_e2e.latency(server, None, runs, rate, seconds)
            summary.details.append(table)
            label = ""
            for row in table.rows:
                label = row[0] or label
                if row[1] != "ours":
                    continue
                p99 = _cell(table, row, "p99")
                summary.row(
                    f"latency send -> handler, {label}, {rate:,.0f} frames/s: p99 / p99.9",
                    "",
                    f"{p99} / {_cell(table, row, 'p99.9')}",
                    "",
                    "n/a (in-process bench)" if before else "",
                    "",
                    "p99 < 1 ms" if rate >= 10000 else "",
                    "",
                )


def _private_bench() -> Callable[[list[str]], Any] | None:
    """The private-stream bench's ``main``, if the tree has one (``bench/bench_private*.py``)."""
    folder = Path(__file__).parent
    for info in pkgutil.iter_modules([str(folder)]):
        if info.name.startswith("bench_private"):
            module = importlib.import_module(f"bench.{info.name}")
            main: Callable[[list[str]], Any] = module.main
            return main
    return None


def run_private(summary: Summary, quick: bool, before: str | None) -> None:
    main = _private_bench()
    if main is None:
        summary.row("private stream frames, in-process", "", "not measured: no bench/bench_private*.py")
        return
    from bench import bench_private

    runs, frames = (2, 3000) if quick else (5, 15000)
    results = asyncio.run(bench_private.measure(runs, frames))
    summary.details.append(bench_private.table(results, runs, frames))
    ratios = [o / f for o, f in zip(results["ours"], results["floor"], strict=True)]
    summary.row(
        bench_private.LABEL,
        fmt_summary(summarize(results["floor"]), fmt_time),
        fmt_summary(summarize(results["ours"]), fmt_time),
        _ratio(ratios),
        "n/a (in-process)" if before else "",
        "",
        f"<= {bench_private.TARGET:g}x",
        _status(summarize(ratios).median, bench_private.TARGET),
    )


RUNNERS: dict[str, Callable[[Summary, bool, str | None], None]] = {
    "ws": run_ws,
    "rest": run_rest,
    "scale": run_scale,
    "memory": run_memory,
    "latency": run_latency,
    "private": run_private,
}


# ------------------------------------------------------------------------------------ before tree


def make_before(folder: Path, commit: str) -> str:
    """Extract ``commit`` into ``folder`` with this tree's bench probe and orjson; return its PYTHONPATH."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(TREE), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    shutil.copy(TREE / "bench" / "e2e_ours.py", folder / "bench" / "e2e_ours.py")
    lib = folder.with_name(folder.name + "-lib")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(lib), "orjson"], check=True)
    return f"{folder}:{lib}"


# ------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.issue15", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and frames (about 4 minutes)")
    ap.add_argument("--before", help="PYTHONPATH of another tree (e.g. from --make-before) to time too")
    ap.add_argument("--only", action="append", choices=ROWS, help="run only these rows (repeatable)")
    ap.add_argument("--make-before", metavar="DIR", help="extract --commit into DIR, print its PYTHONPATH")
    ap.add_argument("--commit", default="43eb379", help="commit for --make-before (start of the round)")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.make_before:
        print(make_before(Path(args.make_before).resolve(), args.commit))
        return 0
    if args.quick:
        os.environ[QUICK_ENV] = "1"
    lines = environment_lines(["-m", *(sys.argv[1:] if argv is None else argv)])
    lines[0] = lines[0].replace("python -m bench", "python -m bench.issue15", 1)
    print("\n".join(["=" * 100, *lines, "=" * 100]), flush=True)
    summary = Summary()
    failed = []
    for name in args.only or ROWS:
        start = time.perf_counter()
        print(f"--- {name}", flush=True)
        try:
            RUNNERS[name](summary, args.quick, args.before)
        except Exception as error:  # one row failing must not lose the others
            failed.append(name)
            summary.row(f"{name}: FAILED ({type(error).__name__}: {str(error)[:120]})")
            traceback.print_exc()
        print(f"--- {name} took {time.perf_counter() - start:.0f} s", flush=True)
    print()
    for table in summary.details:
        table.print()
    summary.table.print()
    with contextlib.suppress(OSError):
        print("load avg at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
