"""Pure parts of the MEXC WebSocket plugin: channel names, codec, acks, strategy, stream fan-out."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.config import ExchangeConfig
from exchanges.errors import SubscriptionError
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BookState,
    BookStateChange,
    BookTicker,
    BookUpdate,
    Fill,
    Kline,
    KlineInterval,
    Order,
    OrderBook,
    OrderBookEntry,
    OrderId,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    Ticker,
    Trade,
)
from exchanges.streams import EventStream
from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2
from exchanges_mexc.parsing import MexcFrameDecoder, control_from_json
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.codec import PING_MESSAGE, MexcSubscriptionCodec
from exchanges_mexc.ws.dedupe import TradeDeduper, VersionGate
from exchanges_mexc.ws.dispatch import FRAME_SAMPLE_EVERY, PublicRouter, sampled_frame_handler
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket
from exchanges_mexc.ws.strategy import MexcConnectionStrategy

PAIRS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=12)


def test_channel_names_match_api_doc() -> None:
    assert ch.aggre_deals("BTCUSDT") == "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
    assert ch.aggre_deals("BTCUSDT", "10ms") == "spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT"
    assert ch.aggre_depth("ETHUSDT", "10ms") == "spot@public.aggre.depth.v3.api.pb@10ms@ETHUSDT"
    assert ch.aggre_book_ticker("BTCUSDT") == "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"
    assert ch.book_ticker_batch("BTCUSDT") == "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT"
    assert ch.limit_depth("BTCUSDT", 5) == "spot@public.limit.depth.v3.api.pb@BTCUSDT@5"
    assert ch.kline("BTCUSDT", KlineInterval.HOUR_1) == "spot@public.kline.v3.api.pb@BTCUSDT@Min60"
    assert ch.kline("BTCUSDT", "Month1") == "spot@public.kline.v3.api.pb@BTCUSDT@Month1"
    assert ch.mini_ticker("BTCUSDT", "UTC+5:30") == "spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+5:30"
    assert ch.mini_tickers("UTC+8") == "spot@public.miniTickers.v3.api.pb@UTC+8"
    assert ch.PRIVATE_CHANNELS == (
        "spot@private.account.v3.api.pb",
        "spot@private.orders.v3.api.pb",
        "spot@private.deals.v3.api.pb",
    )
    assert set(ch.KLINE_INTERVALS.values()) == {
        "Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Hour8", "Day1", "Week1", "Month1",
    }  # fmt: skip


@pytest.mark.parametrize(
    "build",
    [
        lambda: ch.aggre_deals("btcusdt"),
        lambda: ch.aggre_deals("BTCUSDT", "1s"),
        lambda: ch.limit_depth("BTCUSDT", 50),
        lambda: ch.kline("BTCUSDT", "1m"),
        lambda: ch.mini_ticker("BTCUSDT", "UTC+14"),
        lambda: ch.mini_tickers("utc+8"),
        lambda: ch.aggre_depth("BTC/USDT"),
    ],
)
def test_invalid_parameters_fail_at_the_call_site(build: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "name",
    [
        "spot@public.limit.depth.v3.api@BTCUSDT@20",  # legacy JSON: Blocked on MEXC
        "spot@public.ticker.v3.api@BTCUSDT",
        "spot@public.deals.v3.api.pb@BTCUSDT",  # hidden channel, not offered
        "spot@aggre.deals.v3.api.pb@100ms@BTCUSDT",
        "spot@private.aggre.deals.v3.api.pb@100ms@BTCUSDT",
        "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
        "spot@private.orders.v3.api.pb@BTCUSDT",
    ],
)
def test_parse_channel_rejects_outdated_and_malformed(name: str) -> None:
    assert not ch.is_current_channel(name)


@given(
    pair=PAIRS,
    interval=st.sampled_from(ch.STREAM_INTERVALS),
    level=st.sampled_from(ch.LIMIT_DEPTH_LEVELS),
    kline=st.sampled_from(list(KlineInterval)),
    tz=st.sampled_from(ch.MINI_TICKER_TIMEZONES),
)
def test_builders_and_parser_round_trip(
    pair: str, interval: str, level: int, kline: KlineInterval, tz: str
) -> None:
    cases = [
        (ch.aggre_deals(pair, interval), ch.ChannelKind.AGGRE_DEALS, pair, interval),
        (ch.aggre_depth(pair, interval), ch.ChannelKind.AGGRE_DEPTH, pair, interval),
        (ch.aggre_book_ticker(pair, interval), ch.ChannelKind.AGGRE_BOOK_TICKER, pair, interval),
        (ch.book_ticker_batch(pair), ch.ChannelKind.BOOK_TICKER_BATCH, pair, None),
        (ch.limit_depth(pair, level), ch.ChannelKind.LIMIT_DEPTH, pair, str(level)),
        (ch.kline(pair, kline), ch.ChannelKind.KLINE, pair, ch.KLINE_INTERVALS[kline]),
        (ch.mini_ticker(pair, tz), ch.ChannelKind.MINI_TICKER, pair, tz),
        (ch.mini_tickers(tz), ch.ChannelKind.MINI_TICKERS, None, tz),
    ]
    for name, kind, want_pair, param in cases:
        assert ch.parse_channel(name) == ch.Channel(kind, want_pair, param)
    for name in ch.PRIVATE_CHANNELS:
        assert ch.parse_channel(name).pair is None


def test_codec_encodes_mexc_requests_with_increasing_ids() -> None:
    codec = MexcSubscriptionCodec()
    first = msgspec.json.decode(codec.subscribe(["a", "b"]))
    second = msgspec.json.decode(codec.unsubscribe(["a"]))
    assert first == {"method": "SUBSCRIPTION", "params": ["a", "b"], "id": 1}
    assert second == {"method": "UNSUBSCRIPTION", "params": ["a"], "id": 2}
    assert msgspec.json.decode(PING_MESSAGE) == {"method": "PING"}
    with pytest.raises(ValueError, match="at least one"):
        codec.subscribe([])
    with pytest.raises(ValueError, match="exceeds"):
        codec.subscribe([str(i) for i in range(31)])


def test_strategy_follows_config() -> None:
    config = ExchangeConfig(name="mexc_spot", rest_url="http://x", ws_url="ws://x", ws_ping_interval=5.0)
    strategy = MexcConnectionStrategy(config.with_overrides(ws_max_lifetime=12.0))
    options = strategy.connect_options()
    assert dict(options.headers) == {}
    assert options.compress == 0
    assert strategy.keepalive_interval == 5.0
    assert strategy.keepalive_message() == PING_MESSAGE
    assert strategy.max_connection_lifetime == 12.0
    assert strategy.reconnection_policy().max_attempts is None
    assert strategy.should_reconnect(None, 1005)
    assert strategy.should_reconnect(None, 1006)
    assert strategy.should_reconnect(ConnectionResetError(), None)
    with pytest.raises(ValueError, match="60 s"):
        MexcConnectionStrategy(config.with_overrides(ws_ping_interval=60.0))


BLOCKED = "Not Subscribed successfully! [spot@public.deals.v3.api@BTCUSDT].  Reason： Blocked! "


async def test_ack_tracker_resolves_and_rejects() -> None:
    metrics = MetricsRegistry()
    rejected: list[str] = []
    tracker = AckTracker(metrics, on_rejected=lambda channel, _error: rejected.append(channel))
    good = ["c1@x", "c2@x"]
    futures = tracker.expect(good)
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": "c1@x,c2@x"}))
    await tracker.wait(good, futures, within=1.0)

    bad = ["spot@public.deals.v3.api@BTCUSDT"]
    futures = tracker.expect(bad)
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": BLOCKED}))
    with pytest.raises(SubscriptionError) as info:
        await tracker.wait(bad, futures, within=1.0)
    assert info.value.channel == bad[0]
    assert bad[0] in str(info.value)
    assert rejected == bad

    silent = ["c3"]
    futures = tracker.expect(silent)
    await tracker.wait(silent, futures, within=0.01)  # no ack: not an error
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": "PONG"}))
    assert metrics.value("mexc.ws.ack_timeouts") == 1
    assert metrics.value("mexc.ws.pongs") == 1
    assert metrics.value("mexc.ws.subscriptions_rejected") == 1
    assert tracker.pending == frozenset()


async def test_ack_tracker_tells_on_ack_of_every_acknowledged_channel() -> None:
    """Awaited or not (a re-subscription after a reconnect is not awaited); never for a refusal,
    an error answer or a PONG."""
    acked: list[str] = []
    tracker = AckTracker(MetricsRegistry(), on_ack=acked.append)
    futures = tracker.expect(["c1@x"])
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": "c1@x,c2@x"}))  # c2 not awaited
    await tracker.wait(["c1@x"], futures, within=1.0)
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": BLOCKED}))
    tracker.handle(control_from_json({"id": 0, "code": 0, "msg": "PONG"}))
    tracker.handle(control_from_json({"id": 0, "code": 1, "msg": "c3@x"}))
    assert acked == ["c1@x", "c2@x"]


async def test_stream_fans_out_to_handler_and_iterators_in_order() -> None:
    metrics = MetricsRegistry()
    stream: EventStream[int] = EventStream("numbers", metrics, maxsize=100, prefix="mexc.ws")
    seen_sync: list[int] = []
    stream.set_handler(seen_sync.append)
    evens = stream.iterate(lambda n: n % 2 == 0)
    everything = stream.iterate()
    for n in range(10):
        stream.publish(n)
    got = [await asyncio.wait_for(anext(everything), 1.0) for _ in range(10)]
    got_evens = [await asyncio.wait_for(anext(evens), 1.0) for _ in range(5)]
    await stream.drain()
    assert got == list(range(10))
    assert got_evens == [0, 2, 4, 6, 8]
    assert seen_sync == list(range(10))

    seen_async: list[int] = []

    async def slow(n: int) -> None:
        await asyncio.sleep(0)
        if n == 3:
            raise RuntimeError("handler bug")
        seen_async.append(n)

    stream.set_handler(slow)
    for n in range(5):
        stream.publish(n)
    await stream.drain()
    await stream.close()
    assert seen_async == [0, 1, 2, 4]
    assert metrics.value("mexc.ws.numbers.handler_errors") == 1
    rest = [n async for n in everything]
    assert rest == list(range(5))


@pytest.mark.parametrize(
    ("policy", "kept"), [("drop_oldest", [7, 8, 9]), ("drop_newest", [0, 1, 2]), ("block", [7, 8, 9])]
)
async def test_overflow_policy_is_applied_and_counted(policy: str, kept: list[int]) -> None:
    metrics = MetricsRegistry()
    stream: EventStream[int] = EventStream("n", metrics, maxsize=3, policy=policy, prefix="mexc.ws")
    iterator = stream.iterate()
    for n in range(10):
        stream.publish(n)
    await stream.close()
    assert [n async for n in iterator] == kept
    assert metrics.value("mexc.ws.n.dropped") == 7
    with pytest.raises(ValueError, match="overflow policy must be one of"):
        EventStream("bad", metrics, policy="drop_all", prefix="mexc.ws")


@pytest.mark.parametrize(("policy", "kept"), [("drop_oldest", [6, 7, 8, 9]), ("drop_newest", [0, 1, 2, 3])])
async def test_publish_many_applies_the_policy_per_event(policy: str, kept: list[int]) -> None:
    """A frame's events handed over at once are bounded, dropped and counted like single ones."""
    metrics = MetricsRegistry()
    stream: EventStream[int] = EventStream("n", metrics, maxsize=4, policy=policy, prefix="mexc.ws")
    seen: list[int] = []

    async def handler(n: int) -> None:  # an async handler is always fed through its buffer
        seen.append(n)

    stream.set_handler(handler)
    iterator = stream.iterate()
    stream.publish_many([0, 1, 2])
    stream.publish_many([3, 4, 5, 6, 7, 8, 9])
    stream.publish_many([])
    await stream.close()
    assert seen == kept  # the handler's consumer had no chance to run in between
    assert [n async for n in iterator] == kept
    assert metrics.value("mexc.ws.n.published") == 10
    assert metrics.value("mexc.ws.n.dropped") == 12  # 6 for the handler, 6 for the iterator


