"""Overhead of :meth:`RateLimiter.acquire` when it does not have to wait (the common case).

Every REST request goes through ``acquire``, so its fast path should cost about as much as one
``await asyncio.sleep(0)`` or less. Each run times ``--number`` calls of every variant inside one
event loop; the table shows the median per call over ``--runs`` runs with its spread, and the
per-run ratio to the ``sleep(0)`` baseline measured in the same run.

    python -m bench.bench_ratelimit [--runs 7] [--number 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
from collections.abc import Sequence

from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, per_call, summarize
from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter

# Big enough that nothing ever waits: we measure the bookkeeping, not the limiting.
_POOLS = {"ip": PoolLimit(limit=10**9, window=1.0, burst=0), "uid": PoolLimit(limit=10**9, window=1.0)}


async def _run_once(number: int) -> dict[str, float]:
    limiter = RateLimiter(_POOLS)
    one = EndpointCost({"ip": 1})
    two = EndpointCost({"ip": 1, "uid": 1})
    results = {
        "await asyncio.sleep(0) (baseline)": await per_call(lambda: asyncio.sleep(0), number),
        "await acquire(), 1 pool": await per_call(lambda: limiter.acquire(one), number),
        "await acquire(), 2 pools": await per_call(lambda: limiter.acquire(two), number),
    }
    start = time.perf_counter()
    for _ in range(number):
        limiter.try_acquire(one)
    results["try_acquire(), 1 pool (sync)"] = (time.perf_counter() - start) / number
    assert limiter.waits == 0, "the benchmark must not wait"
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ratelimit", description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    asyncio.run(_run_once(min(args.number, 2000)))  # warm-up
    runs = [asyncio.run(_run_once(args.number)) for _ in range(args.runs)]
    baseline_key = next(iter(runs[0]))
    table = Table(
        "RateLimiter.acquire overhead, no waiting",
        ["variant", "per call (median ±spread)", "vs sleep(0)"],
        note=f"{args.runs} runs x {args.number} calls; ratio = per-run ratio to the baseline, median",
    )
    for key in runs[0]:
        per_call = summarize(run[key] for run in runs)
        ratio = summarize(run[key] / run[baseline_key] for run in runs)
        table.add_row(key, fmt_summary(per_call, fmt_time), fmt_ratio(ratio.median))
    print("$ python -m bench.bench_ratelimit " + shlex.join(list(sys.argv[1:] if argv is None else argv)))
    table.print()


if __name__ == "__main__":
    main()
