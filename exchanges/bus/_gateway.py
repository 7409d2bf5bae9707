"""MarketDataGateway: one exchange connection set publishing normalized market data to the bus.

The gateway holds a :class:`~exchanges.interfaces.PublicExchange` (any plugin whose public exchange
also offers ``iter_book_updates()``, the versioned deltas its local books are built from), takes
its share of the symbol universe through :class:`~.leases.LeaseManager`, and for the symbols it
holds publishes (:class:`~.publisher.BusPublisher`):

* every book delta the exchange sends (``md.<ex>.book.<sym>``, id = the version range),
* every trade (``md.<ex>.trade.<sym>``, id = the exchange's trade id),
* tickers (``md.<ex>.ticker.<sym>``), book tickers (``md.<ex>.book_ticker.<sym>``) and candles of
  one width (``md.<ex>.kline_<interval>.<sym>``), see :mod:`._gateway_feeds`,
* the full local book to the snapshot bucket when it becomes LIVE and then every
  ``snapshot_interval`` while it changes, so a new or resyncing consumer always finds a snapshot,
* a gap marker when it starts publishing a symbol that was not handed over to it live (first
  start, or taking over from a dead gateway), and one for each held symbol whose exchange trade
  stream reconnected (``iter_trade_gaps()``): trades before it may be missing,
* every ``liveness_interval`` a liveness message (``mdlive.<ex>``, core NATS) naming the symbols whose
  book is LIVE and published, with their last published version: a consumer that hears neither a
  delta nor this for a symbol marks its book STALE (a quiet market is not a silent feed).

Self-check: a held symbol that is not LIVE and published for ``stuck_after`` seconds (a subscription
that never took, a book that never synced) is unsubscribed and its lease given back, so this or
another gateway takes it afresh; it is counted in ``bus.gateway.stuck_given_back`` (:mod:`._gateway_health`).

Subscription caps (MEXC: 30 channels per connection) are the plugin's business: its WebSocket pool
opens as many connections as the gateway's symbols need.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import msgspec

from exchanges.interfaces import PublicExchange
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookUpdate, Symbol, TradeGap
from exchanges.tasks import cancel_and_wait

from ._connection import BusConnection, BusConnectOptions, BusObjects, connect_bus, declare_bus
from ._gateway_feeds import Feed, SupportsTradeGaps, check_channels, extra_feeds
from ._gateway_health import PublishRates, StuckSymbols, member_info
from ._gateway_settings import GatewayExchange, GatewaySettings, SupportsBookUpdates, new_gateway_id
from ._leases import LeaseManager
from ._publisher import BusPublisher
from ._subjects import Subjects, kline_channel, parse_symbol_token, symbol_token
from .parsing._control import Liveness, MemberInfo

logger = logging.getLogger("exchanges.bus.gateway")

__all__ = ["GatewayExchange", "GatewaySettings", "MarketDataGateway", "SupportsBookUpdates", "new_gateway_id"]


class MarketDataGateway:
    """Publishes its share of ``universe`` from ``exchange`` to the bus at ``nats_url``."""

    def __init__(
        self,
        exchange: PublicExchange,
        *,
        exchange_name: str,
        nats_url: str,
        universe: Sequence[Symbol],
        settings: GatewaySettings | None = None,
        connect: BusConnectOptions | None = None,
        gateway_id: str | None = None,
    ) -> None:
        if not isinstance(exchange, GatewayExchange):
            raise TypeError(
                f"{type(exchange).__name__} lacks book, trade or ticker streams or iter_book_updates(): "
                "it cannot feed a gateway"
            )
        self.exchange: GatewayExchange = exchange
        self.public: PublicExchange = exchange
        self.settings = settings or GatewaySettings()
        check_channels(exchange, self.settings.channels)
        self._feeds: list[Feed] = []
        self.subjects = Subjects(exchange_name, self.settings.group)
        self.nats_url = nats_url
        self.gateway_id = gateway_id or new_gateway_id()
        self.universe = {symbol_token(s): s for s in universe}
        self.metrics = MetricsRegistry()
        self._connect = connect
        self._conn: BusConnection | None = None
        self._objects: BusObjects | None = None
        self.publisher: BusPublisher | None = None
        self.leases: LeaseManager | None = None
        self.owned: set[Symbol] = set()  # symbols we publish (held leases, or warming for a hand-over)
        self._snapshotted: dict[Symbol, tuple[int | None, float]] = {}
        self._published: dict[Symbol, int] = {}  # last book version published (delta or snapshot)
        self._stuck = StuckSymbols(self.gateway_id, self.metrics)
        self._tasks: list[asyncio.Task[None]] = []
        self._started = time.time()
        self._rates = PublishRates(self.metrics)
        self._stopped = asyncio.Event()
        self._streams_lock = asyncio.Lock()
        self._stopping: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect, declare the bus objects, start the publishing loops and take a share."""
        conn = await connect_bus(self.nats_url, name=f"gateway {self.gateway_id}", options=self._connect)
        self._conn = conn
        self._objects = await declare_bus(conn.js, self.subjects, lease_ttl=self.settings.leases.ttl)
        self.publisher = BusPublisher(
            conn, self._objects, self.subjects, gateway_id=self.gateway_id, metrics=self.metrics
        )
        loop = asyncio.get_running_loop()
        channels = self.settings.channels
        if "book" in channels:
            self._tasks.append(
                loop.create_task(self._pump(self.exchange.iter_book_updates(), self._publish_delta))
            )
            self._tasks.append(loop.create_task(self._liveness_loop(), name="gateway-liveness"))
            self._tasks.append(loop.create_task(self._snapshot_loop(), name="gateway-snapshots"))
        if "trade" in channels:
            self._tasks.append(
                loop.create_task(self._pump(self.exchange.iter_trades(), self.publisher.trade))
            )
        if "ticker" in channels:
            self._tasks.append(
                loop.create_task(self._pump(self.exchange.iter_tickers(), self.publisher.ticker))
            )
        self._feeds = extra_feeds(self.exchange, channels, self.settings.kline_interval, self.publisher)
        for feed in self._feeds:
            self._tasks.append(
                loop.create_task(self._pump(feed.events(), feed.publish), name=f"gw-{feed.name}")
            )
        if "trade" in channels and isinstance(self.exchange, SupportsTradeGaps):
            gaps = self.exchange.iter_trade_gaps()
            self._tasks.append(loop.create_task(self._pump(gaps, self._publish_trade_gap), name="gw-gaps"))
        self._tasks.append(loop.create_task(self._maintenance(), name="gateway-maintenance"))
        self.leases = LeaseManager(
            leases=self._objects.leases,
            members=self._objects.members,
            gateway_id=self.gateway_id,
            universe=list(self.universe),
            acquire=self._acquire,
            release=self._release,
            member_info=self._member_info,
            settings=self.settings.leases,
            metrics=self.metrics,
        )
        await self.leases.start()
        logger.info(
            "gateway %s publishing %s to %s (group %s, %d symbols in the universe)",
            self.gateway_id,
            self.subjects.exchange,
            self.nats_url,
            self.settings.group,
            len(self.universe),
        )

    async def stop(self) -> None:
        """Hand the symbols over (bounded), stop publishing, close the bus connection."""
        if self.leases is not None:
            await self.leases.stop()
        if self._stopping:  # unsubscriptions in flight end first (they never raise: see _unsubscribe)
            await asyncio.wait(list(self._stopping))  # raises only the caller's own cancellation
        for task in self._tasks:
            await cancel_and_wait(task)  # the caller's own cancellation is re-raised, never swallowed
        self._tasks.clear()
        if self.publisher is not None:
            await self.publisher.drain(2.0)
        if self._conn is not None:
            await self._conn.close()
        self._stopped.set()

    async def run_forever(self) -> None:
        await self._stopped.wait()

    # ------------------------------------------------------------------ leases -> streams

    async def _acquire(self, tokens: list[str], continuous: bool) -> list[str]:
        """Start publishing ``tokens``. Subscriptions and unsubscriptions run one at a time, in call
        order (``_streams_lock``), so a stop still in flight can never undo a later start."""
        async with self._streams_lock:
            return await self._start(tokens, continuous)

    async def _start(self, tokens: list[str], continuous: bool) -> list[str]:
        symbols = [self.universe[t] for t in tokens if t in self.universe]
        self.owned.update(symbols)
        ex = self.exchange
        channels = self.settings.channels
        if not continuous and self.publisher is not None and "trade" in channels:
            for symbol in symbols:  # nobody published these just before us: trades may be missing
                await self.publisher.gap(symbol, f"publisher {self.gateway_id} started")
        try:
            if "book" in channels:
                await ex.start_orderbook_stream(symbols)
            if "trade" in channels:
                await ex.start_trades_stream(symbols)
            if "ticker" in channels:
                await ex.start_ticker_stream(symbols)
            for feed in self._feeds:
                await feed.start(symbols)
        except Exception as exc:
            logger.warning(
                "gateway %s: subscribing %d symbols failed: %r", self.gateway_id, len(symbols), exc
            )
            self.owned.difference_update(symbols)
            return []
        # A hand-over needs our books LIVE before we take the lease (the other gateway still publishes);
        # a free or dead gateway's symbol is ours at once (the snapshot loop stores each book once LIVE).
        if continuous and "book" in channels:
            ready = await self._wait_live(symbols)
        else:
            ready = symbols
        lost = [s for s in symbols if s not in ready]
        if lost:
            await self._unsubscribe(lost)
        return [symbol_token(s) for s in ready]

    async def _wait_live(self, symbols: list[Symbol]) -> list[Symbol]:
        deadline = time.monotonic() + self.settings.ready_timeout
        pending = set(symbols)
        while pending and time.monotonic() < deadline:
            pending = {s for s in pending if self.exchange.orderbook_state(s) is not BookState.LIVE}
            if pending:
                await asyncio.sleep(0.05)
        if pending:
            logger.warning("gateway %s: %d books not LIVE in time", self.gateway_id, len(pending))
        ready = [s for s in symbols if s not in pending]
        for symbol in ready:  # the book is LIVE: store its snapshot before anyone needs it
            await self._put_snapshot(symbol)
        return ready

    async def _release(self, tokens: list[str]) -> None:
        """Stop publishing ``tokens`` now; their streams stop in the background, after any start in
        flight (the lease keep-alive calling this must never wait for a slow subscription)."""
        symbols = [self.universe[t] for t in tokens if t in self.universe]
        self.owned.difference_update(symbols)
        task = asyncio.get_running_loop().create_task(self._locked_unsubscribe(symbols))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def _locked_unsubscribe(self, symbols: list[Symbol]) -> None:
        async with self._streams_lock:
            await self._unsubscribe([s for s in symbols if s not in self.owned])

    async def _unsubscribe(self, symbols: list[Symbol]) -> None:
        self.owned.difference_update(symbols)
        for symbol in symbols:
            self._snapshotted.pop(symbol, None)
            self._published.pop(symbol, None)
        if not symbols:
            return
        ex = self.exchange
        # each stop is tried even if another fails (a failed one would leave its channels behind)
        for stop in (ex.stop_orderbook_stream, ex.stop_trades_stream, ex.stop_ticker_stream):
            try:
                await stop(symbols)
            except Exception as exc:  # the exchange connection is going or gone: nothing to stop
                logger.warning("gateway %s: %s failed: %r", self.gateway_id, stop.__name__, exc)
        for feed in self._feeds:
            try:
                await feed.stop(symbols)
            except Exception as exc:
                logger.warning("gateway %s: stopping %s failed: %r", self.gateway_id, feed.name, exc)

    # ------------------------------------------------------------------ publishing loops

    async def _pump(self, events: AsyncIterator[Any], publish: Callable[[Any], Awaitable[None]]) -> None:
        owned = self.owned
        async for event in events:
            if event.symbol in owned:
                try:
                    await publish(event)
                except Exception as exc:  # one bad event never stops the gateway
                    logger.warning(
                        "gateway %s: publishing %s failed: %r", self.gateway_id, type(event).__name__, exc
                    )

    async def _publish_delta(self, update: BookUpdate) -> None:
        assert self.publisher is not None
        await self.publisher.book_delta(update)
        self._published[update.symbol] = update.last_version

    async def _publish_trade_gap(self, gap: TradeGap) -> None:
        """Our own exchange stream lost trades of a held symbol: every consumer must count it."""
        assert self.publisher is not None
        await self.publisher.gap(gap.symbol, gap.reason)

    async def _put_snapshot(self, symbol: Symbol) -> None:
        if self.publisher is None or symbol not in self.owned:
            return  # released meanwhile: the new holder's snapshot must not be overwritten
        try:
            book = self.exchange.get_local_orderbook(symbol, None)
            await self.publisher.snapshot(book)
            self._snapshotted[symbol] = (book.version, time.monotonic())
            if book.version is not None:
                self._published[symbol] = max(book.version, self._published.get(symbol, 0))
        except Exception as exc:
            logger.debug("snapshot of %s skipped: %r", symbol, exc)

    async def _snapshot_loop(self) -> None:
        interval = self.settings.snapshot_interval
        while True:
            await asyncio.sleep(min(0.25, interval))
            now = time.monotonic()
            for symbol in list(self.owned):
                try:
                    if self.exchange.orderbook_state(symbol) is not BookState.LIVE:
                        continue
                    version = self.exchange.get_local_orderbook(symbol, 1).version
                except KeyError:
                    continue
                last = self._snapshotted.get(symbol)
                if last is None or (last[0] != version and now - last[1] >= interval):
                    await self._put_snapshot(symbol)

    def _serving(self, symbol: Symbol) -> bool:
        """We publish ``symbol`` now: owned, its book LIVE, and something of it published."""
        if symbol not in self.owned or symbol not in self._published:
            return False
        try:
            return self.exchange.orderbook_state(symbol) is BookState.LIVE
        except KeyError:
            return False

    async def _liveness_loop(self) -> None:
        """Tell consumers which symbols we serve, also when the market is quiet."""
        encode = msgspec.json.Encoder().encode
        while True:
            await asyncio.sleep(self.settings.liveness_interval)
            if self._conn is None:
                continue
            served = {symbol_token(s): self._published[s] for s in list(self.owned) if self._serving(s)}
            try:
                liveness = Liveness(self.gateway_id, served, self.published_channels())
                await self._conn.nc.publish(self.subjects.liveness, encode(liveness))
            except Exception as exc:  # NATS down: consumers go STALE, which is the truth
                logger.debug("liveness publish failed: %r", exc)

    async def _check_stuck(self) -> None:
        """Give back held symbols we have not served for ``stuck_after`` seconds (see module doc)."""
        leases = self.leases
        if leases is None or "book" not in self.settings.channels:
            return
        held = {
            self.universe[t]
            for t, h in list(leases.held.items())
            if t in self.universe and h.offered_at is None
        }
        stuck = self._stuck.due(held, self._serving, self.settings.stuck_after)
        if not stuck:
            return
        async with self._streams_lock:
            await self._unsubscribe(stuck)  # fresh streams when it is taken again, here or elsewhere
        # another gateway should try first (the fault may be our connection); we retry after 2 TTLs
        await leases.give_back([symbol_token(s) for s in stuck], avoid_for=2 * leases.settings.ttl)

    async def _maintenance(self) -> None:
        """Gap markers after publish failures, the stuck-symbol self-check, publish rates."""
        while True:
            await asyncio.sleep(1.0)
            if self.publisher is not None:
                try:
                    await self.publisher.flush_gap_markers()
                except Exception as exc:  # the bus is down: the markers stay pending for the next round
                    logger.debug("gateway %s: gap markers not flushed: %r", self.gateway_id, exc)
            try:
                await self._check_stuck()
            except Exception as exc:  # the self-check must never stop maintenance
                logger.warning("gateway %s: self-check failed: %r", self.gateway_id, exc)
            self._rates.update()

    def _member_info(self) -> MemberInfo:
        return member_info(
            self.gateway_id,
            started=self._started,
            leases=self.leases,
            rates=self._rates.rates,
            metrics=self.metrics,
            channels=self.published_channels(),
        )

    # ------------------------------------------------------------------ observability

    def published_channels(self) -> list[str]:
        """The channels this gateway publishes, named as in the subjects (``kline_1m``)."""
        kline = kline_channel(self.settings.kline_interval)
        return [kline if channel == "kline" else channel for channel in self.settings.channels]

    def held_symbols(self) -> list[Symbol]:
        leases = self.leases
        return sorted((parse_symbol_token(t) for t in leases.held) if leases else [], key=str)

    def get_performance_metrics(self) -> dict[str, Any]:
        data = self.metrics.snapshot()
        data["gateway_id"] = self.gateway_id
        data["held"] = len(self.leases.held) if self.leases is not None else 0
        data["rates"] = dict(self._rates.rates)
        data["nats_connected"] = self._conn.connected if self._conn is not None else False
        return data