async def test_publish_many_filters_and_bounds_each_iterator() -> None:
    metrics = MetricsRegistry()
    stream: EventStream[int] = EventStream("n", metrics, maxsize=3, prefix="mexc.ws")
    evens = stream.iterate(lambda n: n % 2 == 0)
    small = stream.iterate(maxsize=2)
    stream.publish_many([1, 3])  # nothing for evens
    stream.publish_many([0, 1, 2, 3, 4, 5, 6, 7, 8])
    await stream.close()
    assert [n async for n in evens] == [4, 6, 8]  # filtered first, then bounded (drop_oldest)
    assert [n async for n in small] == [7, 8]
    assert metrics.value("mexc.ws.n.dropped") == 2 + 9


async def test_handler_kinds_are_all_awaited_in_order() -> None:
    """Coroutine functions, sync functions, sync functions returning an awaitable, async callables."""
    seen: list[str] = []

    async def coroutine_function(n: int) -> None:
        await asyncio.sleep(0)
        seen.append(f"coro{n}")

    def returns_awaitable(n: int) -> Awaitable[None]:
        return coroutine_function(n)

    class AsyncCallable:
        async def __call__(self, n: int) -> None:
            await asyncio.sleep(0)
            seen.append(f"call{n}")

    handlers: list[Callable[[int], Awaitable[None] | None]] = [
        coroutine_function,
        lambda n: seen.append(f"sync{n}"),
        returns_awaitable,
        AsyncCallable(),
    ]
    for handler in handlers:
        stream: EventStream[int] = EventStream("h", MetricsRegistry(), prefix="mexc.ws")
        stream.set_handler(handler)
        stream.publish_many([1, 2])
        stream.publish(3)
        await stream.drain(1.0)
        await stream.close()
    assert seen == [f"{kind}{n}" for kind in ("coro", "sync", "coro", "call") for n in (1, 2, 3)]


