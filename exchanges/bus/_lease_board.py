"""What a gateway group's two KV buckets say, as one gateway hears them (the lease "board").

The board watches both buckets of a group (see :mod:`._leases` for the protocol) and answers the
questions a :class:`~._leases.LeaseManager` asks each round, without any writes of its own:

* which gateways are alive (heard within ``dead_after``, by our own clock), hence the fair share;
* whether a symbol's lease is free for us to take (no lease, expired, or its holder presumed dead);
* which leases other gateways offer for a hand-over.

One owner per state: the board owns what was *seen* in the buckets; the manager owns what it
*holds*. It lives apart from the manager so that the rules above read (and are tested) as one piece.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable

import attrs
import msgspec
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from exchanges.metrics import Counter

from .parsing._control import LeaseValue, MemberInfo

__all__ = ["LEASE_CODEC", "LeaseBoard", "LeaseSettings", "SeenLease"]

logger = logging.getLogger("exchanges.bus.leases")


@attrs.frozen
class LeaseSettings:
    """Timing and capacity of leases. ``ttl`` is the promise: a dead gateway's symbols are taken
    over within it (after ``dead_after`` plus one round)."""

    ttl: float = 5.0
    max_symbols: int | None = None
    """At most this many symbols per gateway (None: no cap; the fair share still applies)."""

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.ttl) and self.ttl >= 1.0):
            raise ValueError(f"lease ttl must be a finite number of seconds >= 1, got {self.ttl!r}")
        if self.max_symbols is not None and self.max_symbols < 1:
            raise ValueError(f"max_symbols must be positive, got {self.max_symbols!r}")

    @property
    def renew_every(self) -> float:
        return self.ttl / 5

    @property
    def dead_after(self) -> float:
        return self.ttl / 2


LEASE_CODEC = msgspec.json.Decoder(LeaseValue)
_MEMBER = msgspec.json.Decoder(MemberInfo)


@attrs.define
class SeenLease:
    """Our view of one lease key, from the bucket watcher."""

    value: LeaseValue | None  # None: deleted or purged
    revision: int
    at: float  # local monotonic time it was seen


class LeaseBoard:
    """The group as heard from the buckets' watchers (see module doc)."""

    def __init__(
        self,
        *,
        gateway_id: str,
        settings: LeaseSettings,
        own_info: Callable[[], MemberInfo],
        malformed: Counter,
    ) -> None:
        self.gateway_id = gateway_id
        self.settings = settings
        self._own_info = own_info
        self._malformed = malformed
        self.seen: dict[str, SeenLease] = {}
        self.members: dict[str, tuple[MemberInfo, float]] = {}  # other gateways: info, heard at
        self.started_at = time.monotonic()

    # ------------------------------------------------------------------ watchers

    async def watch_leases(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is None:
                continue
            value: LeaseValue | None = None
            if entry.operation not in (KV_DEL, KV_PURGE) and entry.value:
                try:
                    value = LEASE_CODEC.decode(entry.value)
                except msgspec.DecodeError:
                    self._malformed.inc()
                    logger.warning("malformed lease value for %s ignored", entry.key)
                    continue
            self.seen[entry.key] = SeenLease(value, entry.revision or 0, time.monotonic())

    async def watch_members(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is None:
                continue
            if entry.operation in (KV_DEL, KV_PURGE) or not entry.value:
                self.members.pop(entry.key, None)
                continue
            try:
                info = _MEMBER.decode(entry.value)
            except msgspec.DecodeError:
                self._malformed.inc()
                continue
            if info.id != self.gateway_id:
                self.members[info.id] = (info, time.monotonic())

    # ------------------------------------------------------------------ views

    def live_members(self) -> dict[str, MemberInfo]:
        """Gateways heard from within ``dead_after`` (this one included)."""
        now = time.monotonic()
        dead_after = self.settings.dead_after
        alive = {gid: info for gid, (info, at) in self.members.items() if now - at <= dead_after}
        alive[self.gateway_id] = self._own_info()
        return alive

    def fair_share(self, universe_size: int) -> int:
        live = max(1, len(self.live_members()))
        share = math.ceil(universe_size / live)
        cap = self.settings.max_symbols
        return min(share, cap) if cap is not None else share

    def others_alive(self) -> bool:
        return len(self.live_members()) > 1

    def someone_under(self, share: int) -> bool:
        """Another live gateway holds fewer than ``share`` symbols (it would take an offer)."""
        return any(
            len(info.symbols) < share for gid, info in self.live_members().items() if gid != self.gateway_id
        )

    def is_expired(self, token: str, now: float) -> bool:
        """No lease seen, deleted, or not rewritten for a TTL (the bucket expires it)."""
        seen = self.seen.get(token)
        return seen is None or seen.value is None or now - seen.at > self.settings.ttl

    def is_free(self, token: str, alive: set[str], now: float) -> bool:
        """Nobody serves ``token``: expired, or held by a gateway presumed dead."""
        if self.is_expired(token, now):
            return True
        seen = self.seen[token]
        assert seen.value is not None
        holder = seen.value.holder
        if holder not in self.members and now - self.started_at < self.settings.dead_after:
            return False  # a holder we may not have heard yet: give it time before calling it dead
        return holder not in alive

    def offered(self, universe: Iterable[str], held: Iterable[str]) -> list[tuple[str, SeenLease]]:
        """Leases another gateway offers for a hand-over, among ``universe`` and not ``held`` by us."""
        wanted, mine = set(universe), set(held)
        return [
            (token, seen)
            for token, seen in self.seen.items()
            if token in wanted
            and token not in mine
            and seen.value is not None
            and seen.value.handoff
            and seen.value.holder != self.gateway_id
        ]

    def taken_by_other(self, token: str) -> bool:
        """The latest lease value of ``token`` names another gateway (our offer was taken)."""
        seen = self.seen.get(token)
        return seen is not None and seen.value is not None and seen.value.holder != self.gateway_id
