"""One client of :mod:`bench.bench_floor`, in its own process: ``python bench/floor_client.py JSON``.

Run by file path (not ``-m``) so that ``bench`` and ``exchanges`` come from ``PYTHONPATH``: the same
script then times this tree or an older one (``--before``). ``JSON`` = ``{"client": "floor"|"ours",
"kind", "info", "rest", "ws"}``; prints one JSON line with ``frames``, ``seconds``, ``fps``,
``cpu_per_frame`` (process CPU seconds between the first and the last frame seen by the handler) and,
for ours, ``dropped`` and ``book_ok``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def _load_beside(name: str) -> Any:
    """Module ``name`` from this script's directory, whatever tree ``PYTHONPATH`` points at (the
    scenario's client needs only the public API, so an older tree needs no copy of it)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    from bench import e2e_ours  # from PYTHONPATH: this tree or the one being compared

    args: dict[str, Any] = json.loads(sys.argv[1])
    kind, info, rest, ws = args["kind"], args["info"], args["rest"], args["ws"]
    if "per_symbol" in info:  # a symbol-scaling scenario (bench.bench_scale)
        scale_clients = _load_beside("scale_clients")  # this tree's file, also for an older tree
        run = scale_clients.floor if args["client"] == "floor" else scale_clients.ours
        result = asyncio.run(run(rest, ws, info))
    elif args["client"] == "floor":
        result = asyncio.run(e2e_ours.floor(rest, ws, kind, info))
    else:
        result = asyncio.run(e2e_ours.ours(rest, ws, kind, "blast", info))
    result.pop("dropped_detail", None)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