def test_trade_dedupe_checks_a_frame_at_once() -> None:
    btc = Symbol("BTC", "USDT")
    dedupe = TradeDeduper(capacity=4)
    frame = [Trade(btc, 1.0, 1.0, Side.BUY, 10, "a"), Trade(btc, 1.0, 1.0, Side.BUY, 10, "b")]
    assert dedupe.filter_new(frame) is frame  # all new: the same list, nothing copied
    again = [frame[1], Trade(btc, 2.0, 1.0, Side.SELL, 11, "c")]
    assert dedupe.filter_new(again) == [again[1]]  # one repeat: checked trade by trade
    assert dedupe.filter_new(again) == []  # both known now
    no_ids = [Trade(btc, 3.0, 1.0, Side.BUY, 12), Trade(btc, 3.0, 1.0, Side.BUY, 13)]
    assert dedupe.filter_new(no_ids) is no_ids
    assert dedupe.filter_new(no_ids[1:]) == []  # fallback key (time, price, quantity, side)
    for n in range(20):  # the window stays bounded: at most 2 x capacity keys per symbol
        dedupe.filter_new([Trade(btc, 1.0, 1.0, Side.BUY, 100 + n, f"n{n}")])
    assert dedupe.filter_new([frame[0]]) == [frame[0]]  # long forgotten: new again


