"""Benchmark: MEXC WebSocket frame decoding and symbol conversion.

For each representative frame it prints the per-message time of

  (a) bare ``PushDataV3ApiWrapper.FromString`` (a fresh message per frame: re-parsing into one reused
      upb message keeps growing its arena),
  (b) the floor: parse + reading every field a consumer needs (``float()`` of each price/quantity string,
      ints as they come),
  (c) our full decode to model records (``MexcFrameDecoder.decode``),

as the median of repeated runs with the spread (min..max), plus the ratio c/b of medians and of minimums
(target: <= 1.3), then the
cached symbol conversion times (target: < 0.5 us). Run: ``python bench/bench_decode.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from collections.abc import Callable, Sequence

from bench.stats import quick_mode
from exchanges.metrics import MetricsRegistry
from exchanges.models import Symbol
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.symbols import MexcSymbolMapper

PAIR = "BTCUSDT"
T0 = 1_767_225_600_000


def _wrapper(channel: str) -> PushDataV3ApiWrapper:
    return PushDataV3ApiWrapper(channel=channel, symbol=PAIR, sendTime=T0 + 7)


def frame_aggre_depth(levels: int = 20) -> bytes:
    w = _wrapper("spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT")
    body = w.publicAggreDepths
    for i in range(levels):
        body.bids.add(price=f"{87000.12 - i * 0.37:.2f}", quantity=f"{0.0123 + i * 0.5:.6f}")
        body.asks.add(price=f"{87000.49 + i * 0.41:.2f}", quantity=f"{1.25 + i * 0.33:.6f}")
    body.eventType = "spot@public.aggre.depth.v3.api.pb@100ms"
    body.fromVersion, body.toVersion = "10589632359", "10589632370"
    return w.SerializeToString()


def frame_limit_depth(levels: int = 20) -> bytes:
    w = _wrapper("spot@public.limit.depth.v3.api.pb@BTCUSDT@20")
    body = w.publicLimitDepths
    for i in range(levels):
        body.bids.add(price=f"{87000.12 - i * 0.37:.2f}", quantity=f"{0.0123 + i * 0.5:.6f}")
        body.asks.add(price=f"{87000.49 + i * 0.41:.2f}", quantity=f"{1.25 + i * 0.33:.6f}")
    body.eventType = "spot@public.limit.depth.v3.api.pb"
    body.version = "10589632370"
    return w.SerializeToString()


def frame_deals(count: int = 10) -> bytes:
    w = _wrapper("spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT")
    body = w.publicAggreDeals
    for i in range(count):
        body.deals.add(
            price=f"{87000.12 + i * 0.01:.2f}",
            quantity=f"{0.000123 * (i + 1):.6f}",
            tradeType=1 + i % 2,
            time=T0 + i,
            tradeId=f"505979017439002624X{i}",
        )
    body.eventType = "spot@public.aggre.deals.v3.api.pb@100ms"
    return w.SerializeToString()


def frame_book_ticker() -> bytes:
    w = _wrapper("spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT")
    b = w.publicAggreBookTicker
    b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity = "87000.12", "1.234567", "87000.13", "0.5"
    b.version, b.lastOrderCreateTime = "10589632370", T0
    return w.SerializeToString()


def frame_kline() -> bytes:
    w = PushDataV3ApiWrapper(
        channel="spot@public.kline.v3.api.pb@BTCUSDT@Min1", symbol=PAIR, symbolId="abc", createTime=T0
    )
    k = w.publicSpotKline
    k.interval, k.windowStart, k.windowEnd = "Min1", T0 // 1000, T0 // 1000 + 60
    k.openingPrice, k.closingPrice, k.highestPrice, k.lowestPrice = "87000.1", "87010.2", "87020.3", "86990.4"
    k.volume, k.amount = "12.345678", "1074000.12"
    return w.SerializeToString()


def frame_private_order() -> bytes:
    w = _wrapper("spot@private.orders.v3.api.pb")
    o = w.privateOrders
    o.id, o.clientId = "C02__505979017439002624115", "my-order-1"
    o.price, o.quantity, o.amount, o.avgPrice = "87000.12", "0.0015", "130.50018", "87000.11"
    o.orderType, o.tradeType, o.isMaker, o.status = 1, 1, True, 3
    o.remainAmount, o.remainQuantity, o.lastDealQuantity = "43.5", "0.0005", "0.0005"
    o.cumulativeQuantity, o.cumulativeAmount, o.createTime = "0.001", "87.00011", T0
    return w.SerializeToString()


# ---------------------------------------------------------------------------------------- (b) floors


def floor_aggre_depth(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    body = w.publicAggreDepths
    _b = [(float(x.price), float(x.quantity)) for x in body.bids]
    _a = [(float(x.price), float(x.quantity)) for x in body.asks]
    _ = int(body.fromVersion), int(body.toVersion)


def floor_limit_depth(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    body = w.publicLimitDepths
    _b = [(float(x.price), float(x.quantity)) for x in body.bids]
    _a = [(float(x.price), float(x.quantity)) for x in body.asks]
    _ = int(body.version)


def floor_deals(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    _d = [
        (float(d.price), float(d.quantity), d.tradeType, d.time, d.tradeId) for d in w.publicAggreDeals.deals
    ]


def floor_book_ticker(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    b = w.publicAggreBookTicker
    _ = float(b.bidPrice), float(b.bidQuantity), float(b.askPrice), float(b.askQuantity), int(b.version)


def floor_kline(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol
    k = w.publicSpotKline
    _ = (k.interval, k.windowStart * 1000, k.windowEnd * 1000, float(k.openingPrice), float(k.closingPrice))
    _ = float(k.highestPrice), float(k.lowestPrice), float(k.volume), float(k.amount)


def floor_private_order(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    from decimal import Decimal

    w = parse(data)
    w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    o = w.privateOrders
    _ = o.id, o.clientId, Decimal(o.price), Decimal(o.quantity), Decimal(o.amount), Decimal(o.avgPrice)
    _ = o.orderType, o.tradeType, o.status, o.createTime
    _ = Decimal(o.cumulativeQuantity), Decimal(o.cumulativeAmount)


CASES: list[
    tuple[str, Callable[[], bytes], Callable[[Callable[[bytes], PushDataV3ApiWrapper], bytes], None]]
] = [
    ("aggre.depth 20+20 levels", frame_aggre_depth, floor_aggre_depth),
    ("limit.depth 20+20 levels", frame_limit_depth, floor_limit_depth),
    ("aggre.deals 10 trades", frame_deals, floor_deals),
    ("aggre.bookTicker", frame_book_ticker, floor_book_ticker),
    ("kline Min1", frame_kline, floor_kline),
    ("private.orders", frame_private_order, floor_private_order),
]


def _measure(fn: Callable[[], object], number: int, repeat: int) -> tuple[float, float, float]:
    """(median, min, max) seconds per call."""
    runs = [t / number for t in timeit.repeat(fn, number=number, repeat=repeat)]
    return statistics.median(runs), min(runs), max(runs)


def _us(stat: tuple[float, float, float]) -> str:
    med, lo, hi = stat
    return f"{med * 1e6:7.2f} us ({lo * 1e6:.2f}..{hi * 1e6:.2f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="fewer iterations (smoke run); also set by BENCH_QUICK=1"
    )
    parser.add_argument("--number", type=int, default=None, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=None, help="timing runs (median reported)")
    args = parser.parse_args(argv)
    quick = args.quick or quick_mode()
    number = args.number or (200 if quick else 5000)
    repeat = args.repeat or (3 if quick else 9)

    mapper = MexcSymbolMapper()
    decoder = MexcFrameDecoder(mapper, MetricsRegistry())
    parse = PushDataV3ApiWrapper.FromString  # a fresh message per frame, as the decoder does
    print(f"MEXC frame decode, per message: median of {repeat} x {number} calls (min..max)")
    print(
        f"{'frame':26} {'bytes':>5}  {'(a) ParseFromString':>28}  {'(b) parse+read fields':>28}  "
        f"{'(c) decode to models':>28}  {'c/b':>5}"
    )
    worst = worst_min = 0.0
    for name, build, floor in CASES:
        data = build()
        events = decoder.decode(data)
        if not events or decoder.error_count:
            print(f"decode failed for {name}", file=sys.stderr)
            return 1
        a = _measure(lambda data=data: parse(data), number, repeat)  # type: ignore[misc]
        b = _measure(lambda data=data, floor=floor: floor(parse, data), number, repeat)  # type: ignore[misc]
        c = _measure(lambda data=data: decoder.decode(data), number, repeat)  # type: ignore[misc]
        ratio = c[0] / b[0]
        best_ratio = c[1] / b[1]  # min/min: less sensitive to a busy shared machine
        worst = max(worst, ratio)
        worst_min = max(worst_min, best_ratio)
        timings = f"{_us(a):>28}  {_us(b):>28}  {_us(c):>28}"
        print(f"{name:26} {len(data):5d}  {timings}  {ratio:5.2f}  {best_ratio:7.2f}")
    print(f"worst c/b ratio: median {worst:.2f}, min {worst_min:.2f} (target <= 1.30)")

    symbol = Symbol("BTC", "USDT")
    mapper.to_pair(symbol)
    mapper.to_symbol(PAIR)
    n = number * 20
    to_pair = _measure(lambda: mapper.to_pair(symbol), n, repeat)
    to_symbol = _measure(lambda: mapper.to_symbol(PAIR), n, repeat)
    print("\nsymbol conversion (cached), per call:")
    print(f"  to_pair(Symbol)    {to_pair[0] * 1e9:6.0f} ns ({to_pair[1] * 1e9:.0f}..{to_pair[2] * 1e9:.0f})")
    lo, hi = to_symbol[1] * 1e9, to_symbol[2] * 1e9
    print(f"  to_symbol('{PAIR}') {to_symbol[0] * 1e9:6.0f} ns ({lo:.0f}..{hi:.0f})")
    print(f"  cache hit rate     {mapper.cache_hit_rate:.4f} %  (target < 500 ns, > 90 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
