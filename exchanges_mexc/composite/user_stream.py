"""The user stream of one private composite: the one owner of its private WebSocket client.

It starts the client (order updates, fills and balance changes, reconciled through REST after every
gap), swaps handlers while it runs, makes it reconcile new symbols, and stops it (deleting the listen
key). Money events are logged at INFO before the user's handlers run (the spec's audit trail); a
failing log call never keeps an event from the user's handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from exchanges.config import ExchangeConfig
from exchanges.handlers import Handler, PrivateStreamHandlers, call_handler
from exchanges.metrics import MetricsRegistry
from exchanges.models import BalanceUpdate, Fill, Order, OrderId, Symbol
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket

logger = logging.getLogger("exchanges.mexc.exchange.private")

T = TypeVar("T")


class UserStream:
    """Starts, reconfigures and stops the private WebSocket client of one composite."""

    def __init__(self, config: ExchangeConfig, rest: MexcPrivateSpotRest, metrics: MetricsRegistry) -> None:
        self._config = config
        self._rest = rest
        self._metrics = metrics
        self._ws: MexcPrivateSpotWebsocket | None = None

    @property
    def client(self) -> MexcPrivateSpotWebsocket | None:
        """The running client, or None."""
        return self._ws

    def orders(self) -> Mapping[OrderId, Order]:
        """Latest state of every order the stream has seen (empty when not running)."""
        return self._ws.orders if self._ws is not None else {}

    def is_connected(self) -> bool:
        return self._ws is not None and self._ws.is_connected()

    async def watch(self, symbol: Symbol) -> None:
        """Make a running stream reconcile ``symbol`` after gaps (MEXC lists fills per symbol only)."""
        if self._ws is not None and symbol not in self._ws.state.symbols:
            await self._ws.track_symbols([symbol])

    async def start(self, handlers: PrivateStreamHandlers, symbols: frozenset[Symbol]) -> None:
        """Start with ``handlers`` (wrapped by :func:`audited`); when running, only swap the handlers."""
        wrapped = audited(handlers)
        if self._ws is not None:
            self._ws.set_handlers(wrapped)
            return
        ws = MexcPrivateSpotWebsocket(
            self._config, rest=self._rest, metrics=self._metrics, handlers=wrapped, symbols=symbols
        )
        self._ws = ws
        try:
            await ws.start()
        except BaseException:
            self._ws = None
            await ws.close()
            raise
        logger.debug("MEXC user stream started")

    async def stop(self, keep: Callable[[Order], object]) -> None:
        """Hand every order's latest state to ``keep``, then close the client. Harmless when stopped."""
        ws, self._ws = self._ws, None
        if ws is None:
            return
        for order in ws.orders.values():
            keep(order)
        await ws.close()
        logger.debug("MEXC user stream stopped")


def audited(handlers: PrivateStreamHandlers) -> PrivateStreamHandlers:
    """``handlers`` preceded by logging: fills and balance changes at INFO, order updates at DEBUG."""

    def log_fill(fill: Fill) -> None:
        logger.info(
            "MEXC fill: %s %s %s @ %s order_id=%s",
            fill.symbol,
            fill.side.value,
            fill.quantity,
            fill.price,
            fill.order_id,
        )

    def log_balance(update: BalanceUpdate) -> None:
        logger.info(
            "Balance updated: %s = %s free, %s locked (%s)",
            update.balance.asset,
            update.balance.free,
            update.balance.locked,
            update.reason,
        )

    def log_order(order: Order) -> None:
        logger.debug("MEXC order update: %s %s %s", order.order_id, order.symbol, order.status.value)

    return PrivateStreamHandlers(
        order_handler=_chain(log_order, handlers.order_handler),
        balance_handler=_chain(log_balance, handlers.balance_handler),
        execution_handler=_chain(log_fill, handlers.execution_handler),
    )


def _chain(first: Callable[[T], None], then: Handler[T] | None) -> Callable[[T], Awaitable[None]]:
    """A handler that runs ``first`` (sync, never fails the chain) and then the user's ``then``."""

    async def handler(event: T) -> None:
        try:
            first(event)
        except Exception:  # logging must never swallow a money event
            logger.debug("event logging failed", exc_info=True)
        await call_handler(then, event)

    return handler