def _deals_frame(ids: range) -> bytes:
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(
        channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT"
    )
    for n in ids:
        wrapper.publicAggreDeals.deals.add(price="1.5", quantity="2", tradeType=1, time=n, tradeId=f"t{n}")
    return wrapper.SerializeToString()


def _router(
    metrics: MetricsRegistry,
    trades: EventStream[Trade] | None = None,
    book_tickers: EventStream[BookTicker] | None = None,
) -> PublicRouter:
    mapper = MexcSymbolMapper()
    mapper.register(Symbol("BTC", "USDT"))

    async def no_snapshot(symbol: Symbol) -> OrderBook:
        raise AssertionError("no book here")

    books: EventStream[OrderBook] = EventStream("orderbooks", metrics, prefix="mexc.ws")
    return PublicRouter(
        MexcFrameDecoder(mapper, metrics),
        metrics=metrics,
        books=LocalBooks(
            no_snapshot,
            metrics=metrics,
            stream=books,
            state_stream=EventStream("book_states", metrics, prefix="mexc.ws"),
        ),
        acks=AckTracker(metrics, prefix="mexc.ws"),
        trades=trades or EventStream[Trade]("trades", metrics, prefix="mexc.ws"),
        orderbooks=books,
        book_tickers=book_tickers or EventStream[BookTicker]("book_tickers", metrics, prefix="mexc.ws"),
        tickers=EventStream[Ticker]("tickers", metrics, prefix="mexc.ws"),
        klines=EventStream[Kline]("klines", metrics, prefix="mexc.ws"),
    )


