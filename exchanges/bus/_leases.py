"""Per-symbol leases in a JetStream KV bucket: which gateway of a group publishes which symbol.

Two buckets per exchange and group (both with a TTL, ``LeaseSettings.ttl``, default 5 s):

* ``members``: one key per gateway, rewritten every ``renew_every`` (``ttl / 5``) with its
  :class:`MemberInfo` (symbols held, rates, lag). A gateway silent for ``dead_after`` (``ttl / 2``,
  by the receiver's clock) is presumed dead; its key expires after ``ttl`` anyway.
* ``leases``: one key per symbol token, value :class:`LeaseValue`; the holder rewrites it every
  ``renew_every`` with compare-and-set on the revision it last wrote, so a lease can never have two
  holders: a renewal that fails means someone else holds the symbol now, and the loser stops.

Each round (every ``renew_every``) a gateway: heartbeats; renews its leases; computes the fair share
``ceil(symbols / live gateways)`` (capped by ``max_symbols``); takes free symbols (no lease, an
expired one, or one whose holder is presumed dead: compare-and-set on the revision seen) while under
its share; and, while over it and another gateway is under it, offers its excess by marking those
leases ``handoff`` (and no longer renewing them).

Hand-over without a gap: a gateway under its share that sees an offered lease first starts
publishing the symbol (its ``acquire`` callback returns once the symbol is ready, e.g. its book is
LIVE), then takes the lease with compare-and-set on the offered revision. The previous holder
keeps publishing until it sees the lease taken (the two publish the same events for a moment; the
stream stores each once, by message id). An offer nobody takes expires with the lease's TTL and is
taken again by its holder or anyone else. Clean shutdown offers every lease, waits (bounded) for
them to be taken, then deletes what is left and its member key.

A killed gateway: its member key stops being rewritten; after ``dead_after`` the others take its
symbols (compare-and-set, so one each), well within the lease TTL.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from exchanges.metrics import MetricsRegistry
from exchanges.tasks import cancel_and_wait

from ._lease_board import LEASE_CODEC, LeaseBoard, LeaseSettings
from .parsing._control import LeaseValue, MemberInfo

__all__ = ["Acquire", "LeaseManager", "LeaseSettings", "Release"]

logger = logging.getLogger("exchanges.bus.leases")

_ENC = msgspec.json.Encoder()

Acquire = Callable[[list[str], bool], Awaitable[list[str]]]
"""Start publishing these symbol tokens; returns those that are ready (the others failed). The flag
is True for a live hand-over (the previous holder publishes until we take the lease)."""
Release = Callable[[list[str]], Awaitable[None]]
"""Stop publishing these symbol tokens."""


@attrs.define
class _Held:
    revision: int
    since: float
    offered_at: float | None = None


class LeaseManager:
    """Holds this gateway's share of ``universe`` (symbol tokens) and renews it (see module doc)."""

    def __init__(
        self,
        *,
        leases: KeyValue,
        members: KeyValue,
        gateway_id: str,
        universe: Sequence[str],
        acquire: Acquire,
        release: Release,
        member_info: Callable[[], MemberInfo],
        settings: LeaseSettings | None = None,
        metrics: MetricsRegistry | None = None,
    ) -> None:
        self._leases = leases
        self._members = members
        self.gateway_id = gateway_id
        self.universe = tuple(dict.fromkeys(universe))
        self._acquire = acquire
        self._release = release
        self._member_info = member_info
        self.settings = settings or LeaseSettings()
        m = metrics if metrics is not None else MetricsRegistry()
        self._m_acquired = m.counter("bus.leases.acquired")
        self._m_taken_over = m.counter("bus.leases.taken_over")
        self._m_lost = m.counter("bus.leases.lost")
        self._m_handed = m.counter("bus.leases.handed_over")
        self._m_errors = m.counter("bus.leases.errors")
        self._g_held = m.gauge("bus.leases.held")
        self._g_members = m.gauge("bus.leases.live_gateways")
        self.held: dict[str, _Held] = {}
        self.board = LeaseBoard(
            gateway_id=gateway_id, settings=self.settings, own_info=member_info, malformed=self._m_errors
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._avoid: dict[str, float] = {}  # token -> monotonic time before which we do not take it
        self.rounds = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start watching both buckets, then run rounds in the background."""
        self.board.started_at = time.monotonic()
        lease_watch = await self._leases.watchall()
        member_watch = await self._members.watchall()
        await self._heartbeat()
        await asyncio.sleep(self.settings.renew_every)  # hear the group before taking a share
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.board.watch_leases(lease_watch), name="bus-lease-watch"),
            loop.create_task(self.board.watch_members(member_watch), name="bus-member-watch"),
            loop.create_task(self._run(), name="bus-lease-rounds"),
        ]

    async def stop(self, *, handoff_within: float | None = None) -> None:
        """Offer every lease, wait up to ``handoff_within`` (default the TTL) for takers, delete the
        rest and the member key, and stop. Never raises for an unreachable bus (leases then expire);
        a cancellation of the caller is re-raised once the background tasks have ended."""
        self._stopping = True
        runner = self._tasks[-1] if self._tasks else None  # _run (its finally stops the balance loop)
        await cancel_and_wait(runner)
        wait = self.settings.ttl if handoff_within is None else handoff_within
        try:
            await self._offer(list(self.held))
            deadline = time.monotonic() + wait
            while self.held and time.monotonic() < deadline and self.board.others_alive():
                await asyncio.sleep(0.1)
                await self._check_offers_taken()
            for token, held in list(self.held.items()):
                await self._delete_lease(token, held.revision)
            await self._members.delete(self.gateway_id)
        except Exception as exc:
            logger.warning(
                "gateway %s: could not release leases cleanly (%r); they expire", self.gateway_id, exc
            )
        released = list(self.held)
        self.held.clear()
        if released:
            await self._release(released)
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks = []

    async def _delete_lease(self, token: str, revision: int) -> None:
        """Delete our lease of ``token`` if it is still at ``revision``; a failure is logged, not
        raised: the lease then expires with its TTL (or is someone else's already)."""
        try:
            await self._leases.delete(token, last=revision)
        except Exception as exc:
            logger.info("gateway %s: lease %s not deleted (%r); it expires", self.gateway_id, token, exc)

    # ------------------------------------------------------------------ views

    def live_members(self) -> dict[str, MemberInfo]:
        """Gateways heard from within ``dead_after`` (this one included)."""
        return self.board.live_members()

    def fair_share(self) -> int:
        return self.board.fair_share(len(self.universe))

    # ------------------------------------------------------------------ rounds

    async def _run(self) -> None:
        """Two loops: keep-alive (heartbeat + renew) is never delayed by a slow take or hand-over."""
        balance = asyncio.get_running_loop().create_task(
            self._every(self.balance, self.settings.renew_every / 2), name="bus-lease-balance"
        )
        try:
            await self._every(self.keepalive)
        finally:
            await cancel_and_wait(balance)

    async def _every(self, step: Callable[[], Awaitable[None]], period: float | None = None) -> None:
        interval = self.settings.renew_every if period is None else period
        while not self._stopping:
            started = time.monotonic()
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._m_errors.inc()
                logger.warning("gateway %s: lease %s failed: %r", self.gateway_id, step.__name__, exc)
            await asyncio.sleep(max(0.05, interval - (time.monotonic() - started)))

    async def keepalive(self) -> None:
        """Heartbeat and renew every held lease (public for tests)."""
        self.rounds += 1
        await self._heartbeat()
        await self._renew()
        self._g_held.set(len(self.held))

    async def balance(self) -> None:
        """Take free or offered symbols while under the fair share; offer the excess while over it."""
        share = self.fair_share()
        if len(self.held) < share:
            await self._take_free(share - len(self.held))
        if len(self.held) < share:
            await self._take_offered(share - len(self.held))
        elif len(self.held) > share and self.board.someone_under(share):
            await self._offer_excess(len(self.held) - share)
        self._g_held.set(len(self.held))
        self._g_members.set(len(self.live_members()))

    async def _heartbeat(self) -> None:
        info = self._member_info()
        await self._members.put(self.gateway_id, _ENC.encode(info))

    def _lease_bytes(self, since: float, *, handoff: bool = False) -> bytes:
        return _ENC.encode(LeaseValue(self.gateway_id, since, handoff))

    async def _renew(self) -> None:
        tokens = [t for t, h in self.held.items() if h.offered_at is None]
        results = await asyncio.gather(*(self._renew_one(t) for t in tokens), return_exceptions=True)
        lost = [t for t, ok in zip(tokens, results, strict=True) if ok is False]
        for token, result in zip(tokens, results, strict=True):
            if isinstance(result, BaseException):
                self._m_errors.inc()
                logger.debug("renewing %s failed: %r", token, result)
        await self._check_offers_taken()
        if lost:
            await self._lose(lost)

    async def _renew_one(self, token: str) -> bool:
        """Rewrite our lease; False if another gateway holds it now."""
        held = self.held[token]
        data = self._lease_bytes(held.since)
        try:
            held.revision = await self._leases.update(token, data, last=held.revision)
            return True
        except KeyWrongLastSequenceError:
            pass
        try:
            current = await self._leases.get(token)
        except KeyNotFoundError:  # expired (we were too slow): take it again
            try:
                held.revision = await self._leases.create(token, data)
                return True
            except KeyWrongLastSequenceError:
                return False
        value = LEASE_CODEC.decode(current.value) if current.value else None
        if value is not None and value.holder == self.gateway_id:
            held.revision = current.revision or held.revision
            return True
        return False

    async def _lose(self, tokens: list[str]) -> None:
        for token in tokens:
            self.held.pop(token, None)
        self._m_lost.inc(len(tokens))
        logger.info("gateway %s: %d leases now held elsewhere; stopping them", self.gateway_id, len(tokens))
        await self._release(tokens)

    async def _check_offers_taken(self) -> None:
        """Offered leases that someone took are handed over; an untaken offer past the TTL is kept."""
        now = time.monotonic()
        handed: list[str] = []
        for token, held in list(self.held.items()):
            if held.offered_at is None:
                continue
            if self.board.taken_by_other(token):
                handed.append(token)
            elif now - held.offered_at > self.settings.ttl * 0.8:
                held.offered_at = None  # nobody came: renew it again (create if it expired)
        if handed:
            for token in handed:
                self.held.pop(token, None)
            self._m_handed.inc(len(handed))
            await self._release(handed)

    async def _take_free(self, wanted: int) -> None:
        alive = set(self.live_members())
        now = time.monotonic()
        self._avoid = {t: until for t, until in self._avoid.items() if until > now}
        free = [
            t
            for t in self.universe
            if t not in self.held and t not in self._avoid and self.board.is_free(t, alive, now)
        ]
        random.Random(self.gateway_id).shuffle(free)  # gateways starting together contend less
        chosen: list[tuple[str, bool]] = []
        while free and len(chosen) < wanted:
            batch, free = free[: wanted - len(chosen)], free[wanted - len(chosen) :]
            results = await asyncio.gather(*(self._take_one(t, now) for t in batch))  # one round trip
            chosen.extend(result for result in results if result is not None)
        if not chosen:
            return
        tokens = [t for t, _ in chosen]
        self._m_acquired.inc(len(tokens))
        self._m_taken_over.inc(sum(1 for _, dead in chosen if dead))
        logger.info("gateway %s: took %d symbols", self.gateway_id, len(tokens))
        ready = set(await self._acquire(tokens, False))
        failed = [t for t in tokens if t not in ready]
        if failed:
            await self._give_back(failed)

    async def _take_one(self, token: str, now: float) -> tuple[str, bool] | None:
        """Take one free lease; (token, taken from a dead holder) or None when someone was faster."""
        seen = self.board.seen.get(token)
        revision = seen.revision if seen is not None else 0
        since = time.time()
        expired = self.board.is_expired(token, now)
        try:
            if expired:
                new_revision = await self._create(token, since)
            else:  # from a dead holder: compare-and-set on the revision we saw
                new_revision = await self._leases.update(token, self._lease_bytes(since), last=revision)
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            return None
        self.held[token] = _Held(new_revision, since)
        return token, not expired

    async def _create(self, token: str, since: float) -> int:
        try:
            return await self._leases.create(token, self._lease_bytes(since))
        except KeyWrongLastSequenceError:
            # an expired key that still shows its last revision, or someone else was faster
            current = await self._leases.get(token)
            value = LEASE_CODEC.decode(current.value) if current.value else None
            if value is not None and value.holder != self.gateway_id:
                raise
            return await self._leases.update(token, self._lease_bytes(since), last=current.revision)

    async def give_back(self, tokens: list[str], *, avoid_for: float = 0.0) -> None:
        """Delete our leases of ``tokens`` (we cannot serve them) so another gateway can take them;
        we take none of them back for ``avoid_for`` seconds (a fault local to us is not retried here
        first), after which we may if nobody else did."""
        until = time.monotonic() + avoid_for
        for token in tokens:
            self._avoid[token] = until
        await self._give_back(tokens)

    async def _give_back(self, tokens: list[str]) -> None:
        """Leases we took but could not serve: delete them so another gateway can."""
        for token in tokens:
            held = self.held.pop(token, None)
            if held is not None:
                await self._delete_lease(token, held.revision)
        await self._release(tokens)

    async def _take_offered(self, wanted: int) -> None:
        offered = self.board.offered(self.universe, self.held)[:wanted]
        if not offered:
            return
        tokens = [token for token, _ in offered]
        ready = set(await self._acquire(tokens, True))  # publish first: the hand-over has no gap
        taken: list[str] = []
        for token, seen in offered:
            if token not in ready:
                continue
            since = time.time()
            current = self.board.seen.get(token, seen)
            try:
                revision = await self._leases.update(token, self._lease_bytes(since), last=current.revision)
            except (KeyWrongLastSequenceError, KeyNotFoundError):
                continue
            self.held[token] = _Held(revision, since)
            taken.append(token)
        not_taken = [t for t in tokens if t not in taken]
        if not_taken:
            await self._release(not_taken)
        if taken:
            self._m_acquired.inc(len(taken))
            logger.info("gateway %s: took over %d offered symbols", self.gateway_id, len(taken))

    async def _offer_excess(self, count: int) -> None:
        if any(h.offered_at is not None for h in self.held.values()):
            return  # one offer at a time
        await self._offer(sorted(self.held)[-count:])

    async def _offer(self, tokens: list[str]) -> None:
        now = time.monotonic()
        for token in tokens:
            held = self.held.get(token)
            if held is None:
                continue
            try:
                held.revision = await self._leases.update(
                    token, self._lease_bytes(held.since, handoff=True), last=held.revision
                )
                held.offered_at = now
            except KeyWrongLastSequenceError:
                continue  # lost meanwhile: the next renewal notices
        if tokens:
            logger.info("gateway %s: offering %d symbols to the group", self.gateway_id, len(tokens))

    def lease_ages(self) -> dict[str, float]:
        """Seconds since each held lease was taken (for status)."""
        now = time.time()
        return {token: round(now - held.since, 1) for token, held in self.held.items()}
