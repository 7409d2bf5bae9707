"""3 gateway processes, N simulator symbols, 5 consumer processes, a real nats-server.

Checkpoints pause the simulated market and wait (bounded) until every consumer's local books equal
the matching engine's books, version included. Trades are compared by the exchange's trade id:
exactly once per consumer while nothing fails; after a ``kill -9`` of a gateway and after a
nats-server restart, never twice, never invented, and every missed trade is in a symbol whose
consumer counted a possible gap. The full size (300 symbols, marked slow and soak) runs with
``-m soak``; CI runs the same shape with 30 symbols.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import msgspec
import pytest
from nats.aio.msg import Msg

from exchanges.bus import LocalNatsServer, connect_bus
from exchanges.bus._subjects import Subjects
from exchanges.bus.parsing._control import Liveness
from exchanges_mexc.sim import MexcSimulator

from .cluster import (
    LEASE_TTL,
    Proc,
    engine_trade_ids,
    lease_holders,
    pause_market,
    start_consumer,
    start_gateway,
    wait_books_equal,
    wait_trades_in,
)

FIGURES: dict[str, object] = {}


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


def _ids(dump: dict[str, object], name: str) -> list[str]:
    trades = dump["trades"]
    assert isinstance(trades, dict)
    return list(trades.get(name, []))


@pytest.mark.parametrize(
    ("n_symbols", "rate"),
    [
        pytest.param(30, 4.0, id="30-symbols"),
        pytest.param(300, 1.0, id="300-symbols", marks=[pytest.mark.slow, pytest.mark.soak]),
    ],
)
async def test_gateways_shard_fail_over_and_survive_a_nats_restart(
    nats_server: LocalNatsServer, n_symbols: int, rate: float
) -> None:
    names = [f"C{i:03d}/USDT" for i in range(n_symbols)]
    url = nats_server.url
    gateways: list[tuple[Proc, str]] = []
    consumers: list[Proc] = []
    async with MexcSimulator(symbols=[n.replace("/", "") for n in names], seed=7, market_rate=rate) as sim:
        try:
            gateways = list(await asyncio.gather(*(start_gateway(url, sim, names) for _ in range(3))))
            ids = {gid for _, gid in gateways}

            async def all_leased() -> bool:
                holders = await lease_holders(url)
                return len(holders) == n_symbols and set(holders.values()) == ids

            await until(all_leased, 120, "every symbol leased, spread over the 3 gateways")
            held = list((await lease_holders(url)).values())
            shares = sorted(held.count(gid) for gid in ids)
            FIGURES["shares"] = shares
            assert shares[-1] - shares[0] <= 2, shares  # a fair share each

            consumers = list(await asyncio.gather(*(start_consumer(url, sim, names) for _ in range(5))))
            await pause_market(sim)
            await wait_books_equal(sim, consumers, names, within=120)

            # ---- phase 1: steady state: books equal, every trade exactly once at every consumer
            before = {n: set(engine_trade_ids(sim, n)) for n in names}
            sim.market.resume()
            await asyncio.sleep(3)
            await pause_market(sim)
            await wait_books_equal(sim, consumers, names, within=120)
            expected = {n: set(engine_trade_ids(sim, n)) - before[n] for n in names}
            assert sum(len(v) for v in expected.values()) > 0
            dumps = await wait_trades_in(consumers, expected, within=60)
            for number, dump in enumerate(dumps):
                for n in names:
                    got = _ids(dump, n)
                    assert len(got) == len(set(got)), f"duplicate trades of {n}"
                    assert expected[n] <= set(got), f"consumer {number} missed trades of {n}"
                    assert set(got) <= before[n] | expected[n], (
                        f"consumer {number} got trades of {n} never made"
                    )
            FIGURES["phase1_trades_per_consumer"] = sum(len(v) for v in expected.values())

            # ---- phase 2: kill -9 one gateway while the market moves
            holders = await lease_holders(url)
            victim, victim_id = gateways[0]
            orphans = {token for token, holder in holders.items() if holder == victim_id}
            assert orphans
            seen = [{n: set(_ids(d, n)) for n in names} for d in dumps]
            gaps_before = [dict(d["gaps"]) for d in dumps]
            before = {n: set(engine_trade_ids(sim, n)) for n in names}
            served_by: dict[str, str] = {}  # symbol token -> gateway naming it in its liveness
            watcher = await connect_bus(url, name="test liveness reader")

            async def on_liveness(msg: Msg) -> None:
                liveness = msgspec.json.decode(msg.data, type=Liveness)
                served_by.update(dict.fromkeys(liveness.v, liveness.g))

            await watcher.nc.subscribe(Subjects("mexc_spot", "t").liveness, cb=on_liveness)
            sim.market.resume()
            victim.kill()
            served_by.clear()

            async def taken_over() -> bool:
                now = await lease_holders(url)
                return all(now.get(token) not in (None, victim_id) for token in orphans)

            async def republished() -> bool:  # a live gateway publishes each orphan (book LIVE) again
                return all(served_by.get(token) not in (None, victim_id) for token in orphans)

            killed_at = time.monotonic()
            FIGURES["takeover_s"] = round(await until(taken_over, 6 * LEASE_TTL, "orphans taken over"), 2)
            await until(republished, 6 * LEASE_TTL, "orphans published again")
            FIGURES["republished_s"] = round(time.monotonic() - killed_at, 2)
            FIGURES["republished_symbols"] = len(orphans)
            await watcher.close()
            await asyncio.sleep(1.5)
            await pause_market(sim)
            FIGURES["resync_after_kill_s"] = round(
                await wait_books_equal(sim, consumers, names, within=120), 2
            )
            expected = {n: set(engine_trade_ids(sim, n)) - before[n] for n in names}
            dumps = await wait_trades_in(consumers, expected, within=20)
            orphan_names = {t.replace("-", "/") for t in orphans}
            missed_total = 0
            for number, dump in enumerate(dumps):
                for n in names:
                    got = _ids(dump, n)
                    assert len(got) == len(set(got)), f"duplicate trades of {n} at consumer {number}"
                    new = set(got) - seen[number][n]
                    assert new <= expected[n], f"consumer {number} got trades of {n} the engine never made"
                    missed = expected[n] - new
                    if missed:
                        missed_total += len(missed)
                        assert n in orphan_names, f"{n} lost trades but its gateway did not die"
                        assert dump["gaps"][n] > gaps_before[number][n], (
                            f"{len(missed)} missed {n} trades not counted"
                        )
            FIGURES["missed_trades_after_kill"] = missed_total
            FIGURES["books_marked_silent_after_kill"] = sum(d["bus"]["silent_books"] for d in dumps)
            FIGURES["books_resynced_behind_after_kill"] = sum(d["bus"]["behind_books"] for d in dumps)
            FIGURES["trade_gaps_counted_after_kill"] = sum(
                d["gaps"][n] - gaps_before[i][n] for i, d in enumerate(dumps) for n in names
            )
            FIGURES["duplicate_trades"] = sum(
                len(_ids(d, n)) - len(set(_ids(d, n))) for d in dumps for n in names
            )

            # ---- phase 3: nats-server restarts mid-run; nobody intervenes
            seen = [{n: set(_ids(d, n)) for n in names} for d in dumps]
            gaps_before = [dict(d["gaps"]) for d in dumps]
            before = {n: set(engine_trade_ids(sim, n)) for n in names}
            sim.market.resume()
            await asyncio.sleep(1)
            nats_server.restart()
            await asyncio.sleep(3)
            await pause_market(sim)
            FIGURES["recovery_after_restart_s"] = round(
                await wait_books_equal(sim, consumers, names, within=180), 2
            )
            expected = {n: set(engine_trade_ids(sim, n)) - before[n] for n in names}
            dumps = await wait_trades_in(consumers, expected, within=20)
            missed_total = 0
            for number, dump in enumerate(dumps):
                assert dump["bus"]["malformed"] == 0
                for n in names:
                    got = _ids(dump, n)
                    assert len(got) == len(set(got)), f"duplicate trades of {n} at consumer {number}"
                    new = set(got) - seen[number][n]
                    assert new <= expected[n]
                    missed = expected[n] - new
                    if missed:
                        missed_total += len(missed)
                        assert dump["gaps"][n] > gaps_before[number][n], (
                            f"{len(missed)} missed {n} trades not counted"
                        )
            FIGURES["missed_trades_after_restart"] = missed_total
            FIGURES["books_resynced_behind_total"] = sum(d["bus"]["behind_books"] for d in dumps)
            print("bus cluster figures:", FIGURES)
        finally:
            for consumer in consumers:
                consumer.kill()
            for gateway, _ in gateways:
                gateway.kill()
            for proc in [*consumers, *(g for g, _ in gateways)]:
                await proc.process.wait()
