"""Stream status events (rare: attrs frozen): a local book or a stream connection changed state."""

from __future__ import annotations

import attrs

from exchanges._models.enums import BookState, ConnectionState
from exchanges._models.symbol import Symbol


@attrs.frozen(slots=True)
class BookStateChange:
    """A local order book changed state (e.g. LIVE -> STALE when its connection went silent)."""

    symbol: Symbol
    state: BookState
    previous: BookState
    reason: str
    """Why, in a few words: ``"snapshot aligned"``, ``"gap"``, ``"connection lost"``..."""
    timestamp: int
    """Milliseconds since the epoch, local clock."""


@attrs.frozen(slots=True)
class ConnectionStateChange:
    """A stream connection changed state; ``error`` says why it was lost or why it gave up."""

    connection: str
    """The stream's name, e.g. ``"mexc_public_1"`` or ``"mexc_private"``."""
    state: ConnectionState
    previous: ConnectionState
    timestamp: int
    """Milliseconds since the epoch, local clock."""
    error: BaseException | None = None
