"""LocalOrderBook speed and memory, against a plain-dict baseline measured in the same run.

* Level updates per second through ``apply_update`` with 10- and 20-level updates (half bids, half
  asks) on a book of 1,000 levels (500 a side). The stream is realistic: most levels change the
  size of an existing level near the top, about 15 % delete one and 15 % insert a new price, so
  the book stays near 1,000 levels. The baseline applies the same levels to two plain dicts
  (``d[price] = size`` / ``d.pop(price)``), i.e. no sorted price index: the ratio is the price of
  O(1) best bid/ask and cheap top-N.
* ``snapshot(20)`` cost (an immutable ``OrderBook`` with 20 levels a side), against sorting the
  baseline dicts for the same 20 levels.
* Memory of 1,000 books x 1,000 levels (``tracemalloc``), against the two plain dicts per book.
* By book size (20, 1,000 and 5,000 levels): the cost of one 20-level update and the bytes per level,
  ours and plain dicts (issue 15's leaner-book measure).

Every figure is the median over ``--runs`` runs with its spread (``bench.stats``).

    python -m bench.bench_orderbook [--runs 5] [--updates 20000] [--books 1000]
"""

from __future__ import annotations

import argparse
import gc
import random
import shlex
import sys
import time
import tracemalloc

from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, quick_mode, summarize
from exchanges.models import BookUpdate, Symbol
from exchanges.orderbook import LocalOrderBook

SYMBOL = Symbol("BTC", "USDT")
TICK = 0.01
MID = 50_000.0
Levels = list[tuple[float, float]]


def initial_levels(depth: int, rng: random.Random) -> tuple[Levels, Levels]:
    """``depth`` bids below and ``depth`` asks above ``MID``, one tick apart."""
    bids = [(round(MID - (i + 1) * TICK, 2), rng.uniform(0.01, 5.0)) for i in range(depth)]
    asks = [(round(MID + (i + 1) * TICK, 2), rng.uniform(0.01, 5.0)) for i in range(depth)]
    return bids, asks


def make_updates(count: int, levels_per_update: int, depth: int, seed: int) -> list[BookUpdate]:
    """A stream that mostly resizes levels near the top and keeps the book size stable."""
    rng = random.Random(seed)
    live_bids = {round(MID - (i + 1) * TICK, 2) for i in range(depth)}
    live_asks = {round(MID + (i + 1) * TICK, 2) for i in range(depth)}
    half = levels_per_update // 2
    updates = []
    for n in range(count):
        sides: list[Levels] = []
        for live, sign in ((live_bids, -1), (live_asks, 1)):
            changes: Levels = []
            for _ in range(half):
                offset = round(MID + sign * (int(rng.expovariate(1 / 40)) + 1) * TICK, 2)
                roll = rng.random()
                if roll < 0.15 and offset in live:
                    live.discard(offset)
                    changes.append((offset, 0.0))
                elif roll < 0.30 and offset not in live:
                    live.add(offset)
                    changes.append((offset, rng.uniform(0.01, 5.0)))
                else:
                    live.add(offset)
                    changes.append((offset, rng.uniform(0.01, 5.0)))
            sides.append(changes)
        updates.append(BookUpdate(SYMBOL, sides[0], sides[1], n + 2, n + 2, n))
    return updates


def time_updates(updates: list[BookUpdate], depth: int) -> tuple[float, float]:
    """Seconds per level for LocalOrderBook and for the plain-dict baseline, same stream."""
    bids, asks = initial_levels(depth, random.Random(1))
    levels = sum(len(u.bids) + len(u.asks) for u in updates)

    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(bids, asks, 1, 0)
    apply = book.apply_update
    start = time.perf_counter()
    for update in updates:
        apply(update)
    ours = (time.perf_counter() - start) / levels

    plain_bids, plain_asks = dict(bids), dict(asks)
    start = time.perf_counter()
    for update in updates:
        for price, size in update.bids:
            if size > 0:
                plain_bids[price] = size
            else:
                plain_bids.pop(price, None)
        for price, size in update.asks:
            if size > 0:
                plain_asks[price] = size
            else:
                plain_asks.pop(price, None)
    baseline = (time.perf_counter() - start) / levels
    return ours, baseline


def time_snapshots(depth: int, number: int) -> tuple[float, float]:
    """Seconds per ``snapshot(20)`` and per "sort the plain dicts, take 20" baseline."""
    bids, asks = initial_levels(depth, random.Random(2))
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(bids, asks, 1, 0)
    start = time.perf_counter()
    for _ in range(number):
        book.snapshot(20)
    ours = (time.perf_counter() - start) / number
    plain_bids, plain_asks = dict(bids), dict(asks)
    start = time.perf_counter()
    for _ in range(number):
        top_bids = sorted(plain_bids, reverse=True)[:20]
        top_asks = sorted(plain_asks)[:20]
        ([(p, plain_bids[p]) for p in top_bids], [(p, plain_asks[p]) for p in top_asks])
    baseline = (time.perf_counter() - start) / number
    return ours, baseline


def measure_memory(books: int, depth: int) -> tuple[float, float]:
    """Bytes per book (``depth`` levels a side) for LocalOrderBook and for two plain dicts."""
    rng = random.Random(3)
    # Distinct float objects per book, as parsing a real feed would create.
    sources = [initial_levels(depth, rng) for _ in range(books)]
    results = []
    for kind in ("ours", "plain"):
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept: list[object] = []
        for bids, asks in sources:
            if kind == "ours":
                book = LocalOrderBook(SYMBOL)
                book.apply_snapshot(bids, asks, 1, 0)
                kept.append(book)
            else:
                kept.append((dict(bids), dict(asks)))
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        results.append(used / books)
        del kept
    return results[0], results[1]


