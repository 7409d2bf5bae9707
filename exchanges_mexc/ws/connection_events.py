"""What a MEXC stream does when one of its connections changes state.

Each :class:`~exchanges.transport.ws.ReconnectingWebSocket` gets a :class:`ConnectionWatcher` as
its listener. On every state change it publishes a :class:`~exchanges.models.ConnectionStateChange`
(handler ``connection_state_handler``, metric ``mexc.ws.connection_states``), and when the
connection is lost, declared silent or gives up, it calls ``on_lost`` at once, before any
reconnect attempt: the public stream marks the books this connection carries STALE there, so no
book stays LIVE on a dead socket. Recovery (resync, reconciliation) happens later, in the
stream's ``on_connected``, once the replacement socket is subscribed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from exchanges.metrics import Counter
from exchanges.models import ConnectionState, ConnectionStateChange
from exchanges.streams import EventStream
from exchanges.transport.ws import ReconnectingWebSocket

logger = logging.getLogger("exchanges.mexc.ws")

LOST_STATES = frozenset({ConnectionState.RECONNECTING, ConnectionState.FAILED})


class ConnectionWatcher:
    """A :class:`~exchanges.transport.ws.WsListener` for one connection of a MEXC stream."""

    def __init__(
        self,
        stream: EventStream[ConnectionStateChange],
        changes: Counter,
        on_lost: Callable[[ReconnectingWebSocket, ConnectionState], None],
    ) -> None:
        self._stream = stream
        self._changes = changes
        self._on_lost = on_lost
        self._conn: ReconnectingWebSocket | None = None
        self._previous = ConnectionState.CLOSED

    def attach(self, conn: ReconnectingWebSocket) -> None:
        self._conn = conn
        conn.add_listener(self)

    def on_open(self, connection_id: str) -> None:
        logger.debug("%s: socket opened", connection_id)

    def on_close(self, connection_id: str, error: BaseException | None) -> None:
        logger.debug("%s: socket closed (%r)", connection_id, error)

    def on_state(self, state: ConnectionState) -> None:
        conn = self._conn
        if conn is None:
            return
        previous, self._previous = self._previous, state
        if state in LOST_STATES:
            self._on_lost(conn, state)
        error = conn.error if state is ConnectionState.FAILED else conn.last_error
        self._changes.inc()
        self._stream.publish(
            ConnectionStateChange(
                conn.name,
                state,
                previous,
                int(time.time() * 1000),
                error if state in LOST_STATES else None,
            )
        )
