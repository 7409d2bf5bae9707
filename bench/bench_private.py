"""Private stream frames in-process: our private path vs the floor (issue 15's last row).

Ours: the frame handler the transport calls for the user stream of
:class:`~exchanges_mexc.ws.private.MexcPrivateSpotWebsocket` (decode to Decimal records -> the
exactly-once check -> the orders / fills / balances stream -> a sync handler per stream), on
pre-built pushes: order updates (each a new order), fills (each a new trade id) and balance changes,
a third each, interleaved. The floor: upb ``FromString`` + reading every field the record carries,
``Decimal`` of every amount (money is never a float), ints as they come; no records, no checks.

Both run in this process on the same frames, in turns (the order alternates between runs); client
CPU per frame (``time.process_time``), median of runs ±half-IQR, ours/floor per run then summarised.
No socket: ``bench_floor`` has the socket part of the public streams.

    python -m bench.bench_private [--runs 7] [--frames 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, quick_mode, summarize
from exchanges.config import Credentials
from exchanges.handlers import PrivateStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.plugin import SPEC
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket

LABEL = "private stream frames, in-process (orders, fills, balances)"
TARGET = 2.0
T0 = 1_767_225_600_000


def _wrapper(channel: str, i: int) -> PushDataV3ApiWrapper:
    return PushDataV3ApiWrapper(channel=channel, symbol="BTCUSDT", sendTime=T0 + i, createTime=T0 + i)


def build_frames(count: int) -> list[bytes]:
    """``count`` pushes, cycling order update / fill / balance change; ids never repeat."""
    out = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            w = _wrapper("spot@private.orders.v3.api.pb", i)
            o = w.privateOrders
            o.id, o.clientId = f"C02__5059790174390026{i:08d}", f"my-order-{i}"
            o.price, o.quantity, o.amount, o.avgPrice = "87000.12", "0.0015", "130.50018", "87000.11"
            o.orderType, o.tradeType, o.isMaker, o.status = 1, 1, True, 3
            o.remainAmount, o.remainQuantity, o.lastDealQuantity = "43.5", "0.0005", "0.0005"
            o.cumulativeQuantity, o.cumulativeAmount, o.createTime = "0.001", "87.00011", T0 + i
        elif kind == 1:
            w = _wrapper("spot@private.deals.v3.api.pb", i)
            d = w.privateDeals
            d.price, d.quantity, d.amount, d.tradeType, d.isMaker = "87000.12", "0.0005", "43.50006", 1, True
            d.tradeId, d.orderId, d.clientOrderId = f"5059790174390026{i:08d}X1", f"C02__{i}", f"my-order-{i}"
            d.feeAmount, d.feeCurrency, d.time = "0.0435", "USDT", T0 + i
        else:
            w = _wrapper("spot@private.account.v3.api.pb", i)
            a = w.privateAccount
            a.vcoinName, a.coinId, a.type, a.time = (
                "USDT",
                "128f589271cb4951b03e71e6323eb7be",
                "ENTRUST",
                T0 + i,
            )
            a.balanceAmount, a.balanceAmountChange = "9870.5", "-43.50006"
            a.frozenAmount, a.frozenAmountChange = "43.50006", "43.50006"
        out.append(w.SerializeToString())
    return out


def floor_frame(parse: Callable[[bytes], PushDataV3ApiWrapper], data: bytes) -> None:
    """Parse + read every field the record carries, Decimal of every amount."""
    w = parse(data)
    body = w.WhichOneof("body")
    _ = w.symbol, w.sendTime
    dec = Decimal
    if body == "privateOrders":
        o = w.privateOrders
        _ = o.id, o.clientId, dec(o.price), dec(o.quantity), dec(o.amount), dec(o.avgPrice)
        _ = o.orderType, o.tradeType, o.status, o.createTime
        _ = dec(o.cumulativeQuantity), dec(o.cumulativeAmount)
    elif body == "privateDeals":
        d = w.privateDeals
        _ = d.orderId, d.tradeId, d.tradeType, dec(d.price), dec(d.quantity), dec(d.amount)
        _ = dec(d.feeAmount), d.feeCurrency, d.isMaker, d.time, d.clientOrderId
    else:
        a = w.privateAccount
        _ = a.vcoinName, dec(a.balanceAmount), dec(a.frozenAmount)
        _ = dec(a.balanceAmountChange), dec(a.frozenAmountChange), a.type, a.time


async def _ours_client() -> tuple[MexcPrivateSpotWebsocket, MexcPrivateSpotRest, list[int]]:
    """A private client whose frames are fed by hand: the baseline is taken (nothing held), a sync
    handler on each money stream counts what arrives."""
    config = SPEC.default_config.with_overrides(
        environment="sim", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9"
    )
    rest = MexcPrivateSpotRest(config, Credentials("bench-key", "bench-secret"))
    seen = [0]

    def count(_: object) -> None:
        seen[0] += 1

    ws = MexcPrivateSpotWebsocket(
        config,
        rest=rest,
        metrics=MetricsRegistry(),
        handlers=PrivateStreamHandlers(order_handler=count, execution_handler=count, balance_handler=count),
    )
    ws._holding = False  # as after the start-up baseline: pushes are delivered, not held
    return ws, rest, seen


async def measure(runs: int, frames: int) -> dict[str, list[float]]:
    """CPU seconds per frame for ``floor`` and ``ours``, one entry per run each."""
    data = build_frames(frames)
    parse = PushDataV3ApiWrapper.FromString
    results: dict[str, list[float]] = {"floor": [], "ours": []}
    for run in range(runs):
        order = ("floor", "ours") if run % 2 == 0 else ("ours", "floor")
        for client in order:
            if client == "floor":
                started = time.process_time()
                for frame in data:
                    floor_frame(parse, frame)
                results["floor"].append((time.process_time() - started) / frames)
                continue
            ws, rest, seen = await _ours_client()  # fresh: every order and fill is new to it
            on_frame = ws._on_frame  # what the transport calls for each frame
            try:
                started = time.process_time()
                for frame in data:
                    on_frame(frame)
                await asyncio.sleep(0)
                cpu = time.process_time() - started
            finally:
                await ws.close()
                await rest.close()
            if seen[0] != frames:
                raise RuntimeError(f"ours delivered {seen[0]} of {frames} events")
            results["ours"].append(cpu / frames)
    return results


def table(results: dict[str, list[float]], runs: int, frames: int) -> Table:
    out = Table(
        f"Private stream frames in-process: {frames:,} pushes (orders, fills, balances), {runs} runs",
        ["path", "client", "CPU/frame", "ours/floor (CPU)", "target"],
        note="median of runs ±half-IQR; ratios per run, then summarised; ours = decode + exactly-once "
        "check + stream + a sync handler; floor = parse + every field read, Decimal amounts",
    )
    ratio = summarize(o / f for o, f in zip(results["ours"], results["floor"], strict=True))
    met = "met" if ratio.median <= TARGET else "MISSED"
    out.add_row(LABEL, "floor", fmt_summary(summarize(results["floor"]), fmt_time), "", "")
    out.add_row(
        "",
        "ours",
        fmt_summary(summarize(results["ours"]), fmt_time),
        f"{fmt_ratio(ratio.median)} ±{ratio.spread * 100:.0f}%",
        f"<= {TARGET:g}x {met}",
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_private", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2 if quick else 7)
    ap.add_argument("--frames", type=int, default=3000 if quick else 30000)
    args: Any
    args, _ = ap.parse_known_args(argv)
    results = asyncio.run(measure(args.runs, args.frames))
    table(results, args.runs, args.frames).print()


if __name__ == "__main__":
    main()
