"""Cost of the record conventions, the figures behind the project's record rule.

Creates the same four-field record (two floats, two ints, like a trade or a book level) with each
convention and reads one attribute, per call, median over runs. docs/architecture.md "Records"
states the rule these numbers support: hot market data is ``NamedTuple``, money/account data and
everything else ``attrs.frozen``, ``msgspec.Struct`` only for wire shapes at the decoding seam, no
``dataclasses``.

    python -m bench.bench_records [--runs 7] [--number 200000]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import attrs
import msgspec

from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, quick_mode, summarize


class NamedTupleRecord(NamedTuple):
    price: float
    size: float
    side: int
    ts: int


@attrs.frozen(slots=True)
class AttrsRecord:
    price: float
    size: float
    side: int
    ts: int


@dataclass(frozen=True, slots=True)
class DataclassRecord:
    price: float
    size: float
    side: int
    ts: int


class StructRecord(msgspec.Struct, frozen=True, gc=False):
    price: float
    size: float
    side: int
    ts: int


KINDS: dict[str, Callable[..., Any]] = {
    "NamedTuple (hot market data)": NamedTupleRecord,
    "attrs.frozen(slots) (money, everything else)": AttrsRecord,
    "dataclass(frozen, slots) (not used)": DataclassRecord,
    "msgspec.Struct(frozen) (wire shapes only)": StructRecord,
}


def _per_call(make: Callable[..., Any], number: int) -> tuple[float, float]:
    start = time.perf_counter()
    for _ in range(number):
        make(1.0, 2.0, 1, 123)
    created = (time.perf_counter() - start) / number
    record = make(1.0, 2.0, 1, 123)
    start = time.perf_counter()
    for _ in range(number):
        record.price  # noqa: B018 - the attribute read is what is measured
    read = (time.perf_counter() - start) / number
    return created, read


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_records", description=__doc__)
    parser.add_argument("--runs", type=int, default=3 if quick_mode() else 7)
    parser.add_argument("--number", type=int, default=50_000 if quick_mode() else 200_000)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    runs = [{name: _per_call(make, args.number) for name, make in KINDS.items()} for _ in range(args.runs)]
    baseline = next(iter(KINDS))
    table = Table(
        "Record conventions: create one 4-field record, read one attribute",
        ["convention", "create (median ±spread)", "vs NamedTuple", "attribute read"],
        note=f"{args.runs} runs x {args.number} calls; ratio = per-run ratio to NamedTuple, median",
    )
    for name in KINDS:
        create = summarize(run[name][0] for run in runs)
        ratio = summarize(run[name][0] / run[baseline][0] for run in runs)
        read = summarize(run[name][1] for run in runs)
        table.add_row(name, fmt_summary(create, fmt_time), fmt_ratio(ratio.median), fmt_time(read.median))
    print("$ python -m bench.bench_records " + shlex.join(list(sys.argv[1:] if argv is None else argv)))
    table.print()


if __name__ == "__main__":
    main()
