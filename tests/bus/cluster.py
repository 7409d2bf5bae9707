"""Processes for the bus cluster tests: gateways (the real CLI) and consumers (consumer_proc.py).

Nothing is mocked: gateways are ``python -m exchanges.cli gateway ...`` processes talking to the
simulator over loopback and to a real nats-server; consumers are processes using the public API.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from exchanges.bus import connect_bus
from exchanges.bus._subjects import Subjects
from exchanges.bus.parsing._control import LeaseValue
from exchanges_mexc.sim import MexcSimulator

HERE = Path(__file__).parent
LEASE_TTL = 5.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("EXCHANGES_CONFIG", None)
    return env


class Proc:
    """One child process with line-based stdout."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name

    async def line(self, within: float = 60.0) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not raw:
            raise RuntimeError(f"{self.name} exited (code {self.process.returncode})")
        return raw.decode().strip()

    async def ask(self, command: str, within: float = 60.0) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        result: dict[str, Any] = json.loads(await self.line(within))
        return result

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()

    async def stop(self, within: float = 20.0) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def start_gateway(
    nats_url: str, sim: MexcSimulator, symbols: list[str], group: str = "t"
) -> tuple[Proc, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exchanges.cli", "--log-level", "WARNING",
        "gateway", "mexc_spot", "--nats", nats_url,
        "--symbols", *symbols, "--group", group, "--env", "sim", "--lease-ttl", str(LEASE_TTL),
        "--set", f"rest_url={sim.rest_url}", "--set", f"ws_url={sim.ws_url}",
        "--channels", "book", "trade", "ticker",  # what the checks read: keeps the soak's load as it was
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL, env=_env(),
    )  # fmt: skip
    proc = Proc(process, "gateway")
    first = await proc.line(120.0)
    assert first.startswith("gateway "), first
    return proc, first.split()[1].rstrip(":")


async def start_consumer(nats_url: str, sim: MexcSimulator, symbols: list[str]) -> Proc:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "consumer_proc.py"), nats_url, sim.rest_url, sim.ws_url, *symbols,
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE, env=_env(), limit=1 << 26,
    )  # fmt: skip
    proc = Proc(process, "consumer")
    assert json.loads(await proc.line(120.0)) == {"ready": True}
    return proc


async def lease_holders(nats_url: str, group: str = "t") -> dict[str, str]:
    """symbol token -> gateway id, read from the lease bucket."""
    conn = await connect_bus(nats_url, name="test lease reader")
    try:
        kv = await conn.js.key_value(Subjects("mexc_spot", group).leases_bucket)
        try:
            keys = await kv.keys()
        except Exception:
            return {}
        holders = {}
        for key in keys:
            try:
                entry = await kv.get(key)
            except Exception:
                continue
            if entry.value:
                holders[key] = msgspec.json.decode(entry.value, type=LeaseValue).holder
        return holders
    finally:
        await conn.close()


async def pause_market(sim: MexcSimulator) -> None:
    """Pause the simulated market and let its loop finish the batch it may be in: the loop sleeps
    at most 0.1 s between batches, and asyncio fires the earlier timer first."""
    sim.market.pause()
    await asyncio.sleep(0.2)


def engine_book(sim: MexcSimulator, name: str) -> dict[str, Any]:
    bids, asks, version = sim.engine.book_levels(name.replace("/", ""))
    return {
        "version": version,
        "bids": [[float(p), float(q)] for p, q in bids],
        "asks": [[float(p), float(q)] for p, q in asks],
    }


def engine_trade_ids(sim: MexcSimulator, name: str) -> list[str]:
    return [t.trade_id for t in sim.engine.history[name.replace("/", "")].trades]


async def wait_books_equal(
    sim: MexcSimulator, consumers: list[Proc], symbols: list[str], within: float
) -> float:
    """Poll (bounded) until every consumer's books equal the engine's; returns the seconds it took."""
    started = time.monotonic()
    deadline = started + within
    mismatch: list[str] = []
    while True:
        mismatch = []
        for number, consumer in enumerate(consumers):
            dump = await consumer.ask("dump")
            for name in symbols:
                mine, truth = dump["books"][name], engine_book(sim, name)
                if mine["state"] != "LIVE" or any(mine[k] != truth[k] for k in ("version", "bids", "asks")):
                    mismatch.append(
                        f"consumer {number} {name}: {mine['state']} v{mine['version']} vs v{truth['version']}"
                    )
        if not mismatch:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(mismatch)} books differ from the engine, e.g. {mismatch[:5]}")
        await asyncio.sleep(0.3)


async def wait_trades_in(
    consumers: list[Proc], expected: dict[str, set[str]], within: float
) -> list[dict[str, Any]]:
    """Poll (bounded) until each consumer saw every expected trade id (or the time is up); the dumps."""
    deadline = time.monotonic() + within
    while True:
        dumps = [await consumer.ask("dump") for consumer in consumers]
        complete = all(
            expected[name] <= set(dump["trades"].get(name, [])) for dump in dumps for name in expected
        )
        if complete or time.monotonic() > deadline:
            return dumps
        await asyncio.sleep(0.3)
