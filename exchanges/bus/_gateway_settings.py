"""What a MarketDataGateway is given: the exchange contract it needs, its settings, its default id.

Kept apart from :mod:`._gateway` so the running gateway's module holds only its behaviour.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

import attrs

from exchanges.capabilities import SupportsOrderBookStream, SupportsTickerStream, SupportsTradeStream
from exchanges.models import BookUpdate, KlineInterval

from ._leases import LeaseSettings


@runtime_checkable
class SupportsBookUpdates(Protocol):
    """A public exchange that exposes the versioned deltas its local books are built from."""

    def iter_book_updates(self) -> AsyncIterator[BookUpdate]: ...


@runtime_checkable
class GatewayExchange(
    SupportsBookUpdates,
    SupportsOrderBookStream,
    SupportsTradeStream,
    SupportsTickerStream,
    Protocol,
):
    """Everything a gateway needs from a public exchange: streams, local books and their deltas."""


@attrs.frozen
class GatewaySettings:
    group: str = "default"
    leases: LeaseSettings = attrs.field(factory=LeaseSettings)
    snapshot_interval: float = 1.0
    """Seconds between snapshots of a changing book (a resyncing consumer waits at most this long)."""
    ready_timeout: float = 3.0
    """How long a hand-over waits for our books to be LIVE (below the TTL: the offer expires with it)."""
    channels: tuple[str, ...] = ("book", "trade", "ticker", "book_ticker", "kline")
    kline_interval: KlineInterval = KlineInterval.MINUTE_1
    """The one candle width published (MEXC streams one width per symbol and subscription)."""
    liveness_interval: float = 1.0
    """Seconds between liveness messages (keep it well below the consumers' liveness timeout)."""
    stuck_after: float = 15.0
    """Seconds a held symbol may stay not LIVE or unpublished before its lease is given back."""


def new_gateway_id() -> str:
    host = socket.gethostname().split(".")[0] or "host"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in host)
    return f"{safe}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
