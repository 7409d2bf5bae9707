"""Run every ``bench/bench_*.py`` module's ``main(argv)``, or only those named on the command line.

``python -m bench`` runs all; ``python -m bench ratelimit`` (or ``--only ratelimit``, repeatable) runs
only ``bench_ratelimit``. ``--quick`` sets ``BENCH_QUICK=1`` (see :func:`bench.stats.quick_mode`): every
bench picks smaller defaults and the whole suite finishes in under 2 minutes. Arguments after ``--``
are passed to each ``main``. The environment and the exact command are printed first
(:func:`bench.stats.print_header`), so every table can be traced to the command that produced it.
A bench that fails is reported (traceback) and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench.stats import QUICK_ENV, print_header


def discover(wanted: Sequence[str] = ()) -> list[str]:
    """Names of the ``bench_*`` modules next to this file, optionally filtered (``x`` = ``bench_x``)."""
    selected = {name if name.startswith("bench_") else f"bench_{name}" for name in wanted}
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_") and (not selected or info.name in selected)
    )


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    args, passthrough = raw, []
    if "--" in raw:
        index = raw.index("--")
        args, passthrough = raw[:index], raw[index + 1 :]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benches to run (e.g. e2e rest); default: all")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this bench")
    parser.add_argument("--quick", action="store_true", help="smaller runs; whole suite under 2 minutes")
    opts = parser.parse_args(args)
    if opts.quick:
        os.environ[QUICK_ENV] = "1"
    print_header(["bench", *raw])
    names = discover([*opts.names, *opts.only])
    if not names:
        parser.error(f"no bench matches {[*opts.names, *opts.only]}; available: {discover()}")
    failed: list[str] = []
    for name in names:
        print(f"--- bench.{name}", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main(passthrough)
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"--- bench.{name} took {time.perf_counter() - start:.1f} s\n", flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
