"""Listen keys of the MEXC user data stream (API.md §6): mint, verify, keep alive, replace, delete.

A key is valid 60 minutes after its creation or last keep-alive; MEXC recommends a keep-alive PUT
every 30 minutes. :class:`ListenKeyKeeper` serves the private connection URL
(``ws_url?listenKey=<key>``) to the transport on every (re)connect: the first time it mints a key,
afterwards it verifies the current key with a keep-alive and mints a new one when MEXC rejects it.
Replaced keys are deleted later (best effort); every key is deleted on close.

Keys never appear in logs, reprs, exceptions or metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from exchanges.errors import ExchangeAPIError, ExchangeConnectionError, ExchangeError, RateLimitError
from exchanges.metrics import MetricsRegistry
from exchanges_mexc.rest.private import MexcPrivateSpotRest

logger = logging.getLogger("exchanges.mexc.ws.listen_key")

KEEPALIVE_INTERVAL = 30 * 60.0
"""Seconds between listen-key keep-alives (MEXC: keys expire 60 min after the last one)."""


class ListenKeyKeeper:
    """Owns the current listen key. ``on_rejected`` is called when a keep-alive is refused."""

    def __init__(
        self,
        rest: MexcPrivateSpotRest,
        ws_url: str,
        metrics: MetricsRegistry,
        *,
        interval: float = KEEPALIVE_INTERVAL,
        on_rejected: Callable[[], None] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("keep-alive interval must be positive")
        self._rest = rest
        self._ws_url = ws_url
        self.interval = interval
        self._on_rejected = on_rejected
        self._key: str | None = None
        self.invalid = False
        """Set when MEXC said the key is no longer valid; the next URL gets a new key."""
        self.urls_served = 0
        self._old: list[str] = []
        self._m_created = metrics.counter("mexc.ws.private.listen_keys_created")
        self._m_keepalives = metrics.counter("mexc.ws.private.keepalives")
        self._m_rejected = metrics.counter("mexc.ws.private.listen_key_rejected")

    def __repr__(self) -> str:
        return f"<ListenKeyKeeper key={'set' if self._key else 'none'} invalid={self.invalid}>"

    def mark_invalid(self) -> None:
        """MEXC rejected the key (``Invalid listen key`` or a refused keep-alive)."""
        self._m_rejected.inc()
        self.invalid = True

    async def url(self) -> str:
        """URL factory for the transport: a valid listen key on every (re)connect."""
        if self._key is None or self.invalid:
            await self._mint()
        elif self.urls_served:
            try:
                await self._rest.keepalive_listen_key(self._key)
            except RateLimitError:
                pass  # cannot tell; try the key
            except ExchangeAPIError:
                self._m_rejected.inc()
                logger.info("listen key no longer valid at reconnect; minting a new one")
                await self._mint()
        self.urls_served += 1
        assert self._key is not None
        return f"{self._ws_url}?listenKey={self._key}"

    async def _mint(self) -> None:
        try:
            key = await self._rest.create_listen_key()
        except ExchangeError as error:
            # The transport retries a connection (with backoff) after an ExchangeConnectionError.
            raise ExchangeConnectionError(f"cannot create a listen key: {error}") from error
        if self._key is not None:
            self._old.append(self._key)
        self._key = key
        self.invalid = False
        self._m_created.inc()
        logger.debug("new listen key created")

    async def run(self) -> None:
        """Keep-alive loop (run as a task): PUT every ``interval``, delete replaced keys."""
        while True:
            await asyncio.sleep(self.interval)
            key = self._key
            if key is not None and not self.invalid:
                try:
                    await self._rest.keepalive_listen_key(key)
                    self._m_keepalives.inc()
                except RateLimitError as error:
                    logger.warning("listen key keep-alive rate limited: %s", error)
                except ExchangeAPIError as error:
                    logger.warning("listen key keep-alive rejected (%s); switching to a new key", error)
                    self.mark_invalid()
                    if self._on_rejected is not None:
                        self._on_rejected()
                except ExchangeError as error:
                    logger.warning("listen key keep-alive failed (%s); retrying next round", error)
            await self.delete_replaced()

    async def delete_replaced(self) -> None:
        old, self._old = self._old, []
        for key in old:
            await self._delete(key)

    async def close(self) -> None:
        """Delete every key this manager created (best effort)."""
        key, self._key = self._key, None
        await self.delete_replaced()
        if key is not None:
            await self._delete(key)

    async def _delete(self, key: str) -> None:
        try:
            await self._rest.delete_listen_key(key)
        except ExchangeError as error:
            logger.debug("listen key delete failed (%s); it expires by itself", type(error).__name__)
