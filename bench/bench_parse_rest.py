"""Micro-benchmark: REST depth body (bytes) -> validated ``OrderBook``, old path vs new, same run.

* new: ``parse_depth_snapshot(symbol, body)``: msgspec decodes the bytes straight into the typed
  ``DepthSnapshot`` Struct (``"87000.12"`` -> float in C), then the one book builder validates every
  level (finite, > 0) and makes the records.
* old: what the code did before (kept here as the reference, not in the library): a generic JSON decode
  into dicts and lists of strings, then two Python list comprehensions of ``float()`` pairs, records
  via ``map(tuple.__new__)``, no validation. Decoded with ``msgspec.json.decode`` (untyped), and with
  ``orjson.loads`` too when orjson happens to be installed (it is no longer a dependency).

Per-call time: median of ``--repeat`` timing runs of ``--number`` calls, with the min..max spread, at
100 and 1,000 levels per side. Run: ``python -m bench.bench_parse_rest [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from functools import partial
from itertools import repeat
from typing import Any

import msgspec

from bench.stats import quick_mode
from exchanges.models import OrderBook, OrderBookEntry, Symbol
from exchanges_mexc.parsing.market import parse_depth_snapshot

SYMBOL = Symbol("BTC", "USDT")
_new = tuple.__new__


def depth_body(levels: int) -> bytes:
    """A GET /api/v3/depth answer as MEXC sends it: numbers as strings, ``lastUpdateId`` an int."""
    bids = [[f"{87000.12 - i * 0.37:.2f}", f"{0.0123 + i * 0.5:.6f}"] for i in range(levels)]
    asks = [[f"{87000.49 + i * 0.41:.2f}", f"{1.25 + i * 0.33:.6f}"] for i in range(levels)]
    return msgspec.json.encode({"lastUpdateId": 10589632370, "bids": bids, "asks": asks, "timestamp": 1})


def old_parse(symbol: Symbol, data: Any) -> OrderBook:
    """The previous ``parse_depth_snapshot`` on an already-decoded body (dicts and lists of strings)."""
    bids = tuple(
        map(_new, repeat(OrderBookEntry), [(float(r[0]), float(r[1])) for r in data.get("bids") or ()])
    )
    asks = tuple(
        map(_new, repeat(OrderBookEntry), [(float(r[0]), float(r[1])) for r in data.get("asks") or ()])
    )
    ts = data.get("timestamp")
    return OrderBook(
        symbol, bids, asks, time.time_ns() // 1_000_000 if ts is None else int(ts), data.get("lastUpdateId")
    )


def _old_path(loads: Callable[[bytes], Any], body: bytes) -> OrderBook:
    return old_parse(SYMBOL, loads(body))


def _time(call: Callable[[], object], number: int, repeat_: int) -> tuple[float, float, float]:
    runs = [t / number * 1e6 for t in timeit.repeat(call, number=number, repeat=repeat_)]
    return statistics.median(runs), min(runs), max(runs)


def run(levels_list: Sequence[int], number: int, repeat_: int) -> list[tuple[int, str, float, float, float]]:
    rows: list[tuple[int, str, float, float, float]] = []
    for levels in levels_list:
        body = depth_body(levels)
        new = parse_depth_snapshot(SYMBOL, body)
        plans: dict[str, Callable[[], object]] = {
            "new: msgspec typed + validated": partial(parse_depth_snapshot, SYMBOL, body),
            "old: msgspec untyped + dict parse": partial(_old_path, msgspec.json.decode, body),
        }
        try:
            import orjson  # optional: only for the historical comparison
        except ImportError:
            pass
        else:
            plans["old: orjson + dict parse"] = partial(_old_path, orjson.loads, body)
        assert old_parse(SYMBOL, msgspec.json.decode(body))[1:3] == new[1:3]  # same levels both ways
        n = max(1, number * 100 // levels)
        for name, call in plans.items():
            rows.append((levels, name, *_time(call, n, repeat_)))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--number", type=int, default=None, help="calls per timing run at 100 levels")
    parser.add_argument("--repeat", type=int, default=None, help="timing runs (median reported)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    quick = args.quick or quick_mode()
    number = args.number or (200 if quick else 2000)
    repeat_ = args.repeat or (3 if quick else 9)
    rows = run((100, 1000), number, repeat_)
    print(f"parse_depth_snapshot, REST body bytes -> OrderBook; median of {repeat_} runs (min..max)")
    print(f"{'levels/side':>11}  {'path':<36} {'us/call':>9}  {'spread':>17}  {'vs new':>7}")
    for levels in (100, 1000):
        mine = [row for row in rows if row[0] == levels]
        base = mine[0][2]
        for _, name, median, low, high in mine:
            print(
                f"{levels:>11}  {name:<36} {median:>9.1f}  {low:>7.1f}..{high:<8.1f}  {median / base:>6.2f}x"
            )


if __name__ == "__main__":
    main()