async def test_router_dedupes_trades_only_inside_overlap_windows() -> None:
    """Steady state: no check. A window (rotation/reconnect) is seeded with recent frames and checks all."""
    metrics = MetricsRegistry()
    trades: EventStream[Trade] = EventStream("trades", metrics, prefix="mexc.ws")
    router = _router(metrics, trades=trades)
    seen = trades.iterate()
    first, second, third = _deals_frame(range(3)), _deals_frame(range(3, 6)), _deals_frame(range(6, 9))
    router.on_frame(first)
    router.on_frame(first)  # one socket never repeats a push: not checked outside a window
    assert not router.deduplicating
    router.overlap(True)  # a rotation starts: what was delivered recently seeds the window
    router.overlap(True)  # a second connection's window
    router.on_frame(first)  # repeated by the replacement socket
    router.on_frame(second)
    router.on_frame(second)
    router.overlap(False)
    assert router.deduplicating  # one window still open
    router.on_frame(second)
    router.overlap(False)
    assert not router.deduplicating
    router.on_frame(third)
    router.dedupe_always = True  # e.g. two trade channels of one symbol: seeded, then always checked
    router.on_frame(third)
    await trades.close()
    ids = [trade.trade_id async for trade in seen]
    assert ids == [f"t{n}" for n in (0, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8)]
    assert metrics.value("mexc.ws.trades.duplicates") == 3 + 3 + 3 + 3
    assert metrics.value("mexc.ws.trades.dedupe_windows") == 1  # overlap windows only


def _book_ticker_frame(version: int, bids: list[float]) -> bytes:
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(
        channel="spot@public.bookTicker.batch.v3.api.pb@BTCUSDT", symbol="BTCUSDT", sendTime=1
    )
    for bid in bids:
        wrapper.publicBookTickerBatch.items.add(
            bidPrice=str(bid), bidQuantity="1", askPrice="200", askQuantity="1"
        )
    wrapper.publicBookTickerBatch.version = str(version)
    return wrapper.SerializeToString()


async def test_router_passes_a_book_ticker_batch_whole_and_drops_stale_versions() -> None:
    metrics = MetricsRegistry()
    stream: EventStream[BookTicker] = EventStream("book_tickers", metrics, prefix="mexc.ws")
    published: list[list[float]] = []
    original = stream.publish_many

    def publish_many(items: list[BookTicker]) -> None:  # one hand-over per frame
        published.append([ticker.bid_price for ticker in items])
        original(items)

    stream.publish_many = publish_many  # type: ignore[method-assign]
    seen = stream.iterate()
    router = _router(metrics, book_tickers=stream)
    router.on_frame(_book_ticker_frame(5, [100.0, 101.0, 102.0]))
    router.on_frame(_book_ticker_frame(5, [100.0, 101.0, 102.0]))  # repeated (overlap): stale
    router.on_frame(_book_ticker_frame(4, [99.0]))  # older: stale
    router.on_frame(_book_ticker_frame(6, [103.0, 104.0]))
    await stream.close()
    assert published == [[100.0, 101.0, 102.0], [103.0, 104.0]]
    assert [ticker.bid_price async for ticker in seen] == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert metrics.value("mexc.ws.book_tickers.stale") == 3 + 1
    assert metrics.value("mexc.ws.book_tickers.published") == 5


async def test_dropped_iterator_unsubscribes() -> None:
    stream: EventStream[int] = EventStream("n", MetricsRegistry(), prefix="mexc.ws")
    iterator = stream.iterate()
    assert stream.has_consumers
    del iterator
    gc.collect()
    assert not stream.has_consumers
    async with stream.iterate() as scoped:
        stream.publish(1)
        assert await anext(scoped) == 1
    assert not stream.has_consumers