def fmt_bytes(value: float) -> str:
    return f"{value / 1024:,.1f} KiB" if value < 1024 * 1024 else f"{value / 1024 / 1024:,.1f} MiB"


def main(argv: list[str] | None = None) -> None:
    quick = quick_mode()
    parser = argparse.ArgumentParser(prog="python -m bench.bench_orderbook", description=__doc__)
    parser.add_argument("--runs", type=int, default=3 if quick else 5)
    parser.add_argument("--updates", type=int, default=5000 if quick else 20000)
    parser.add_argument("--books", type=int, default=200 if quick else 1000)
    parser.add_argument("--levels", type=int, default=1000, help="levels per book (both sides)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    depth = args.levels // 2
    command = "$ python -m bench.bench_orderbook " + shlex.join(list(sys.argv[1:] if argv is None else argv))

    table = Table(
        f"LocalOrderBook, {args.levels}-level book",
        ["measure", "LocalOrderBook (median ±spread)", "plain dicts (median ±spread)", "ratio"],
        note=f"{args.runs} runs; ratio = ours / plain dicts per run, median. "
        f"Updates: {args.updates} per run; memory: {args.books} books.",
    )
    for size in (10, 20):
        streams = [make_updates(args.updates, size, depth, seed) for seed in range(args.runs)]
        time_updates(streams[0][: args.updates // 10], depth)  # warm-up
        runs = [time_updates(stream, depth) for stream in streams]
        ours, plain = summarize(r[0] for r in runs), summarize(r[1] for r in runs)
        ratio = summarize(r[0] / r[1] for r in runs)
        table.add_row(
            f"apply_update, {size}-level updates: levels/s",
            fmt_summary(summarize(1 / r[0] for r in runs), lambda v: f"{v:,.0f} /s"),
            fmt_summary(summarize(1 / r[1] for r in runs), lambda v: f"{v:,.0f} /s"),
            fmt_ratio(ratio.median),
        )
        table.add_row(
            f"apply_update, {size}-level updates: per level",
            fmt_summary(ours, fmt_time),
            fmt_summary(plain, fmt_time),
            fmt_ratio(ratio.median),
        )
    snaps = [time_snapshots(depth, 2000 if quick else 10000) for _ in range(args.runs)]
    table.add_row(
        "snapshot(20) vs sort + top 20",
        fmt_summary(summarize(r[0] for r in snaps), fmt_time),
        fmt_summary(summarize(r[1] for r in snaps), fmt_time),
        fmt_ratio(summarize(r[0] / r[1] for r in snaps).median),
    )
    memory = [measure_memory(args.books, depth) for _ in range(max(1, min(args.runs, 3)))]
    ours_mem = summarize(r[0] for r in memory)
    plain_mem = summarize(r[1] for r in memory)
    table.add_row(
        f"memory per book ({args.books} books, tracemalloc)",
        fmt_summary(ours_mem, fmt_bytes),
        fmt_summary(plain_mem, fmt_bytes),
        fmt_ratio(summarize(r[0] / r[1] for r in memory).median),
    )
    table.add_row(
        f"memory, all {args.books} books",
        fmt_bytes(ours_mem.median * args.books),
        fmt_bytes(plain_mem.median * args.books),
    )
    print(command)
    table.print()
    depth_table(args.runs, args.updates).print()


DEPTHS = (20, 1000, 5000)
"""Book sizes (levels, both sides) of the by-depth table (issue 15: apply cost and bytes per level)."""


def depth_table(runs: int, updates: int) -> Table:
    """Per 20-level update cost and bytes per level at each of :data:`DEPTHS`, ours vs plain dicts."""
    table = Table(
        "LocalOrderBook by book size: 20-level updates and memory per level",
        ["levels", "apply, per 20-level update", "plain dicts", "ratio", "bytes/level", "plain", "ratio"],
        note=f"{runs} runs, {updates} updates each; memory: tracemalloc over 100,000 levels in books of "
        "that size, divided by the levels held (the price/size floats exist before: containers only)",
    )
    for levels in DEPTHS:
        depth = levels // 2
        streams = [make_updates(updates, 20, depth, seed) for seed in range(runs)]
        time_updates(streams[0][: updates // 10], depth)  # warm-up
        timed = [time_updates(stream, depth) for stream in streams]
        books = max(5, 100_000 // levels)
        memory = [measure_memory(books, depth) for _ in range(max(1, min(runs, 3)))]
        table.add_row(
            f"{levels:,}",
            fmt_summary(summarize(r[0] * 20 for r in timed), fmt_time),
            fmt_summary(summarize(r[1] * 20 for r in timed), fmt_time),
            fmt_ratio(summarize(r[0] / r[1] for r in timed).median),
            fmt_summary(summarize(r[0] / levels for r in memory), lambda v: f"{v:,.0f} B"),
            fmt_summary(summarize(r[1] / levels for r in memory), lambda v: f"{v:,.0f} B"),
            fmt_ratio(summarize(r[0] / r[1] for r in memory).median),
        )
    return table


if __name__ == "__main__":
    main()
