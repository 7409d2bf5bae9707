"""The liveness deadline of a WebSocket: a socket that delivers nothing for too long is dead.

Why: a proxy or NAT box can keep both TCP connections open while forwarding nothing (no FIN, no
RST). Nothing fails, the kernel notices only after ~15 minutes, and a local order book fed by that
socket would stay "LIVE" while the market moves. Sending PINGs proves nothing; hearing does.

Contract, with ``limit`` = :attr:`WsOptions.liveness_timeout` and ``tick`` = ``limit / 5``:

* every received message counts as "heard": data frames, PONG answers, protocol PONGs and PINGs;
* after 2 ticks of silence a probe is sent once (the strategy's keep-alive message, e.g. MEXC's
  ``{"method":"PING"}``, else a protocol ping), so a healthy but quiet connection answers;
* after 4 ticks of observed silence the socket is declared dead: it ends with an
  ``ExchangeConnectionError`` ("silent for ..."), which the owner treats like any lost socket
  (state RECONNECTING at once, then reconnect, resubscribe and ``on_connected`` to resync).

Silence is sampled once per tick from a per-socket counter that the reader increments (the hot
path pays one integer increment, no clock read), so a socket is declared dead after at least
``4/5 * limit`` and at most ``limit`` of real silence (plus scheduling delay on a busy loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from exchanges.errors import ExchangeConnectionError
from exchanges.metrics import Counter
from exchanges.transport._ws_connection import WsConnection

logger = logging.getLogger("exchanges.transport.ws")

PROBE_TICKS = 2
DEAD_TICKS = 4
TICKS_PER_TIMEOUT = 5


async def watch_liveness(
    name: str,
    limit: float,
    active: Callable[[], WsConnection | None],
    probe: Callable[[WsConnection], Awaitable[None]],
    timeouts: Counter,
) -> None:
    """Run until cancelled: probe quiet sockets and end silent ones (see the module docstring).

    ``active()`` returns the socket currently delivering (None while there is none).
    """
    tick = limit / TICKS_PER_TIMEOUT
    watched: WsConnection | None = None
    heard = -1
    quiet_ticks = 0
    while True:
        await asyncio.sleep(tick)
        conn = active()
        if conn is None or not conn.alive:
            watched = None
            continue
        if conn is not watched or conn.heard != heard:
            watched, heard, quiet_ticks = conn, conn.heard, 0
            continue
        quiet_ticks += 1
        if quiet_ticks >= DEAD_TICKS:
            timeouts.inc()
            logger.warning(
                "websocket %s: socket %d silent for %.1fs (liveness timeout %.1fs); replacing it",
                name,
                conn.number,
                quiet_ticks * tick,
                limit,
            )
            conn.finish(ExchangeConnectionError(f"websocket {name}: silent for {limit:g}s, declared dead"))
            watched = None
        elif quiet_ticks == PROBE_TICKS:
            await probe(conn)