def test_trade_dedupe_by_id_then_by_content() -> None:
    btc = Symbol("BTC", "USDT")
    dedupe = TradeDeduper(capacity=3)

    def is_new(trade: Trade) -> bool:
        return dedupe.filter_new([trade]) == [trade]

    with_id = Trade(btc, 1.0, 2.0, Side.BUY, 10, "t1")
    assert is_new(with_id)
    assert not is_new(with_id._replace(timestamp=11))  # same id: duplicate
    no_id = Trade(btc, 1.0, 2.0, Side.BUY, 10)
    assert is_new(no_id)
    assert not is_new(no_id)
    assert is_new(no_id._replace(side=Side.SELL))
    assert is_new(no_id._replace(symbol=Symbol("ETH", "USDT")))  # per-symbol windows
    dedupe.remember([Trade(btc, 5.0, 2.0, Side.BUY, 20, "seeded")])  # seeding: known from now on
    assert not is_new(Trade(btc, 5.0, 2.0, Side.BUY, 20, "seeded"))
    gate = VersionGate()
    assert gate.is_new(btc, 5)
    assert not gate.is_new(btc, 5)
    assert not gate.is_new(btc, 4)
    assert gate.is_new(btc, None)
    assert gate.is_new(btc, 6)


async def test_local_books_gauges_publishes_and_invalidation_of_a_live_book() -> None:
    """What LocalBooks adds to the synchronizer (whose overlap/gap rules test_book_sync.py covers)."""
    btc, eth = Symbol("BTC", "USDT"), Symbol("ETH", "USDT")
    snapshot_version = 10

    async def fetch(symbol: Symbol) -> OrderBook:
        bids, asks = (OrderBookEntry(99.0, 1.0),), (OrderBookEntry(101.0, 1.0),)
        return OrderBook(symbol, bids, asks, 0, snapshot_version)

    metrics = MetricsRegistry()
    stream: EventStream[OrderBook] = EventStream("orderbooks", metrics, prefix="mexc.ws")
    seen: list[OrderBook] = []
    stream.set_handler(seen.append)

    async def published() -> list[OrderBook]:
        await stream.drain(1.0)
        got = seen[:]
        seen.clear()
        return got

    state_stream: EventStream[BookStateChange] = EventStream(
        "book_states", metrics, maxsize=0, prefix="mexc.ws"
    )
    changes: list[BookStateChange] = []
    state_stream.set_handler(changes.append)
    books = LocalBooks(fetch, metrics=metrics, stream=stream, state_stream=state_stream, publish_depth=1)

    def gauges() -> tuple[float, float, float, float]:
        snap = metrics.snapshot()
        return (
            snap["mexc.ws.books.live"],
            snap["mexc.ws.books.syncing"],
            snap[f"mexc.ws.book.{btc}.state"],
            snap[f"mexc.ws.book.{eth}.state"],
        )

    sync = books.add(btc)
    assert books.add(btc) is sync
    books.add(eth)
    assert btc in books
    assert gauges() == (0, 2, 0, 0)
    books.on_depth(BookUpdate(btc, [(98.0, 2.0)], [], 9, 11, 1))
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert gauges() == (1, 1, 1, 0)
    books.on_depth(BookUpdate(btc, [(100.0, 1.0)], [], 12, 12, 2))  # LIVE: applied and published
    books.on_depth(BookUpdate(Symbol("XRP", "USDT"), [], [], 1, 1, 3))  # no such book
    assert metrics.value("mexc.ws.books.unrouted") == 1
    first, second = await published()
    assert (first.symbol, first.version, first.bids) == (btc, 11, (OrderBookEntry(99.0, 1.0),))
    assert (second.version, second.bids) == (12, (OrderBookEntry(100.0, 1.0),))  # top publish_depth

    snapshot_version = 12
    books.invalidate([btc, Symbol("XRP", "USDT")])  # e.g. its connection reconnected
    assert sync.state is BookState.SYNCING
    assert sync.resync_count == 1
    assert metrics.value(f"mexc.ws.book.{btc}.invalidations") == 1
    assert gauges() == (0, 2, 0, 0)
    books.on_depth(BookUpdate(btc, [(100.5, 1.0)], [], 13, 13, 4))  # SYNCING: buffered, not published
    assert await published() == []
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert gauges() == (1, 1, 1, 0)
    (again,) = await published()  # once, after the new snapshot and the buffered update
    assert (again.version, again.bids) == (13, (OrderBookEntry(100.5, 1.0),))

    await books.remove(btc)
    assert btc not in books
    assert gauges() == (0, 1, -1, 0)
    books.invalidate([btc])  # removed: ignored
    assert metrics.value(f"mexc.ws.book.{btc}.invalidations") == 1
    await books.close()
    assert gauges() == (0, 0, -1, -1)
    await state_stream.drain(1.0)
    assert [(c.symbol, c.state) for c in changes] == [
        (btc, BookState.LIVE),
        (btc, BookState.SYNCING),
        (btc, BookState.LIVE),
        (btc, BookState.STALE),
        (eth, BookState.STALE),
    ]
    assert changes[1].reason == "reconnected"


