"""Server clock offset for signed requests (MEXC checks ``timestamp`` against its own clock).

MEXC accepts a signed request iff ``timestamp < serverTime + 1000`` and
``serverTime - timestamp <= recvWindow`` (API.md §2.2), else error 700003. We measure
``offset = serverTime - local midpoint of the round trip`` via ``GET /api/v3/time`` and stamp every
signed request with ``local now + offset``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from exchanges_mexc.auth import local_time_ms

logger = logging.getLogger("exchanges.mexc.rest.clock")


class ServerClock:
    """Local time corrected by the last measured server offset; callable as the signer's clock."""

    def __init__(
        self,
        fetch_server_time: Callable[[], Awaitable[int]],
        *,
        warning_ms: int = 1000,
        local_clock: Callable[[], int] = local_time_ms,
    ) -> None:
        self._fetch = fetch_server_time
        self._local = local_clock
        self.warning_ms = warning_ms
        self.offset_ms = 0
        """Server minus local time, in ms (positive: the server is ahead)."""
        self.round_trip_ms = 0
        self.synced = False
        self.sync_count = 0
        self._lock = asyncio.Lock()

    def now_ms(self) -> int:
        """Our best estimate of the server's clock now."""
        return self._local() + self.offset_ms

    def error_bound(self) -> float:
        """Seconds our estimate may be off MEXC's clock, as far as the last sync can tell: MEXC read
        its clock somewhere inside the measured round trip, and we assumed its midpoint."""
        return self.round_trip_ms / 2000.0

    __call__ = now_ms  # the signer calls it once per request: no extra call layer

    async def sync(self) -> int:
        """Measure the offset now (concurrent callers share one measurement); returns it."""
        generation = self.sync_count
        async with self._lock:
            if self.sync_count != generation:  # someone else measured while we waited
                return self.offset_ms
            before = self._local()
            server = await self._fetch()
            after = self._local()
            self.round_trip_ms = after - before
            self.offset_ms = server - (before + after) // 2
            self.synced = True
            self.sync_count += 1
        level = logging.WARNING if abs(self.offset_ms) > self.warning_ms else logging.DEBUG
        logger.log(
            level,
            "MEXC server clock offset %+d ms (round trip %d ms)%s",
            self.offset_ms,
            self.round_trip_ms,
            "; local clock is off, check NTP" if level == logging.WARNING else "",
        )
        return self.offset_ms
