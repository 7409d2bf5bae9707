"""MexcPrivateSpotRest against the simulator: account, orders, batch, listen keys, and error paths."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import (
    AuthenticationError,
    InsufficientBalance,
    InvalidOrder,
    OrderNotFound,
    SymbolNotSupported,
    TradingDisabled,
)
from exchanges.models import AssetName, OrderRequest, OrderStatus, OrderType, Side, Symbol
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")
FOO = Symbol("FOO", "USDT")
BAR = Symbol("BAR", "USDT")


async def test_account_and_balances(private: MexcPrivateSpotRest) -> None:
    balances = await private.get_balances()
    assert balances[AssetName("USDT")].free == Decimal("100000")
    assert balances[AssetName("BTC")].total == Decimal("10")
    zero = await private.get_asset_balance("DOGE")
    assert zero.free == 0
    account = await private.get_account()
    assert AssetName("USDT") in account
    fee = await private.get_trade_fee(BTC)
    assert fee.maker >= 0
    assert fee.taker >= 0


async def test_order_lifecycle(private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any) -> None:
    order = await private.place_order(BTC, Side.BUY, OrderType.LIMIT, quantity=0.0012345, price="50000")
    assert order.status is OrderStatus.NEW
    assert order.quantity == Decimal("0.001234")  # rounded down to 6 decimals
    assert order.client_order_id
    fetched = await private.get_order(BTC, order_id=order.order_id)
    assert fetched.order_id == order.order_id
    by_cid = await private.get_order(BTC, client_order_id=order.client_order_id)
    assert by_cid.order_id == order.order_id
    assert [o.order_id for o in await private.get_open_orders(BTC)] == [order.order_id]
    locked = (await private.get_balances())[AssetName("USDT")].locked
    assert locked == Decimal("0.001234") * 50000
    canceled = await private.cancel_order(BTC, order_id=order.order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert await private.get_open_orders(BTC) == []
    history = await private.get_all_orders(BTC)
    assert order.order_id in {o.order_id for o in history}
    assert len(sim.engine.orders_of(account)) == 1


async def test_cancel_all_and_client_ids(private: MexcPrivateSpotRest) -> None:
    a = await private.place_limit_order(BTC, Side.BUY, "0.001", "40000", client_order_id="mine-1")
    b = await private.place_limit_order(BTC, Side.BUY, "0.001", "41000")
    assert a.client_order_id == "mine-1"
    assert b.client_order_id != a.client_order_id
    canceled = await private.cancel_order(BTC, client_order_id="mine-1")
    assert canceled.order_id == a.order_id
    remaining = await private.cancel_all_orders(BTC)
    assert [o.order_id for o in remaining] == [b.order_id]


async def test_market_order_fills_and_my_trades(private: MexcPrivateSpotRest) -> None:
    order = await private.place_market_order(BTC, Side.BUY, quote_quantity="100")
    final = await private.get_order(BTC, order.order_id)
    assert final.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_CANCELED, OrderStatus.PARTIALLY_FILLED)
    assert final.filled_quantity > 0
    fills = await private.get_my_trades(BTC, order_id=order.order_id)
    assert fills
    assert all(f.order_id == order.order_id for f in fills)
    assert all(f.side is Side.BUY for f in fills)


async def test_test_order_places_nothing(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    await private.test_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000"))
    assert sim.engine.orders_of(account) == []


async def test_batch_orders(private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any) -> None:
    results = await private.place_batch_orders(
        [
            OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000", client_order_id="b1"),
            OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000.001"),  # off tick: refused locally
            OrderRequest(BTC, Side.SELL, OrderType.LIMIT, "20", "60000"),  # server: insufficient balance
            OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.002", "49000"),
        ]
    )
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[0].order is not None
    assert results[0].order.client_order_id == "b1"
    assert results[0].order.side is Side.BUY
    assert isinstance(results[1].error, InvalidOrder)
    assert isinstance(results[2].error, InsufficientBalance)
    assert len(sim.engine.orders_of(account)) == 2
    with pytest.raises(InvalidOrder, match="one symbol"):
        await private.place_batch_orders(
            [
                OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "1", "1"),
                OrderRequest(FOO, Side.BUY, OrderType.LIMIT, "1", "1"),
            ]
        )
    with pytest.raises(InvalidOrder, match=r"1\.\.20"):
        await private.place_batch_orders(
            [OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000")] * 21
        )


async def test_listen_keys(private: MexcPrivateSpotRest) -> None:
    key = await private.create_listen_key()
    assert key in await private.get_listen_keys()
    await private.keepalive_listen_key(key)
    await private.delete_listen_key(key)
    assert key not in await private.get_listen_keys()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"quantity": "0.001", "price": "50000.123"}, InvalidOrder, "tick"),
        ({"quantity": "0.00001", "price": "50000"}, InvalidOrder, "minimum notional"),
        ({"quantity": "0", "price": "50000"}, InvalidOrder, "positive"),
        ({"quantity": "-1", "price": "50000"}, InvalidOrder, "positive"),
        ({"quantity": "0.0000001", "price": "50000"}, InvalidOrder, "rounds down to 0"),
        ({"symbol": Symbol("NOPE", "USDT"), "quantity": "1", "price": "1"}, SymbolNotSupported, "not listed"),
        ({"symbol": BAR, "quantity": "10", "price": "1.5"}, SymbolNotSupported, "API"),
        ({"symbol": FOO, "side": Side.SELL, "quantity": "10", "price": "1.5"}, TradingDisabled, "SELL"),
        ({"order_type": OrderType.MARKET, "quantity": "1", "price": "1"}, InvalidOrder, "no price"),
    ],
)
async def test_invalid_orders_never_leave(
    private: MexcPrivateSpotRest,
    sim: MexcSimulator,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    args: dict[str, Any] = {"symbol": BTC, "side": Side.BUY, "order_type": OrderType.LIMIT}
    args.update(kwargs)
    before = list(sim.request_log)
    with pytest.raises(error, match=match):
        await private.place_order(**args)
    assert sim.request_log == before


async def test_insufficient_balance(private: MexcPrivateSpotRest) -> None:
    with pytest.raises(InsufficientBalance) as caught:
        await private.place_order(BTC, Side.SELL, OrderType.LIMIT, "20", "60000")
    assert caught.value.code in (10101, 30004, 30005)


async def test_unknown_order(private: MexcPrivateSpotRest) -> None:
    with pytest.raises(OrderNotFound):
        await private.get_order(BTC, order_id="does-not-exist")
    with pytest.raises(OrderNotFound):
        await private.cancel_order(BTC, client_order_id="nope")
    with pytest.raises(ValueError, match="exactly one"):
        await private.get_order(BTC)


async def test_bad_api_key(make_cfg: Callable[..., ExchangeConfig]) -> None:
    client = MexcPrivateSpotRest(make_cfg(), Credentials("mx0vnotakey", "whatever"))
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_balances()
        assert caught.value.code == 10072
        assert "whatever" not in str(caught.value)
    finally:
        await client.close()


async def test_bad_signature(make_cfg: Callable[..., ExchangeConfig], account: Any) -> None:
    client = MexcPrivateSpotRest(make_cfg(), Credentials(account.api_key, "wrong-secret"))
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_balances()
        assert caught.value.code in (602, 700002)
        assert "wrong-secret" not in str(caught.value)
        assert "wrong-secret" not in repr(client)
    finally:
        await client.close()


async def test_clock_skew_recovered(private: MexcPrivateSpotRest, sim: MexcSimulator) -> None:
    assert abs(private.signed.clock.offset_ms) < 1000
    syncs = private.signed.clock.sync_count
    sim.clock_offset_ms = 30_000  # the server's clock jumps ahead: our timestamps are now too old
    balances = await asyncio.wait_for(private.get_balances(), 10)
    assert AssetName("USDT") in balances
    assert private.signed.clock.sync_count == syncs + 1
    assert 29_000 < private.signed.clock.offset_ms < 31_000
    order = await private.place_limit_order(BTC, Side.BUY, "0.001", "50000")
    assert order.order_id


async def test_clock_skew_on_an_order_is_resent_once_and_places_one_order(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    sim.clock_offset_ms = -30_000  # the server is behind: our timestamps are in its future
    order = await asyncio.wait_for(private.place_limit_order(BTC, Side.BUY, "0.001", "50000"), 10)
    assert [o.order_id for o in sim.engine.orders_of(account)] == [order.order_id]
    posts = [entry for entry in sim.request_log if entry == ("POST", "/api/v3/order")]
    assert len(posts) == 2  # refused with 700003 (never booked), then accepted once


async def test_secret_never_logged(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        sim.clock_offset_ms = 20_000
        await private.place_limit_order(BTC, Side.BUY, "0.001", "50000")
        with pytest.raises(InsufficientBalance):
            await private.place_order(BTC, Side.SELL, OrderType.LIMIT, "20", "60000")
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage()
        assert account.secret_key not in text
        assert "signature=" not in text