async def test_local_books_marked_stale_leave_live_at_once_and_wait_for_invalidate() -> None:
    btc = Symbol("BTC", "USDT")
    metrics = MetricsRegistry()

    async def fetch(symbol: Symbol) -> OrderBook:
        return OrderBook(symbol, (OrderBookEntry(99.0, 1.0),), (OrderBookEntry(101.0, 1.0),), 1, 10)

    books = LocalBooks(
        fetch,
        metrics=metrics,
        stream=EventStream("orderbooks", metrics, prefix="mexc.ws"),
        state_stream=EventStream("book_states", metrics, maxsize=0, prefix="mexc.ws"),
    )
    sync = books.add(btc)
    books.on_depth(BookUpdate(btc, [(98.0, 2.0)], [], 9, 11, 1))
    async with asyncio.timeout(2):
        await sync.wait_live()
    books.mark_stale([btc, Symbol("XRP", "USDT")], "connection lost")
    assert sync.state is BookState.STALE
    assert metrics.snapshot()["mexc.ws.books.stale"] == 1
    assert metrics.snapshot()[f"mexc.ws.book.{btc}.state"] == -1
    books.on_depth(BookUpdate(btc, [(97.0, 2.0)], [], 12, 12, 2))  # ignored while STALE
    assert books.symbols_in_state(BookState.STALE) == [btc]
    books.invalidate([btc])
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert sync.resync_count == 1
    await books.close()


def test_handler_installed_outside_a_loop_starts_on_first_publish() -> None:
    seen: list[int] = []
    stream: EventStream[int] = EventStream("late", MetricsRegistry(), prefix="mexc.ws")
    stream.set_handler(seen.append)  # no running loop here

    async def run() -> None:
        stream.publish(1)
        stream.publish(2)
        await stream.drain(1.0)
        await stream.close()

    asyncio.run(run())
    assert seen == [1, 2]


def test_frames_are_counted_and_every_nth_is_timed() -> None:
    metrics = MetricsRegistry()
    routed: list[bytes | str] = []
    on_frame = sampled_frame_handler(routed.append, metrics.counter("f"), metrics.histogram("h"))
    for n in range(2 * FRAME_SAMPLE_EVERY + 1):
        on_frame(str(n))
    assert routed == [str(n) for n in range(2 * FRAME_SAMPLE_EVERY + 1)]
    assert metrics.value("f") == 2 * FRAME_SAMPLE_EVERY + 1
    assert metrics.histogram("h").count == 3  # frames 1, 1 + N and 1 + 2N

    def failing(frame: bytes | str) -> None:
        raise ValueError(frame)

    on_frame = sampled_frame_handler(failing, metrics.counter("g"), metrics.histogram("h2"))
    with pytest.raises(ValueError, match="x"):
        on_frame("x")  # a timed frame that fails is still recorded
    assert metrics.histogram("h2").count == 1


async def test_a_directly_called_handler_is_not_counted_as_frame_processing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """frame_processing times decode + routing + hand-off; a sync handler the stream calls right
    there (direct delivery) runs inside that window and is taken out of it."""
    monkeypatch.setattr("exchanges.streams.DIRECT_BUDGET", 60.0)
    metrics = MetricsRegistry()
    stream: EventStream[int] = EventStream("n", metrics, prefix="t", maxsize=0)
    stream.set_handler(lambda _: time.sleep(0.2))  # a slow handler, called directly
    on_frame = sampled_frame_handler(
        lambda frame: stream.publish(1), metrics.counter("f"), metrics.histogram("h"), streams=[stream]
    )
    on_frame(b"x")  # the first frame is timed
    assert stream.handler_seconds >= 0.2
    assert metrics.histogram("h").count == 1
    assert metrics.histogram("h").max < 0.1
    await stream.close()


