"""One client of :mod:`bench.bench_floor`, in its own process: ``python bench/floor_client.py JSON``.

Run by file path (not ``-m``) so that ``bench`` and ``exchanges`` come from ``PYTHONPATH``: the same
script then times this tree or an older one (``--before``). ``JSON`` = ``{"client": "floor"|"ours",
"kind", "info", "rest", "ws"}``; prints one JSON line with ``frames``, ``seconds``, ``fps``,
``cpu_per_frame`` (process CPU seconds between the first and the last frame seen by the handler) and,
for ours, ``dropped`` and ``book_ok``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def main() -> None:
    from bench import e2e_ours  # from PYTHONPATH: this tree or the one being compared

    args: dict[str, Any] = json.loads(sys.argv[1])
    kind, info, rest, ws = args["kind"], args["info"], args["rest"], args["ws"]
    if args["client"] == "floor":
        result = asyncio.run(e2e_ours.floor(rest, ws, kind, info))
    else:
        result = asyncio.run(e2e_ours.ours(rest, ws, kind, "blast", info))
    result.pop("dropped_detail", None)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
