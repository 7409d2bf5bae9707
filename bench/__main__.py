"""Run every ``bench/bench_*.py`` module's ``main(argv)``, or only those named on the command line.

``python -m bench`` runs all; ``python -m bench ratelimit`` runs only ``bench_ratelimit``. Arguments
after ``--`` are passed to each ``main``. The environment and the exact command are printed first
(:func:`bench.stats.print_header`), so every table can be traced to the command that produced it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.stats import print_header


def discover(wanted: Sequence[str] = ()) -> list[str]:
    """Names of the ``bench_*`` modules next to this file, optionally filtered (``x`` = ``bench_x``)."""
    selected = {name if name.startswith("bench_") else f"bench_{name}" for name in wanted}
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_") and (not selected or info.name in selected)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in args:
        index = args.index("--")
        args, passthrough = args[:index], args[index + 1 :]
    print_header(["bench", *(sys.argv[1:] if argv is None else argv)])
    for name in discover(args):
        print(f"--- bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main(passthrough)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
