"""Every private method of MexcCompositePrivateExchange, made by the factory, against the simulator."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest

from exchanges.capabilities import (
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTickerStream,
    SupportsTradeStream,
    SupportsTrading,
    SupportsUserStream,
    SupportsWithdrawal,
)
from exchanges.config import Credentials
from exchanges.errors import (
    AuthenticationError,
    ExchangeClosedError,
    InvalidOrder,
    OrderNotFound,
    SymbolNotSupported,
)
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PrivateStreamHandlers
from exchanges.interfaces import PrivateExchange
from exchanges.models import (
    AssetName,
    BalanceUpdate,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    WithdrawalRequest,
    WithdrawalStatus,
)
from exchanges.testing import assert_valid_balances, assert_valid_order, wait_for_condition
from exchanges_mexc.exchange import MexcCompositePrivateExchange
from exchanges_mexc.sim import MexcSimulator, SimAccount

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
ETH = Symbol(AssetName("ETH"), AssetName("USDT"))
FAR_BELOW = Decimal("30000")  # BTC trades around 60000 in the simulator: this BUY rests


def as_composite(exchange: PrivateExchange) -> MexcCompositePrivateExchange:
    assert isinstance(exchange, MexcCompositePrivateExchange)
    return exchange


async def test_factory_builds_the_composite(private: PrivateExchange, account: SimAccount) -> None:
    composite = as_composite(private)
    assert composite.name == "mexc_spot"
    for capability in (SupportsTrading, SupportsBalance, SupportsWithdrawal, SupportsUserStream):
        assert isinstance(private, capability)
    for public_only in (SupportsOrderBookStream, SupportsTradeStream, SupportsTickerStream):
        assert not isinstance(private, public_only)
    assert account.secret_key not in repr(private)
    assert account.api_key not in repr(private)
    assert (await private.get_symbols_info())[BTC].base_precision == 6


async def test_balances(private: PrivateExchange) -> None:
    composite = as_composite(private)
    balances = assert_valid_balances(await composite.get_balances())
    assert balances[AssetName("USDT")].free == Decimal("100000")
    btc = await composite.get_asset_balance(AssetName("BTC"))
    assert btc.free == Decimal("10")
    missing = await composite.get_asset_balance(AssetName("DOGE"))
    assert missing.total == Decimal(0)
    assert missing.asset == "DOGE"


async def test_order_lifecycle_and_tracking(private: PrivateExchange, sim: MexcSimulator) -> None:
    composite = as_composite(private)
    placed = assert_valid_order(
        await composite.place_limit_order(BTC, Side.BUY, "0.01", FAR_BELOW, client_order_id="lifecycle1"), BTC
    )
    assert placed.status is OrderStatus.NEW
    assert placed.client_order_id == "lifecycle1"
    assert composite.orders[placed.order_id].status is OrderStatus.NEW
    assert [o.order_id for o in composite.orders.open_orders(BTC)] == [placed.order_id]
    status = await composite.get_order_status(BTC, placed.order_id)
    assert status.quantity == Decimal("0.01")
    assert status.price == FAR_BELOW
    assert [o.order_id for o in await composite.get_open_orders(BTC)] == [placed.order_id]
    assert [o.order_id for o in await composite.get_open_orders()] == [placed.order_id]  # tracked symbols
    locked = await composite.get_asset_balance(AssetName("USDT"))
    assert locked.locked == Decimal("300")
    canceled = await composite.cancel_order(BTC, placed.order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert composite.orders[placed.order_id].status is OrderStatus.CANCELED
    assert await composite.get_open_orders() == []
    history = await composite.get_order_history(BTC)
    assert placed.order_id in [o.order_id for o in history]
    with pytest.raises(OrderNotFound):
        await composite.cancel_order(BTC, placed.order_id)


async def test_cancel_all(private: PrivateExchange) -> None:
    composite = as_composite(private)
    for price in ("30000", "30001"):
        await composite.place_limit_order(BTC, Side.BUY, "0.001", price)
    canceled = await composite.cancel_all_orders(BTC)
    assert len(canceled) == 2
    assert all(order.status is OrderStatus.CANCELED for order in canceled)
    assert await composite.get_open_orders(BTC) == []


async def test_market_order_fills_and_my_trades(private: PrivateExchange) -> None:
    composite = as_composite(private)
    order = await composite.place_market_order(ETH, Side.BUY, quote_quantity="100")
    assert order.order_type is OrderType.MARKET
    final = await composite.get_order_status(ETH, order.order_id)
    assert final.status is OrderStatus.FILLED
    fills = await composite.get_my_trades(ETH)
    assert fills
    assert all(fill.order_id == order.order_id for fill in fills)
    assert sum(fill.quote_quantity for fill in fills) <= Decimal("100")
    sold = await composite.place_market_order(ETH, Side.SELL, "0.01")
    assert (await composite.get_order_status(ETH, sold.order_id)).status is OrderStatus.FILLED


async def test_preflight_refuses_before_sending(private: PrivateExchange, sim: MexcSimulator) -> None:
    composite = as_composite(private)
    sent = len(sim.request_log)
    with pytest.raises(SymbolNotSupported):
        await composite.place_limit_order(Symbol("NOPE", "USDT"), Side.BUY, "1", "1")
    with pytest.raises(InvalidOrder):
        await composite.place_market_order(BTC, Side.BUY)  # neither quantity nor quote quantity
    assert len(sim.request_log) == sent


async def test_user_stream_delivers_orders_fills_and_balances(private: PrivateExchange) -> None:
    composite = as_composite(private)
    orders: list[Order] = []
    fills: list[Fill] = []
    balances: list[BalanceUpdate] = []

    async def on_fill(fill: Fill) -> None:  # async handlers work as well as plain ones
        fills.append(fill)

    handlers = PrivateStreamHandlers(
        order_handler=orders.append, execution_handler=on_fill, balance_handler=balances.append
    )
    await composite.start_user_stream(handlers)
    order = await composite.place_market_order(BTC, Side.BUY, "0.01")
    assert await wait_for_condition(lambda: any(f.order_id == order.order_id for f in fills), 10)
    assert await wait_for_condition(lambda: any(o.status is OrderStatus.FILLED for o in orders), 10)
    assert await wait_for_condition(lambda: bool(balances), 10)
    assert sum(f.quantity for f in fills if f.order_id == order.order_id) == Decimal("0.01")
    assert composite.orders[order.order_id].status is OrderStatus.FILLED
    assert composite.user_stream is not None
    await composite.start_user_stream()  # again: only the handlers change
    await composite.stop_user_stream()
    await composite.stop_user_stream()
    assert composite.user_stream is None
    assert composite.orders[order.order_id].status is OrderStatus.FILLED  # still tracked


async def test_order_results_are_logged_without_secrets(
    private: PrivateExchange, account: SimAccount, caplog: pytest.LogCaptureFixture
) -> None:
    composite = as_composite(private)
    with caplog.at_level(logging.DEBUG, logger="exchanges"):
        await composite.start_user_stream()
        order = await composite.place_market_order(BTC, Side.BUY, "0.01")
        await composite.place_limit_order(BTC, Side.BUY, "0.01", FAR_BELOW)
        await composite.cancel_all_orders(BTC)
        with pytest.raises(InvalidOrder):
            await composite.place_limit_order(BTC, Side.BUY, "0.0000001", FAR_BELOW)
        await wait_for_condition(lambda: "Balance updated" in caplog.text, 10)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(order.order_id in message for message in info), info
    assert any("Balance updated" in message for message in info)
    assert any("MEXC fill" in message for message in info)
    assert errors, "a refused order is logged at ERROR"
    assert not any("connect" in message.lower() for message in info), "connection chatter stays at DEBUG"
    assert account.secret_key not in caplog.text


async def test_withdrawals(private: PrivateExchange) -> None:
    composite = as_composite(private)
    request = WithdrawalRequest(
        asset=AssetName("USDT"), amount=Decimal("50"), address="TXyz123", network="TRX"
    )
    withdrawal = await composite.withdraw(request)
    assert withdrawal.withdrawal_id
    status = await composite.get_withdrawal_status(withdrawal.withdrawal_id)
    assert status.asset == "USDT"
    assert status.amount == Decimal("50")
    assert await composite.cancel_withdrawal(withdrawal.withdrawal_id) == withdrawal.withdrawal_id
    canceled = await composite.get_withdrawal_status(withdrawal.withdrawal_id)
    assert canceled.status is WithdrawalStatus.CANCELED


async def test_metrics_and_health(private: PrivateExchange) -> None:
    composite = as_composite(private)
    health = await composite.health_check()
    assert health == {
        "rest_connectivity": True,
        "websocket_connectivity": True,
        "authentication": True,
        "protobuf_parsing": True,
        "overall": True,
    }
    await composite.start_user_stream()
    assert (await composite.health_check())["websocket_connectivity"] is True
    metrics = composite.get_performance_metrics()
    assert metrics["ws_connections_established"] == 1
    assert metrics["protobuf_messages_processed"] >= 0
    assert metrics["user_stream_connected"] is True
    assert metrics["message_processing_time_avg_ms"] is not None  # the ack: the first frame is timed
    assert metrics["api_errors"] == 0
    assert "POST /api/v3/userDataStream" in metrics["rest_latency"]


async def test_bad_credentials_fail_authentication(
    factory: FullExchangeFactory, sim_overrides: dict[str, str], account: SimAccount
) -> None:
    wrong = Credentials(account.api_key, "0" * 32)
    exchange = await factory.create_private_exchange(
        "mexc_spot", wrong, environment="sim", overrides=sim_overrides
    )
    try:
        health = await exchange.health_check()
        assert health["authentication"] is False
        assert health["overall"] is False
        assert isinstance(exchange, SupportsBalance)
        with pytest.raises(AuthenticationError):
            await exchange.get_balances()
    finally:
        await exchange.close()


async def test_close_is_idempotent(private: PrivateExchange) -> None:
    composite = as_composite(private)
    await composite.start_user_stream()
    await composite.close()
    await composite.close()
    assert composite.closed
    with pytest.raises(ExchangeClosedError, match="closed"):
        await composite.start_user_stream()
    await asyncio.sleep(0)
