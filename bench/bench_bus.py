"""Market-data bus through a real gateway: events/s from one gateway to 1, 5 and 20 consumer
processes, and the latency the bus adds against a direct connection, in the same run.

* Feed: the bench server (``bench/server.py``, its own process) pushes MEXC ``aggre.deals`` frames
  for BTC/USDT, 3 trades each, with trade ids.
* Gateway: a process (:mod:`bench.bus_client`) running :class:`~exchanges.bus.MarketDataGateway`
  (trades) on the public exchange connected to the bench server, publishing to a real
  ``nats-server -js``. A fresh nats-server per phase: the bench server's trade ids restart with
  every scenario, and JetStream would rightly de-duplicate a repeated id.
* Consumers: N processes, each the usual public exchange with ``market_data_url`` (ordered
  JetStream consumer, decode, trade stream, ``iter_trades``).

Per consumer count, two phases:

* **throughput**: frames back to back; the gateway publishes as fast as it receives. Gateway
  events/s and CPU per event (the whole gateway process: WebSocket receive, protobuf decode, trade
  record, bus encode, publish, acks), the slowest consumer's events/s (first to last event), consumer
  CPU per event (all consumers' CPU / all events), and events delivered per consumer / published.
* **latency**: frames paced at ``--rate`` per second; each deal's time is its send time in us, so
  every receiver measures send -> receive on the machine's clock. A direct connection (one more
  process, its own subscription to the same scenario) against every consumer of the bus; "added"
  is bus minus direct at the same percentile.

    python -m bench bus    or    python -m bench.bench_bus [--events 30000] [--consumers 1 5 20]
                                  [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.frames import TRADES_PER_FRAME
from bench.server import ServerProcess
from bench.stats import Table, fmt_rate, fmt_time, percentile, quick_mode
from exchanges.bus import LocalNatsServer

ROOT = Path(__file__).resolve().parent.parent
IDLE = 3.0
"""Seconds without an event after which a receiver (or the gateway) reports what it got."""


def _configure(server: ServerProcess, **spec: Any) -> None:
    """POST the scenario every following ``aggre.deals`` subscription receives."""
    request = urllib.request.Request(
        server.rest_url + "/bench/scenario",
        data=json.dumps({"kind": "deals", **spec}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


class Child:
    """One :mod:`bench.bus_client` process: ``ready``, then one JSON line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, spec: dict[str, Any]) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bus_client",
            json.dumps(spec),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    async def line(self, within: float) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not raw:
            raise RuntimeError(f"bench.bus_client {self.process.pid} exited (see its stderr)")
        return raw.decode().strip()

    async def ready(self) -> None:
        line = await self.line(180)
        if line != "ready":
            raise RuntimeError(f"expected 'ready', got {line!r}")

    async def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await self.line(600))
        await self.process.wait()
        return data

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


async def _phase(
    server: ServerProcess, consumers: int, *, frames: int, paced: bool, rate: float
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """One scenario through a fresh nats-server: (gateway, consumers, direct or None)."""
    _configure(server, mode="rate" if paced else "blast", frames=frames, rate=rate)
    children: list[Child] = []
    with LocalNatsServer() as nats:
        base = {
            "rest_url": server.rest_url,
            "ws_url": server.ws_url,
            "nats": nats.url,
            "expect": frames * TRADES_PER_FRAME,
            "idle": IDLE,
            "first_within": 180.0,
            "paced": paced,
        }
        try:
            readers = [await Child.start({**base, "role": "bus"}) for _ in range(consumers)]
            children.extend(readers)
            for reader in readers:
                await reader.ready()  # subscribed before the gateway publishes anything
            gateway = await Child.start({**base, "role": "gateway"})
            children.append(gateway)
            await gateway.ready()
            direct = None
            if paced:
                direct = await Child.start({**base, "role": "direct"})
                children.append(direct)
                await direct.ready()
            published = await gateway.result()
            received = [await reader.result() for reader in readers]
            baseline = await direct.result() if direct is not None else None
        finally:
            for child in children:
                child.kill()
    return published, received, baseline


def _us(values: Sequence[float]) -> list[float]:
    return [v / 1e6 for v in values]


async def run(events: int, consumer_counts: Sequence[int], rate: float, seconds: float) -> None:
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    throughput = Table(
        f"bus throughput: {events} trades from one real gateway (bench server -> gateway -> nats-server -js)",
        [
            "consumers",
            "gateway publish rate",
            "gateway CPU/event",
            "slowest consumer",
            "consumer CPU/event",
            "delivered",
        ],
        note="gateway CPU: its whole process (receive + decode + publish + acks); consumers: the public API",
    )
    latency = Table(
        f"latency: bench server send -> receive, {rate * TRADES_PER_FRAME:g} trades/s paced, "
        f"{seconds:g} s, direct WebSocket vs gateway + bus (same run)",
        ["consumers", "direct p50", "direct p99", "bus p50", "bus p99", "added p50", "added p99"],
        note="bus: every consumer's every trade; added = bus - direct at the same percentile",
    )
    with ServerProcess() as server:
        for count in consumer_counts:
            frames = max(1, events // TRADES_PER_FRAME)
            published, received, _ = await _phase(server, count, frames=frames, paced=False, rate=rate)
            gw_rate = published["events"] / published["seconds"]
            slowest = min(r["events"] / max(r["seconds"], 1e-9) for r in received)
            consumer_cpu = sum(r["cpu"] for r in received) / max(1, sum(r["events"] for r in received))
            delivered = min(r["events"] for r in received)
            throughput.add_row(
                count,
                fmt_rate(gw_rate, " ev/s"),
                fmt_time(published["cpu"] / max(1, published["events"])),
                fmt_rate(slowest, " ev/s"),
                fmt_time(consumer_cpu),
                f"{delivered}/{published['events']}",
            )
            paced_frames = max(1, int(rate * seconds))
            _, received, direct = await _phase(server, count, frames=paced_frames, paced=True, rate=rate)
            assert direct is not None
            via_bus = _us([v for r in received for v in r["latency_us"]])
            straight = _us(direct["latency_us"])
            d50, d99 = percentile(straight, 50), percentile(straight, 99)
            b50, b99 = percentile(via_bus, 50), percentile(via_bus, 99)
            latency.add_row(
                count,
                fmt_time(d50),
                fmt_time(d99),
                fmt_time(b50),
                fmt_time(b99),
                fmt_time(b50 - d50),
                fmt_time(b99 - d99),
            )
            print(f"[bench_bus] {count} consumers done", file=sys.stderr, flush=True)
    throughput.print()
    latency.print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bus", description=__doc__.splitlines()[0])
    quick = quick_mode()
    parser.add_argument("--events", type=int, default=6000 if quick else 30000, help="trades per phase")
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 5] if quick else [1, 5, 20])
    parser.add_argument(
        "--rate", type=float, default=200.0, help="frames/s of the latency phase (3 trades each)"
    )
    parser.add_argument("--seconds", type=float, default=3.0 if quick else 10.0, help="latency phase length")
    opts = parser.parse_args(list(argv) if argv is not None else None)
    asyncio.run(run(opts.events, opts.consumers, opts.rate, opts.seconds))


if __name__ == "__main__":
    main()
