"""One process of :mod:`bench.bench_bus`: ``python -m bench.bus_client JSON``.

Roles (``{"role": ...}``):

* ``gateway``: a :class:`~exchanges.bus.MarketDataGateway` (trades only) over the public exchange
  connected to the bench server, publishing to ``nats``. Prints ``ready`` once it holds the symbol's
  lease, then, once its publishing went idle (or reached ``expect``), one JSON line: events published,
  seconds from the first to the last, CPU of the whole process over that span (receive, decode,
  publish, acks).
* ``bus``: the usual public exchange with ``market_data_url`` (ordered JetStream consumer, decode,
  trade stream, ``iter_trades``); ``direct``: the same exchange connected to the bench server.
  Prints ``ready`` once subscribed, then one JSON line: events, seconds first to last, CPU over that
  span, and (paced scenario: each deal's time is its send time in microseconds) every send ->
  receive latency in microseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from bench.e2e_ours import SYMBOL, bench_overrides
from exchanges.factory import FullExchangeFactory


def _cpu() -> float:
    return time.process_time()


async def _gateway(spec: dict[str, Any]) -> dict[str, Any]:
    from exchanges.bus import GatewaySettings, MarketDataGateway

    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot", environment="sim", overrides=bench_overrides(spec["rest_url"], spec["ws_url"])
    )
    gateway = MarketDataGateway(
        exchange,
        exchange_name="mexc_spot",
        nats_url=spec["nats"],
        universe=[SYMBOL],
        settings=GatewaySettings(channels=("trade",)),
    )
    await gateway.start()
    try:
        while not gateway.held_symbols():  # noqa: ASYNC110 (the lease manager has no event for this)
            await asyncio.sleep(0.02)
        print("ready", flush=True)
        metrics = gateway.metrics
        count = 0
        while count == 0:
            await asyncio.sleep(0.001)
            count = metrics.value("bus.publish.trade")
        start = end = time.perf_counter()
        cpu0 = cpu_end = _cpu()
        while count < spec["expect"] and time.perf_counter() - end < spec["idle"]:
            await asyncio.sleep(0.01)
            now = metrics.value("bus.publish.trade")
            if now != count:  # CPU and time up to the last publish seen, not the idle tail
                count, end, cpu_end = now, time.perf_counter(), _cpu()
        assert gateway.publisher is not None
        await gateway.publisher.drain(30)
        cpu = cpu_end - cpu0
        details = gateway.public.get_performance_metrics()["details"]
        dropped = sum(v for k, v in details.items() if k.endswith(".dropped") and isinstance(v, int))
        return {
            "events": count,
            "seconds": max(end - start, 1e-9),
            "cpu": cpu,
            "acked": metrics.value("bus.publish.acked"),
            "failed": metrics.value("bus.publish.failed"),
            "dropped": dropped,
        }
    finally:
        await gateway.stop()
        await exchange.close()


async def _reader(spec: dict[str, Any]) -> dict[str, Any]:
    overrides = bench_overrides(spec["rest_url"], spec["ws_url"])
    if spec["role"] == "bus":
        overrides["market_data_url"] = spec["nats"]
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange("mexc_spot", environment="sim", overrides=overrides)
    latencies: list[int] = []
    count = 0
    try:
        trades = exchange.iter_trades()  # type: ignore[attr-defined]
        await exchange.start_trades_stream([SYMBOL])  # type: ignore[attr-defined]
        print("ready", flush=True)
        paced = spec["paced"]
        first = await asyncio.wait_for(anext(trades), spec["first_within"])
        start = end = time.perf_counter()
        cpu0 = cpu_end = _cpu()
        count = 1
        if paced:
            latencies.append(int(time.time() * 1e6) - first.timestamp)
        with contextlib.suppress(TimeoutError, StopAsyncIteration):
            while count < spec["expect"]:
                trade = await asyncio.wait_for(anext(trades), spec["idle"])
                count += 1
                if paced:
                    latencies.append(int(time.time() * 1e6) - trade.timestamp)
                end, cpu_end = time.perf_counter(), _cpu()  # up to the last event, not the idle tail
        return {"events": count, "seconds": end - start, "cpu": cpu_end - cpu0, "latency_us": latencies}
    finally:
        await exchange.close()


async def main(spec: dict[str, Any]) -> None:
    result = await (_gateway(spec) if spec["role"] == "gateway" else _reader(spec))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
