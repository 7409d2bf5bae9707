"""Invariant: bad data never reaches users.

* Through the chaos proxy, every market-data REST answer may be ``[]``, ``null``, ``{}``, truncated JSON,
  garbage or a 5xx, and WebSocket frames may be corrupted, duplicated or reordered. Every call then
  returns a valid record or raises a typed ``ExchangeError`` (0 untyped exceptions), and nothing returned
  or published carries a non-finite or negative price or quantity.
* 100,000 hostile frames (valid MEXC pushes with hostile values: NaN, inf, negative, empty, huge, not a
  number; then byte flips and truncations) through the decoder: it never raises, and every record it
  produces has finite, non-negative prices and quantities.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from exchanges.errors import ExchangeError
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    AssetName,
    BalanceUpdate,
    BookTicker,
    KlineInterval,
    OrderBook,
    Symbol,
    Ticker,
    Trade,
)
from exchanges.testing import wait_for_condition
from exchanges.testing.chaos import FaultSchedule, HttpFault, WsFault
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.sim import MexcSimulator
from exchanges_mexc.symbols import MexcSymbolMapper

from .support import start_proxy, through  # type: ignore[import-not-found]

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
ETH = Symbol(AssetName("ETH"), AssetName("USDT"))
SHAPES = {
    HttpFault.EMPTY_ARRAY: 0.1,
    HttpFault.NULL_BODY: 0.1,
    HttpFault.EMPTY_OBJECT: 0.1,
    HttpFault.TRUNCATED_JSON: 0.1,
    HttpFault.GARBAGE: 0.1,
    HttpFault.SERVER_ERROR: 0.05,
}
FRAMES = {WsFault.CORRUPT: 0.2, WsFault.DUPLICATE: 0.02, WsFault.REORDER: 0.02}
SIGNED_FIELDS = {"price_change_ratio", "free_change", "locked_change", "fee"}
"""Numeric fields that may legitimately be negative (a fee can be a maker rebate)."""
HOSTILE = ["NaN", "nan", "inf", "-inf", "Infinity", "-1", "-0.5", "", "abc", "1e999", "-1e999", "0x10", "1,5"]


def bad_numbers(value: Any, path: str = "") -> Iterable[str]:
    """Every non-finite number, and every negative one outside SIGNED_FIELDS, inside a record."""
    if isinstance(value, bool | int | str | bytes) or value is None:
        return
    if isinstance(value, float | Decimal):
        name = path.rsplit(".", 1)[-1]
        if not (math.isfinite(value) if isinstance(value, float) else value.is_finite()) or (
            value < 0 and name not in SIGNED_FIELDS
        ):
            yield f"{path}={value}"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from bad_numbers(item, f"{path}[{key}]")
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        for name in value._fields:
            yield from bad_numbers(getattr(value, name), f"{path}.{name}")
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from bad_numbers(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from bad_numbers(item, f"{path}[{index}]")


async def test_hostile_answers_and_frames_give_typed_errors_and_valid_records(
    factory: FullExchangeFactory, sim: MexcSimulator, seed: int
) -> None:
    schedule = FaultSchedule(seed, http=SHAPES, ws=FRAMES)
    schedule.calm()
    proxy = await start_proxy(sim, schedule)
    published: list[Any] = []
    handlers = PublicStreamHandlers(
        orderbook_handler=published.append, trade_handler=published.append, ticker_handler=published.append
    )
    untyped: list[str] = []
    bad: list[str] = []
    try:
        public = await factory.create_public_exchange(
            "mexc_spot", [BTC, ETH], environment="sim", overrides=through(proxy, sim)
        )
        try:
            await public.start_trades_stream([BTC, ETH], handlers)
            await public.start_ticker_stream([BTC, ETH], handlers)
            await public.start_orderbook_stream([BTC, ETH], handlers)
            schedule.resume()
            reads: list[Callable[[], Any]] = [
                lambda: public.get_orderbook(BTC, 20),
                lambda: public.get_recent_trades(ETH, 50),
                lambda: public.get_ticker(BTC),
                lambda: public.get_book_ticker(ETH),
                lambda: public.get_klines(BTC, KlineInterval.MINUTE_1, limit=20),
                public.get_server_time,
            ]
            rng = random.Random(seed)
            for _ in range(60):
                call = rng.choice(reads)
                try:
                    result = await asyncio.wait_for(call(), 30)
                except ExchangeError:
                    continue
                except Exception as error:  # the invariant: nothing untyped escapes
                    untyped.append(f"{type(error).__name__}: {error}")
                    continue
                bad += bad_numbers(result, type(result).__name__)
            # let the corrupted pushes flow: wait (bounded) until corruption was applied and valid
            # records of both kinds were published, instead of a fixed sleep a loaded machine can outrun
            await wait_for_condition(
                lambda: (
                    schedule.counts()["ws:corrupt"] >= 3
                    and any(isinstance(event, Trade) for event in published)
                    and any(isinstance(event, OrderBook) for event in published)
                ),
                60,
            )
        finally:
            schedule.calm()
            await public.close()
    finally:
        await proxy.close()
    for event in published:
        bad += bad_numbers(event, type(event).__name__)
    tag = f"{schedule} faults={dict(schedule.counts())}"
    assert not untyped, f"untyped exceptions: {untyped}; {tag}"
    assert not bad, f"bad values returned or published: {bad[:10]}; {tag}"
    assert schedule.counts()["ws:corrupt"] >= 3, tag
    assert sum(n for key, n in schedule.counts().items() if key.startswith("http:")) >= 10, tag
    assert any(isinstance(event, Trade) for event in published)
    assert any(isinstance(event, OrderBook) for event in published)


def template_frames() -> list[PushDataV3ApiWrapper]:
    """One valid push per channel kind the decoder turns into records."""
    deals = PushDataV3ApiWrapper(channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    deals.publicAggreDeals.deals.add(price="10.5", quantity="0.25", tradeType=1, time=1, tradeId="1")
    depth = PushDataV3ApiWrapper(channel="spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    depth.publicAggreDepths.bids.add(price="1.5", quantity="2")
    depth.publicAggreDepths.asks.add(price="1.6", quantity="3")
    depth.publicAggreDepths.fromVersion, depth.publicAggreDepths.toVersion = "10", "12"
    ticker = PushDataV3ApiWrapper(
        channel="spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT"
    )
    b = ticker.publicAggreBookTicker
    b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity = "1.5", "2", "1.6", "3"
    order = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT")
    o = order.privateOrders
    o.id, o.clientId, o.price, o.quantity, o.amount = "C02__1", "c1", "1.5", "2", "3"
    o.orderType, o.tradeType, o.status, o.createTime = 1, 1, 1, 1
    deal = PushDataV3ApiWrapper(channel="spot@private.deals.v3.api.pb", symbol="BTCUSDT")
    d = deal.privateDeals
    d.price, d.quantity, d.amount, d.tradeType, d.tradeId, d.orderId = "1.5", "2", "3", 1, "t1", "C02__1"
    d.feeAmount, d.feeCurrency, d.time = "0.01", "USDT", 1
    account = PushDataV3ApiWrapper(channel="spot@private.account.v3.api.pb")
    a = account.privateAccount
    a.vcoinName, a.balanceAmount, a.frozenAmount, a.balanceAmountChange, a.frozenAmountChange = (
        "BTC",
        "1",
        "0",
        "1",
        "0",
    )
    a.type, a.time = "ENTRUST", 1
    return [deals, depth, ticker, order, deal, account]


def string_fields(message: Any, prefix: str = "") -> list[tuple[Any, str]]:
    """(message, field name) of every string field set anywhere inside ``message``."""
    found: list[tuple[Any, str]] = []
    for field, value in message.ListFields():
        if field.type == field.TYPE_STRING and not field.is_repeated:
            found.append((message, field.name))
        elif field.type == field.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for item in items:
                found += string_fields(item)
    return found


def hostile_frame(rng: random.Random, templates: list[PushDataV3ApiWrapper]) -> bytes:
    frame = PushDataV3ApiWrapper()
    frame.CopyFrom(rng.choice(templates))
    for _ in range(rng.randint(1, 3)):
        message, name = rng.choice(string_fields(frame))
        if name not in ("channel", "symbol"):
            setattr(message, name, rng.choice(HOSTILE))
    raw = bytearray(frame.SerializeToString())
    damage = rng.random()
    if damage < 0.15 and raw:
        raw[rng.randrange(len(raw))] ^= rng.randint(1, 255)
    elif damage < 0.25:
        raw = raw[: rng.randrange(len(raw) + 1)]
    return bytes(raw)


def test_a_hundred_thousand_hostile_frames_never_raise_nor_publish_bad_numbers() -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    rng = random.Random(12)
    templates = template_frames()
    for template in templates:  # the templates themselves are valid and decode to records
        assert decoder.decode(template.SerializeToString()), template.channel
    produced = 0
    for index in range(100_000):
        frame = hostile_frame(rng, templates)
        events = decoder.decode(frame)
        for event in events:
            produced += 1
            problems = list(bad_numbers(event, type(event).__name__))
            assert not problems, f"frame #{index} {frame!r} published {problems}"
            assert (
                isinstance(event, Trade | OrderBook | BookTicker | Ticker | BalanceUpdate)
                or hasattr(event, "symbol")
                or True
            )
    assert produced > 1000, "the hostile values must leave some frames valid (e.g. only a trade id changed)"
    assert decoder.invalid_count + decoder.error_count > 50_000
