"""Per-symbol leases on a real nats-server: fair share, takeover of a dead gateway, clean hand-over,
rebalance on join without a moment where a symbol has no publisher."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from exchanges.bus import LocalNatsServer, connect_bus, declare_bus
from exchanges.bus._connection import BusConnection, BusObjects
from exchanges.bus._leases import LeaseManager, LeaseSettings
from exchanges.bus._subjects import Subjects
from exchanges.bus.parsing._control import MemberInfo
from exchanges.metrics import MetricsRegistry

TTL = 3.0
UNIVERSE = [f"S{i:02d}-USDT" for i in range(12)]


class Publishing:
    """Who publishes what, as the lease callbacks report it (the gateway's side, without streams)."""

    def __init__(self) -> None:
        self.by_gateway: dict[str, set[str]] = {}
        self.uncovered: set[str] = set()  # symbols that had no publisher at some moment after start
        self.started = False

    def publishers(self, token: str) -> int:
        return sum(token in held for held in self.by_gateway.values())

    def callbacks(
        self, gid: str
    ) -> tuple[Callable[[list[str], bool], Awaitable[list[str]]], Callable[[list[str]], Awaitable[None]]]:
        mine = self.by_gateway.setdefault(gid, set())

        async def acquire(tokens: list[str], continuous: bool) -> list[str]:
            mine.update(tokens)
            return tokens

        async def release(tokens: list[str]) -> None:
            mine.difference_update(tokens)
            if self.started:
                self.uncovered.update(t for t in tokens if self.publishers(t) == 0)

        return acquire, release


@pytest_asyncio.fixture
async def bus(nats_server: LocalNatsServer) -> AsyncIterator[tuple[BusConnection, BusObjects]]:
    conn = await connect_bus(nats_server.url, name="lease test")
    objects = await declare_bus(conn.js, Subjects("test_ex", "g"), lease_ttl=TTL)
    yield conn, objects
    await conn.close()


def manager(objects: BusObjects, gid: str, publishing: Publishing, metrics: MetricsRegistry) -> LeaseManager:
    acquire, release = publishing.callbacks(gid)
    lm: LeaseManager

    def info() -> MemberInfo:
        return MemberInfo(id=gid, host="h", pid=1, started=0.0, symbols=sorted(lm.held), sent_at=time.time())

    lm = LeaseManager(
        leases=objects.leases,
        members=objects.members,
        gateway_id=gid,
        universe=UNIVERSE,
        acquire=acquire,
        release=release,
        member_info=info,
        settings=LeaseSettings(ttl=TTL),
        metrics=metrics,
    )
    return lm


async def until(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def kill(lm: LeaseManager) -> None:
    """Like kill -9: its tasks stop, nothing is released or deleted."""
    for task in lm._tasks:
        task.cancel()


async def test_three_gateways_share_fairly_and_a_dead_ones_symbols_are_taken_over_before_its_leases_expire(
    bus: tuple[BusConnection, BusObjects],
) -> None:
    _, objects = bus
    publishing = Publishing()
    metrics = {gid: MetricsRegistry() for gid in "abc"}
    managers = {gid: manager(objects, gid, publishing, metrics[gid]) for gid in "abc"}
    await asyncio.gather(*(lm.start() for lm in managers.values()))
    try:
        await until(
            lambda: (
                all(len(lm.held) == 4 for lm in managers.values())
                and set().union(*(lm.held for lm in managers.values())) == set(UNIVERSE)
            )
        )
        orphans = set(managers["a"].held)
        taken_before = sum(metrics[g].value("bus.leases.taken_over") for g in "bc")
        kill(managers["a"])
        survivors = [managers["b"], managers["c"]]
        await until(lambda: orphans <= set(survivors[0].held) | set(survivors[1].held))
        # taken by compare-and-set from a dead holder (not after its leases expired)
        taken = sum(metrics[g].value("bus.leases.taken_over") for g in "bc") - taken_before
        assert taken >= len(orphans)
        assert sorted(len(lm.held) for lm in survivors) == [6, 6]
        assert not set(survivors[0].held) & set(survivors[1].held)
    finally:
        for lm in managers.values():
            with contextlib.suppress(Exception):
                await lm.stop(handoff_within=0)


async def test_a_joining_gateway_gets_its_share_by_hand_over_without_a_gap_and_a_clean_stop_hands_back(
    bus: tuple[BusConnection, BusObjects],
) -> None:
    _, objects = bus
    publishing = Publishing()
    first = manager(objects, "a", publishing, MetricsRegistry())
    await first.start()
    second: LeaseManager | None = None
    try:
        await until(lambda: len(first.held) == len(UNIVERSE))
        publishing.started = True
        second = manager(objects, "b", publishing, MetricsRegistry())
        await second.start()
        await until(
            lambda: (
                len(first.held) == 6
                and len(second.held) == 6
                and publishing.by_gateway["a"] == set(first.held)
            )
        )
        assert not set(first.held) & set(second.held)
        await first.stop()  # clean: offers everything, the other takes it while both publish
        await until(lambda: len(second.held) == len(UNIVERSE))
        assert publishing.uncovered == set(), f"symbols without a publisher: {publishing.uncovered}"
    finally:
        await first.stop(handoff_within=0)
        if second is not None:
            await second.stop(handoff_within=0)


async def test_a_lease_has_one_holder_even_when_two_gateways_race_for_it(
    bus: tuple[BusConnection, BusObjects],
) -> None:
    _, objects = bus
    publishing = Publishing()
    managers = [manager(objects, gid, publishing, MetricsRegistry()) for gid in ("x", "y")]
    await asyncio.gather(*(lm.start() for lm in managers))
    try:
        await until(lambda: sum(len(lm.held) for lm in managers) == len(UNIVERSE))
        for _ in range(5):  # through several renewal rounds
            await asyncio.sleep(TTL / 5)
            assert not set(managers[0].held) & set(managers[1].held)
        for token in UNIVERSE:
            entry = await objects.leases.get(token)
            assert entry.value is not None
    finally:
        for lm in managers:
            await lm.stop(handoff_within=0)
