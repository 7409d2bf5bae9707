"""Market-data bus: events/s from one gateway to 1, 5 and 20 consumers, and the latency it adds.

Throughput: one publisher (the gateway's :class:`~exchanges.bus.BusPublisher`, pipelined acks,
de-duplication ids) sends ``--events`` trade events over ``--symbols`` symbols to a real
``nats-server -js`` as fast as it can; 1, 5 and 20 consumer processes (each the bus source of a
public exchange: ordered JetStream consumer, decode, trade stream) count them. Per row: publish
rate, the slowest consumer's delivery rate (first to last event), and consumer CPU per event.

Latency (same run): the simulator's trades reach one process two ways at once: directly over the
MEXC WebSocket (``create_public_exchange``) and through a gateway process and the bus
(``market_data_url``). Each trade's receive times (same clock) are paired by trade id; the table
shows what the bus adds (p50/p99), and the gateway's exchange-to-bus-ack lag.

    python -m bench.bench_bus [--events 20000] [--consumers 1 5 20] [--symbols 10] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Sequence

from bench.stats import Table, fmt_rate, fmt_time, percentile, quick_mode
from exchanges.bus import (
    BusPublisher,
    LocalNatsServer,
    MarketDataGateway,
    Subjects,
    connect_bus,
    declare_bus,
)
from exchanges.factory import FullExchangeFactory
from exchanges.metrics import MetricsRegistry
from exchanges.models import Side, Symbol, Trade
from exchanges_mexc.sim import MexcSimulator

CONSUMER = """
import asyncio, json, resource, sys, time
from exchanges.bus import BusMarketData
from exchanges.metrics import MetricsRegistry
from exchanges.models import Symbol

async def main(url, total, names):
    source = BusMarketData(url, exchange="bench", metrics=MetricsRegistry())
    it = source.trades()
    await source.subscribe_trades([Symbol(*n.split("/")) for n in names])
    print("ready", flush=True)
    first = None
    count = 0
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    async for _ in it:
        count += 1
        if first is None:
            first = time.perf_counter()
        if count == total:
            break
    elapsed = time.perf_counter() - first
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    print(json.dumps({"events": count, "seconds": elapsed, "cpu": cpu}), flush=True)
    await source.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
"""


async def _throughput(
    url: str, events: int, consumers: int, names: list[str]
) -> tuple[float, float, float, float]:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CONSUMER, url, str(events), *names, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(consumers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 120)).strip() == b"ready"
    conn = await connect_bus(url, name="bench publisher")
    subjects = Subjects("bench")
    objects = await declare_bus(conn.js, subjects)
    publisher = BusPublisher(conn, objects, subjects, gateway_id="bench", metrics=MetricsRegistry())
    symbols = [Symbol(*n.split("/")) for n in names]
    stamp = time.time_ns()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for i in range(events):
        trade = Trade(symbols[i % len(symbols)], 100.0 + i % 7, 1.0, Side.BUY, 1, f"{stamp}-{i}")
        await publisher.trade(trade)
    await publisher.drain(60)
    publish_rate = events / (time.perf_counter() - start)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    publish_cpu = ((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)) / events
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(await asyncio.wait_for(proc.stdout.readline(), 300)))
        await proc.wait()
    await conn.close()
    slowest = min(r["events"] / r["seconds"] for r in results)
    cpu_per_event = sum(r["cpu"] for r in results) / sum(r["events"] for r in results)
    return publish_rate, publish_cpu, slowest, cpu_per_event


async def _latency(nats: LocalNatsServer, seconds: float, n_symbols: int) -> dict[str, float]:
    pairs = [f"L{i:02d}USDT" for i in range(n_symbols)]
    symbols = [Symbol(p[:3], "USDT") for p in pairs]
    async with MexcSimulator(symbols=pairs, seed=11, market_rate=20.0) as sim:
        overrides = {"rest_url": sim.rest_url, "ws_url": sim.ws_url}
        factory = FullExchangeFactory(config={}, env={})
        gateway_exchange = await factory.create_public_exchange(
            "mexc_spot", environment="sim", overrides=overrides
        )
        gateway = MarketDataGateway(
            gateway_exchange, exchange_name="mexc_spot", nats_url=nats.url, universe=symbols
        )
        await gateway.start()
        direct = await factory.create_public_exchange("mexc_spot", environment="sim", overrides=overrides)
        via_bus = await factory.create_public_exchange(
            "mexc_spot", environment="sim", overrides={**overrides, "market_data_url": nats.url}
        )
        seen: dict[str, dict[str, float]] = {"direct": {}, "bus": {}}

        async def collect(name: str, exchange: object) -> None:
            async for trade in exchange.iter_trades():  # type: ignore[attr-defined]
                seen[name][trade.trade_id] = time.perf_counter()

        tasks = [
            asyncio.create_task(collect("direct", direct)),
            asyncio.create_task(collect("bus", via_bus)),
        ]
        await direct.start_trades_stream(symbols)  # type: ignore[attr-defined]
        await via_bus.start_trades_stream(symbols)  # type: ignore[attr-defined]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        lag = gateway.metrics.histogram("bus.publish.exchange_lag")
        await via_bus.close()
        await direct.close()
        await gateway.stop()
        await gateway_exchange.close()
    added = [seen["bus"][tid] - t for tid, t in seen["direct"].items() if tid in seen["bus"]]
    return {
        "pairs": float(len(added)),
        "p50": percentile(added, 50),
        "p99": percentile(added, 99),
        "gateway_lag_p50": lag.quantile(0.5),
    }


async def run(events: int, consumer_counts: Sequence[int], n_symbols: int, seconds: float) -> None:
    names = [f"B{i:03d}/USDT" for i in range(n_symbols)]
    with LocalNatsServer() as nats:
        table = Table(
            f"bus throughput: {events} trade events, {n_symbols} symbols, one publisher, nats-server -js",
            ["consumers", "publish rate", "publisher CPU/event", "slowest consumer", "consumer CPU/event"],
            note="each consumer is a process: ordered JetStream consumer + msgspec decode + trade stream",
        )
        for count in consumer_counts:
            rate, publish_cpu, slowest, cpu = await _throughput(nats.url, events, count, names)
            table.add_row(
                count,
                fmt_rate(rate, " ev/s"),
                fmt_time(publish_cpu),
                fmt_rate(slowest, " ev/s"),
                fmt_time(cpu),
            )
        table.print()
        result = await _latency(nats, seconds, max(2, n_symbols // 2))
        table = Table(
            "latency the bus adds (same trade, same process clock: bus receive - direct WebSocket receive)",
            ["trades paired", "added p50", "added p99", "gateway: trade time -> publish p50"],
        )
        table.add_row(
            int(result["pairs"]),
            fmt_time(result["p50"]),
            fmt_time(result["p99"]),
            fmt_time(result["gateway_lag_p50"]),
        )
        table.print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bus", description=__doc__.splitlines()[0])
    quick = quick_mode()
    parser.add_argument("--events", type=int, default=3000 if quick else 20000)
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 5] if quick else [1, 5, 20])
    parser.add_argument("--symbols", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0 if quick else 10.0)
    opts = parser.parse_args(list(argv) if argv is not None else None)
    asyncio.run(run(opts.events, opts.consumers, opts.symbols, opts.seconds))


if __name__ == "__main__":
    main()
