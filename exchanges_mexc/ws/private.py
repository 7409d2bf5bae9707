"""MexcPrivateSpotWebsocket: the MEXC user data stream (orders, fills, balances) with recovery.

* **Listen keys.** The connection URL is ``config.ws_url?listenKey=<key>``, minted through
  ``MexcPrivateSpotRest.create_listen_key`` by the transport's URL factory. On a reconnect the key
  is first verified with a keep-alive; a rejected key is replaced. A keep-alive PUT runs every
  ``keepalive_interval`` seconds (default 30 min; MEXC keys live 60 min). When MEXC says
  ``Invalid listen key`` or rejects the keep-alive, a new key is minted and the connection is
  rotated onto it, then the state is reconciled. The key is deleted on close. Keys never appear in
  logs, reprs or metrics.
* **Channels.** ``spot@private.account|orders|deals.v3.api.pb`` are subscribed explicitly (MEXC
  requires it) and re-sent by the transport after every reconnect.
* **Exactly once.** Pushed fills are de-duplicated by trade id and order updates by
  ``(order id, status, filled quantity)``; an order update older than the known state is dropped.
  ``orders`` holds the latest state of every open order and of the 10,000 most recently finished ones.
* **Reconciliation.** On start the existing fills and open orders of the symbols of interest are
  recorded silently (the baseline). After every reconnect (or key replacement) the REST truth is
  fetched (:mod:`.reconcile`) and the missed fills, order changes and balance changes are
  delivered once, before any push that arrived meanwhile (pushes are held during reconciliation).
* **Delivery.** Events go to ``PrivateStreamHandlers`` (``order_handler``, ``execution_handler``,
  ``balance_handler``; sync or async, on consumer tasks) and to async iterators
  (``order_updates()``, ``fills()``, ``balance_updates()``). Private streams are unbounded: money
  events are never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

import aiohttp

from exchanges.config import ExchangeConfig
from exchanges.errors import ExchangeConnectionError
from exchanges.handlers import PrivateStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    AssetBalance,
    AssetName,
    BalanceUpdate,
    ConnectionState,
    ConnectionStateChange,
    Fill,
    Order,
    OrderId,
    Symbol,
)
from exchanges.strategies import ReconnectionPolicy
from exchanges.streams import EventStream, StreamIterator
from exchanges.tasks import cancel_and_wait, finish_then_reraise
from exchanges.transport.ws import ReconnectingWebSocket, WsOptions
from exchanges_mexc.parsing import ControlMessage, MexcFrameDecoder
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import reconcile as rc
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.channels import PRIVATE_CHANNELS
from exchanges_mexc.ws.codec import MexcSubscriptionCodec, is_ack_frame
from exchanges_mexc.ws.connection_events import ConnectionWatcher
from exchanges_mexc.ws.dispatch import FRAME_PROCESSING, sampled_frame_handler
from exchanges_mexc.ws.listen_key import KEEPALIVE_INTERVAL, ListenKeyKeeper
from exchanges_mexc.ws.strategy import MexcConnectionStrategy

logger = logging.getLogger("exchanges.mexc.ws.private")

_RETRY = ReconnectionPolicy(initial_delay=0.2, max_delay=10.0)


class MexcPrivateSpotWebsocket:
    """MEXC spot user data stream with listen-key management and REST reconciliation."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        rest: MexcPrivateSpotRest,
        metrics: MetricsRegistry | None = None,
        handlers: PrivateStreamHandlers | None = None,
        symbols: Iterable[Symbol] = (),
        symbol_mapper: MexcSymbolMapper | None = None,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        ack_timeout: float | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else MetricsRegistry()
        self._rest = rest
        self.symbol_mapper = symbol_mapper if symbol_mapper is not None else rest.public.symbol_mapper
        self._ack_timeout = ack_timeout if ack_timeout is not None else max(config.connect_timeout, 1.0)
        self._session = session
        self.state = rc.PrivateState(symbols)
        self._decoder = MexcFrameDecoder(self.symbol_mapper, self.metrics, prefix="mexc.ws.private.frames")
        self._acks = AckTracker(self.metrics, prefix="mexc.ws.private")
        m = self.metrics
        self.order_stream: EventStream[Order] = EventStream("orders", m, maxsize=0, prefix="mexc.ws.private")
        self.fill_stream: EventStream[Fill] = EventStream("fills", m, maxsize=0, prefix="mexc.ws.private")
        self.balance_stream: EventStream[BalanceUpdate] = EventStream(
            "balances", m, maxsize=0, prefix="mexc.ws.private"
        )
        self.connection_state_stream: EventStream[ConnectionStateChange] = EventStream(
            "connection_states", m, maxsize=0, prefix="mexc.ws.private"
        )
        self.error_stream: EventStream[BaseException] = EventStream(
            "errors", m, maxsize=0, prefix="mexc.ws.private"
        )
        self.listen_keys = ListenKeyKeeper(
            rest, config.ws_url, m, interval=keepalive_interval, on_rejected=self._schedule_renew
        )
        self._m_reconciles = m.counter("mexc.ws.private.reconciliations")
        self._m_recovered_fills = m.counter("mexc.ws.private.reconciled_fills")
        self._m_recovered_orders = m.counter("mexc.ws.private.reconciled_orders")
        self._m_duplicates = m.counter("mexc.ws.private.duplicates")
        self._on_frame = sampled_frame_handler(
            self._route_frame,
            m.counter("mexc.ws.private.frames"),
            m.histogram(FRAME_PROCESSING),
            streams=(self.order_stream, self.fill_stream, self.balance_stream),
        )
        self._ws: ReconnectingWebSocket | None = None
        self._holding = True
        self._held: list[Any] = []
        self._started = False
        self._closed = False
        self._reconcile_task: asyncio.Task[None] | None = None
        self._reconcile_again = False
        self._last_frame_ms = int(time.time() * 1000)
        """Wall-clock ms of the last frame heard (the start of a gap, should the socket die now)."""
        self._gap_since: int | None = None
        """Start of the oldest gap not yet reconciled (None: none)."""
        self._renew_task: asyncio.Task[None] | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self._failing: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        """Why the stream gave up for good (None while it is running or was closed normally)."""
        self.handlers = PrivateStreamHandlers()
        if handlers is not None:
            self.set_handlers(handlers)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Mint a key, connect, subscribe, record the baseline, then deliver pushes. Idempotent."""
        if self._started:
            return
        self._started = True
        options = WsOptions(
            max_queue_size=self.config.ws_max_queue_size,
            overflow_policy="block",
            ready_check=is_ack_frame,
            liveness_timeout=self.config.ws_liveness_timeout,
        )
        ws = ReconnectingWebSocket(
            self.listen_keys.url,
            name="mexc_private",
            on_frame=self._on_frame,
            codec=MexcSubscriptionCodec(),
            strategy=MexcConnectionStrategy(self.config, name="mexc_private"),
            metrics=self.metrics,
            options=options,
            on_connected=self._on_connected,
            session=self._session,
        )
        ConnectionWatcher(
            self.connection_state_stream,
            self.metrics.counter("mexc.ws.private.connection_states"),
            self._on_lost,
        ).attach(ws)
        self._ws = ws
        futures = self._acks.expect(PRIVATE_CHANNELS)
        await ws.subscribe(PRIVATE_CHANNELS)
        try:
            self._last_frame_ms = int(time.time() * 1000)  # the baseline covers what came before
            await ws.start()
            await self._acks.wait(PRIVATE_CHANNELS, futures, within=self._ack_timeout)
            await rc.baseline_balances(self._rest, self.state)
            await rc.baseline(self._rest, self.state, list(self.state.symbols))
        except BaseException:
            await self.close()
            raise
        self._release_held(force=True)
        self._keepalive_task = asyncio.get_running_loop().create_task(
            self.listen_keys.run(), name="mexc-private-keepalive"
        )

    async def close(self) -> None:
        """Stop the stream, delete the listen key, end the iterators. Idempotent."""
        if self._closed:
            return
        self._closed = True
        # A caller cancelled meanwhile still gets the socket and listen key released, then its
        # CancelledError back (never swallowed).
        await finish_then_reraise(self._close_now(asyncio.current_task()), name="mexc-private-close")

    async def _close_now(self, caller: asyncio.Task[object] | None) -> None:
        if self._failing is not None and not self._failing.done():
            await asyncio.wait([self._failing])  # the iterators end with the terminal error
        for task in (self._keepalive_task, self._reconcile_task, self._renew_task):
            if task is not caller:  # close() called from our own reconcile/renew task
                await cancel_and_wait(task)
        if self._holding:  # pushes held for a reconciliation that will not finish: deliver them now
            self._release_held(force=False)
        if self._ws is not None:
            await self._ws.close()
        await self.listen_keys.close()
        for stream in (
            self.order_stream,
            self.fill_stream,
            self.balance_stream,
            self.connection_state_stream,
            self.error_stream,
        ):
            await stream.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "connected" if self.is_connected() else "disconnected"
        return f"<MexcPrivateSpotWebsocket {state} orders={len(self.state.orders)}>"

    def set_handlers(self, handlers: PrivateStreamHandlers) -> None:
        """Install the spec-style callbacks (``handlers.order_handler`` ...)."""
        self.handlers = handlers
        self.order_stream.set_handler(handlers.order_handler)
        self.fill_stream.set_handler(handlers.execution_handler)
        self.balance_stream.set_handler(handlers.balance_handler)
        self.connection_state_stream.set_handler(handlers.connection_state_handler)
        self.error_stream.set_handler(handlers.error_handler)

    async def track_symbols(self, symbols: Sequence[Symbol]) -> None:
        """Add symbols of interest for reconciliation (their current fills/orders become the baseline)."""
        new = [symbol for symbol in symbols if symbol not in self.state.symbols]
        if new and self._started:
            await rc.baseline(self._rest, self.state, new)
        self.state.symbols.update(new)

    # ------------------------------------------------------------------ reading

    @property
    def orders(self) -> Mapping[OrderId, Order]:
        """Latest known state of every order seen, by order id (kept current by the stream)."""
        return self.state.orders

    @property
    def balances(self) -> dict[AssetName, AssetBalance]:
        return self.state.balances

    def order_updates(self, symbol: Symbol | None = None) -> StreamIterator[Order]:
        return self.order_stream.iterate(None if symbol is None else lambda order: order.symbol == symbol)

    def fills(self, symbol: Symbol | None = None) -> StreamIterator[Fill]:
        return self.fill_stream.iterate(None if symbol is None else lambda fill: fill.symbol == symbol)

    def balance_updates(self) -> StreamIterator[BalanceUpdate]:
        return self.balance_stream.iterate()

    def is_connected(self) -> bool:
        return self._ws is not None and self._ws.connected

    @property
    def reconciling(self) -> bool:
        return self._holding

    async def wait_reconciled(self) -> None:
        """Wait until no reconciliation is running (bound it with ``asyncio.timeout``)."""
        while self._reconcile_task is not None and not self._reconcile_task.done():
            await asyncio.shield(self._reconcile_task)

    def get_performance_metrics(self) -> dict[str, Any]:
        data = self.metrics.snapshot()
        data.update(self._decoder.stats())
        data["tracked_orders"] = len(self.state.orders)
        return data

    # ------------------------------------------------------------------ listen keys

    def _schedule_renew(self) -> None:
        """The key was rejected: move onto a new one (see :meth:`_renew`)."""
        self._note_gap()
        if self._closed or (self._renew_task is not None and not self._renew_task.done()):
            return
        self._renew_task = asyncio.get_running_loop().create_task(self._renew(), name="mexc-private-renew")

    async def _renew(self) -> None:
        """Move the stream onto a new listen key, then reconcile what the old one missed."""
        attempt = 0
        ws = self._ws
        while not self._closed and ws is not None and self.listen_keys.invalid:
            if not ws.connected:
                return  # the supervisor reconnects; the URL factory mints; on_connected reconciles
            try:
                await ws.rotate()
            except ExchangeConnectionError as error:
                logger.warning("could not move the user stream to a new listen key: %s", error)
                await asyncio.sleep(_RETRY.delay(attempt))
                attempt += 1
                continue
            self._start_reconcile()
            return

    # ------------------------------------------------------------------ reconnect and reconciliation

    def _on_lost(self, ws: ReconnectingWebSocket, state: ConnectionState) -> None:
        """Lost or silent: the reconnect reconciles (see ``_on_connected``). Gave up for good: the
        error goes to ``error_handler`` and every iterator raises it after its buffered events."""
        self._note_gap()
        if state is ConnectionState.FAILED and ws.error is not None and self._failing is None:
            logger.error("user stream gave up: %s", ws.error)
            self.error = ws.error
            self.error_stream.publish(ws.error)
            self._failing = asyncio.get_running_loop().create_task(
                self._end_streams(ws.error), name="mexc-private-failed"
            )

    async def _end_streams(self, error: BaseException) -> None:
        for stream in (self.order_stream, self.fill_stream, self.balance_stream):
            await stream.close(error=error)

    def connection_states(self) -> StreamIterator[ConnectionStateChange]:
        """The user stream connection's state changes from now on (unbounded)."""
        return self.connection_state_stream.iterate()

    async def _on_connected(self) -> None:
        if not self._started or self._ws is None:
            return
        if self.listen_keys.urls_served <= 1:
            return  # the first connection: start() records the baseline
        self._start_reconcile()

    def _note_gap(self) -> None:
        """Pushes may be lost from now on: the next reconciliation reads the order history from the
        last frame heard (kept until a reconciliation covering it succeeds)."""
        if self._gap_since is None:
            self._gap_since = self._last_frame_ms

    def _start_reconcile(self) -> None:
        if self._closed:
            return
        self._holding = True
        if self._reconcile_task is not None and not self._reconcile_task.done():
            self._reconcile_again = True
            return
        self._reconcile_task = asyncio.get_running_loop().create_task(
            self._reconcile_loop(), name="mexc-private-reconcile"
        )

    async def _reconcile_loop(self) -> None:
        attempt = 0
        since: int | None = None
        while not self._closed:
            self._reconcile_again = False
            gap, self._gap_since = self._gap_since, None
            since = min((t for t in (since, gap) if t is not None), default=None)  # oldest unreconciled
            try:
                result = await rc.reconcile(self._rest, self.state, since=since)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("user stream reconciliation failed (%r); retrying", error)
                await asyncio.sleep(_RETRY.delay(attempt))
                attempt += 1
                continue
            since = None
            self._m_reconciles.inc()
            self._m_recovered_fills.inc(len(result.fills))
            self._m_recovered_orders.inc(len(result.orders))
            if result.fills or result.orders:
                logger.info(
                    "user stream reconciled: %d missed fills, %d order changes",
                    len(result.fills),
                    len(result.orders),
                )
            for fill in result.fills:
                self.fill_stream.publish(fill)
            for order in result.orders:
                self.order_stream.publish(order)
            for update in result.balances:
                self.balance_stream.publish(update)
            if not self._reconcile_again:
                break
        self._release_held(force=False)

    def _release_held(self, *, force: bool) -> None:
        """Deliver pushes held during the baseline/reconciliation, through the normal de-duplication."""
        held, self._held = self._held, []
        self._holding = False
        for event in held:
            self._deliver(event, force=force)

    # ------------------------------------------------------------------ frames

    def _route_frame(self, frame: bytes | str) -> None:
        self._last_frame_ms = int(time.time() * 1000)
        for event in self._decoder.decode(frame):
            if isinstance(event, ControlMessage):
                self._on_control(event)
            elif self._holding:
                self._held.append(event)
            else:
                self._deliver(event, force=False)

    def _on_control(self, control: ControlMessage) -> None:
        if control.invalid_listen_key:
            logger.warning("MEXC says the listen key is invalid; switching to a new key")
            self.listen_keys.mark_invalid()
            self._schedule_renew()
            return
        self._acks.handle(control)

    def _deliver(self, event: Any, *, force: bool) -> None:
        state = self.state
        if isinstance(event, Fill):
            if state.accept_fill(event, force=force):
                self.fill_stream.publish(event)
            else:
                self._m_duplicates.inc()
        elif isinstance(event, Order):
            if state.accept_order(event, force=force):
                self.order_stream.publish(event)
            else:
                self._m_duplicates.inc()
        elif isinstance(event, BalanceUpdate):
            state.apply_balance(event)
            self.balance_stream.publish(event)