async def test_private_duplicates_and_stale_orders_are_counted_not_delivered() -> None:
    config = ExchangeConfig(name="mexc_spot", rest_url="http://x", ws_url="ws://x")
    metrics = MetricsRegistry()
    rest: Any = object()  # never called: no start()
    ws = MexcPrivateSpotWebsocket(config, rest=rest, metrics=metrics, symbol_mapper=MexcSymbolMapper())
    fills = ws.fill_stream.iterate()
    orders = ws.order_stream.iterate()
    btc = Symbol("BTC", "USDT")
    fill = Fill(
        btc, OrderId("o1"), "t1", Side.BUY, Decimal(1), Decimal(1), Decimal(1), Decimal(0), None, False, 5
    )

    def order(status: OrderStatus, filled: str) -> Order:
        return Order(
            btc, OrderId("o1"), Side.BUY, OrderType.LIMIT, status, Decimal(2), filled_quantity=Decimal(filled)
        )

    ws._release_held(force=False)  # as after start(): pushes are delivered, not held
    for event in (
        fill,
        fill,  # duplicate
        order(OrderStatus.NEW, "0"),
        order(OrderStatus.PARTIALLY_FILLED, "1"),
        order(OrderStatus.PARTIALLY_FILLED, "1"),  # duplicate
        order(OrderStatus.NEW, "0"),  # older than the state held: stale
    ):
        ws._deliver(event, force=False)
    ws._deliver(fill, force=True)  # a held push released after the baseline: delivered anyway
    assert metrics.value("mexc.ws.private.duplicates") == 3
    await ws.fill_stream.close()
    await ws.order_stream.close()
    assert [f.trade_id async for f in fills] == ["t1", "t1"]
    assert [(o.status, o.filled_quantity) async for o in orders] == [
        (OrderStatus.NEW, Decimal(0)),
        (OrderStatus.PARTIALLY_FILLED, Decimal(1)),
    ]
    assert ws.orders[OrderId("o1")].status is OrderStatus.PARTIALLY_FILLED


async def test_a_refused_book_is_not_revived_by_a_reconnect_that_still_carries_its_channel() -> None:
    """The refusal of a re-sent depth channel can be delivered before the reconnect's resync (a rotation
    whose old socket died: the replacement's answers are delivered first), while the refused channel is
    still on the connection (forgetting it waits for the pool). The resync must not take the refused
    book back to SYNCING and fetch: it would go LIVE on a snapshot with no stream behind it, and stay
    LIVE while the retries are refused (breaks when LocalBooks.invalidate ignores the refusal)."""
    btc = Symbol("BTC", "USDT")
    fetched: list[Symbol] = []

    async def fetch(symbol: Symbol) -> OrderBook:
        fetched.append(symbol)
        return OrderBook(symbol, (OrderBookEntry(99.0, 1.0),), (OrderBookEntry(101.0, 1.0),), 0, 10)

    metrics = MetricsRegistry()
    books = LocalBooks(
        fetch,
        metrics=metrics,
        stream=EventStream("orderbooks", metrics, prefix="mexc.ws"),
        state_stream=EventStream("book_states", metrics, maxsize=0, prefix="mexc.ws"),
    )
    sync = books.add(btc)
    books.subscribed([btc])
    async with asyncio.timeout(5):
        await sync.wait_live()
    books.mark_stale([btc], "connection lost")  # the socket died
    books.expect_resubscription([btc])
    books.refused(btc, "subscription refused: Blocked")  # delivered before the resync
    books.invalidate([btc], confirm_within=0.01)  # the reconnect's resync of the connection's books
    assert sync.state is BookState.STALE  # not SYNCING (a fetch would start now)
    assert not books.awaiting_confirmation(btc)  # and no ack-timeout fallback armed to fetch later
    books.confirmed(btc)  # nor does an ack of the re-sent channel (forgetting it is on its way)
    await asyncio.sleep(0)
    assert sync.state is BookState.STALE
    assert fetched == [btc]  # only the first snapshot
    books.invalidate([btc])  # the retry's subscription was acknowledged: resync now
    async with asyncio.timeout(5):
        await sync.wait_live()
    assert fetched == [btc, btc]
    await books.close()
