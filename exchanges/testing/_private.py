"""``PrivateExchangeConformance``: pytest checks of the trading/account contract for any plugin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from exchanges.capabilities import (
    ALL_CAPABILITIES,
    SupportsAllTickers,
    SupportsBalance,
    SupportsBatchOrders,
    SupportsDeposits,
    SupportsOrderBookStream,
    SupportsPagedHistory,
    SupportsSafeWithdrawal,
    SupportsTestOrder,
    SupportsTickerStream,
    SupportsTradeStream,
    SupportsTrading,
    SupportsTradingFees,
    SupportsTransfer,
    SupportsUserStream,
)
from exchanges.errors import ExchangeClosedError, OrderNotFound, SymbolNotSupported
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import AssetBalance, AssetName, OrderStatus, OrderType, Side, Symbol
from exchanges.registry import ExchangeSpec
from exchanges.testing._breadth import (
    check_batch_orders,
    check_deposits,
    check_paged_history,
    check_safe_withdrawal,
    check_test_order,
    check_trading_fees,
    check_transfer,
)
from exchanges.testing._checks import assert_valid_balances, assert_valid_order, assert_valid_symbols_info
from exchanges.testing._contract import expect
from exchanges.testing._public import spec_for

PUBLIC_ONLY = (SupportsOrderBookStream, SupportsTradeStream, SupportsTickerStream, SupportsAllTickers)
CLOSED_AFTER_CANCEL = (OrderStatus.CANCELED, OrderStatus.PARTIALLY_CANCELED)


def new_client_order_id() -> str:
    """A unique client order id (32 hex chars fits every exchange we know)."""
    return uuid.uuid4().hex


class PrivateExchangeConformance:
    """Subclass as ``TestXxx`` and override the fixtures; run it against a simulator, not production.

    Required fixtures: ``private_exchange`` (initialized, with funds for one resting order),
    ``known_symbol``, ``tradable_quantity`` and ``tradable_price`` (a price at which a BUY of that
    quantity is accepted but rests without filling). Optional: ``exchange_spec``, ``unknown_symbol``,
    ``unknown_order_id``.
    """

    @pytest_asyncio.fixture
    async def private_exchange(self) -> AsyncIterator[PrivateExchange]:
        """Override: yield an initialized exchange and close it afterwards."""
        pytest.fail("override the private_exchange fixture with your initialized exchange")
        yield  # pragma: no cover - makes this an async generator fixture like the overrides

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        pytest.fail("override the known_symbol fixture with a symbol your exchange lists")

    @pytest.fixture
    def tradable_quantity(self) -> Decimal:
        pytest.fail("override tradable_quantity: a quantity accepted for known_symbol")

    @pytest.fixture
    def tradable_price(self) -> Decimal:
        pytest.fail("override tradable_price: a BUY price that is accepted but does not fill")

    @pytest.fixture
    def unknown_symbol(self) -> Symbol:
        return Symbol("NOSUCHCOIN", "NOSUCHQUOTE")

    @pytest.fixture
    def transfer_amount(self) -> Decimal:
        """Moved SPOT -> FUTURES -> SPOT by the transfer check (in the quote asset of known_symbol)."""
        return Decimal(1)

    @pytest.fixture
    def unknown_order_id(self) -> str:
        return "999999999999999999"

    @pytest.fixture
    def exchange_spec(self, private_exchange: PrivateExchange) -> ExchangeSpec:
        return spec_for(private_exchange)

    # -- shape and capabilities --------------------------------------------------------------------

    async def test_is_private_exchange(self, private_exchange: PrivateExchange) -> None:
        assert isinstance(private_exchange, PrivateExchange), (
            f"private_exchange must be a PrivateExchange subclass, got {type(private_exchange).__name__}"
        )
        assert not isinstance(private_exchange, PublicExchange), "the two domains must stay separate"

    async def test_declared_capabilities(
        self, private_exchange: PrivateExchange, exchange_spec: ExchangeSpec
    ) -> None:
        assert private_exchange.name == exchange_spec.name, (
            f"exchange.name must equal its spec's name {exchange_spec.name!r}, got {private_exchange.name!r}"
        )
        for capability in exchange_spec.private_capabilities:
            assert isinstance(private_exchange, ALL_CAPABILITIES[capability]), (
                f"spec declares {capability!r} but the private exchange lacks its methods"
            )
        for protocol in PUBLIC_ONLY:
            assert not isinstance(private_exchange, protocol), (
                f"a private exchange must not offer {protocol.__name__}"
            )

    async def test_symbols_info(self, private_exchange: PrivateExchange, known_symbol: Symbol) -> None:
        assert_valid_symbols_info(await private_exchange.get_symbols_info(), known_symbol)

    # -- balances ----------------------------------------------------------------------------------

    async def test_balances(self, private_exchange: PrivateExchange, known_symbol: Symbol) -> None:
        if not isinstance(private_exchange, SupportsBalance):
            pytest.skip("no balance capability")
        balances = assert_valid_balances(await private_exchange.get_balances())
        quote = await private_exchange.get_asset_balance(known_symbol.quote)
        expect(
            isinstance(quote, AssetBalance) and quote.asset == known_symbol.quote,
            (
                f"get_asset_balance({known_symbol.quote!r}) must return that asset's AssetBalance, "
                f"got {quote!r}"
            ),
        )
        if known_symbol.quote in balances:
            assert quote == balances[known_symbol.quote], (
                "get_asset_balance and get_balances must agree on the same asset"
            )
        missing = await private_exchange.get_asset_balance(AssetName("NOSUCHCOIN"))
        assert missing.total == Decimal(0), "an asset the account does not hold has a zero balance"

    # -- trading -----------------------------------------------------------------------------------

    async def test_order_round_trip(
        self,
        private_exchange: PrivateExchange,
        known_symbol: Symbol,
        tradable_quantity: Decimal,
        tradable_price: Decimal,
    ) -> None:
        if not isinstance(private_exchange, SupportsTrading):
            pytest.skip("no trading capability")
        client_id = new_client_order_id()
        placed = assert_valid_order(
            await private_exchange.place_limit_order(
                known_symbol, Side.BUY, tradable_quantity, tradable_price, client_order_id=client_id
            ),
            known_symbol,
        )
        expect(
            placed.side is Side.BUY and placed.order_type is OrderType.LIMIT,
            (f"place_limit_order(BUY) must return a BUY LIMIT order, got {placed.side} {placed.order_type}"),
        )
        assert placed.status.is_open, f"order should rest, got {placed.status}"
        assert placed.client_order_id == client_id, (
            f"the order must carry the client_order_id sent ({client_id!r}), got {placed.client_order_id!r}"
        )
        try:
            queried = assert_valid_order(
                await private_exchange.get_order_status(known_symbol, placed.order_id), known_symbol
            )
            expect(
                queried.order_id == placed.order_id and queried.client_order_id == client_id,
                (f"get_order_status must return the order placed ({placed.order_id}), got {queried!r}"),
            )
            assert queried.status.is_open, f"a resting order must still be open, got {queried.status}"
            assert queried.quantity == Decimal(tradable_quantity), (
                f"the order's quantity must be the one placed ({tradable_quantity}), got {queried.quantity}"
            )
            open_ids = [order.order_id for order in await private_exchange.get_open_orders(known_symbol)]
            assert placed.order_id in open_ids, "get_open_orders must list the resting order"
        finally:
            canceled = await private_exchange.cancel_order(known_symbol, placed.order_id)
        assert_valid_order(canceled, known_symbol)
        assert canceled.status in CLOSED_AFTER_CANCEL, (
            f"cancel_order must return the order CANCELED (or PARTIALLY_CANCELED), got {canceled.status}"
        )
        after = await private_exchange.get_order_status(known_symbol, placed.order_id)
        assert not after.status.is_open, f"a canceled order must not be open any more, got {after.status}"
        open_ids = [order.order_id for order in await private_exchange.get_open_orders(known_symbol)]
        assert placed.order_id not in open_ids, "get_open_orders must not list a canceled order"

    async def test_cancel_unknown_order(
        self, private_exchange: PrivateExchange, known_symbol: Symbol, unknown_order_id: str
    ) -> None:
        if not isinstance(private_exchange, SupportsTrading):
            pytest.skip("no trading capability")
        with pytest.raises(OrderNotFound):
            await private_exchange.cancel_order(known_symbol, unknown_order_id)

    async def test_order_on_unknown_symbol(
        self,
        private_exchange: PrivateExchange,
        unknown_symbol: Symbol,
        tradable_quantity: Decimal,
        tradable_price: Decimal,
    ) -> None:
        if not isinstance(private_exchange, SupportsTrading):
            pytest.skip("no trading capability")
        with pytest.raises(SymbolNotSupported):
            await private_exchange.place_limit_order(
                unknown_symbol, Side.BUY, tradable_quantity, tradable_price
            )

    # -- breadth -----------------------------------------------------------------------------------

    async def test_batch_orders(
        self,
        private_exchange: PrivateExchange,
        known_symbol: Symbol,
        tradable_quantity: Decimal,
        tradable_price: Decimal,
    ) -> None:
        if not isinstance(private_exchange, SupportsBatchOrders):
            pytest.skip("no batch_orders capability")
        await check_batch_orders(private_exchange, known_symbol, tradable_quantity, tradable_price)

    async def test_test_order(
        self,
        private_exchange: PrivateExchange,
        known_symbol: Symbol,
        tradable_quantity: Decimal,
        tradable_price: Decimal,
    ) -> None:
        if not isinstance(private_exchange, SupportsTestOrder):
            pytest.skip("no test_order capability")
        await check_test_order(private_exchange, known_symbol, tradable_quantity, tradable_price)

    async def test_trading_fees(self, private_exchange: PrivateExchange, known_symbol: Symbol) -> None:
        if not isinstance(private_exchange, SupportsTradingFees):
            pytest.skip("no trading_fees capability")
        await check_trading_fees(private_exchange, known_symbol)

    async def test_paged_history(
        self,
        private_exchange: PrivateExchange,
        known_symbol: Symbol,
        tradable_quantity: Decimal,
        tradable_price: Decimal,
    ) -> None:
        if not isinstance(private_exchange, SupportsPagedHistory):
            pytest.skip("no paged_history capability")
        placed = None
        if isinstance(private_exchange, SupportsTrading):
            placed = await private_exchange.place_limit_order(
                known_symbol, Side.BUY, tradable_quantity, tradable_price
            )
            await private_exchange.cancel_order(known_symbol, placed.order_id)
        await check_paged_history(private_exchange, known_symbol, placed)

    async def test_deposits(self, private_exchange: PrivateExchange, known_symbol: Symbol) -> None:
        if not isinstance(private_exchange, SupportsDeposits):
            pytest.skip("no deposits capability")
        await check_deposits(private_exchange, known_symbol.quote)

    async def test_safe_withdrawal(self, private_exchange: PrivateExchange, known_symbol: Symbol) -> None:
        if not isinstance(private_exchange, SupportsSafeWithdrawal):
            pytest.skip("no safe_withdrawal capability")
        await check_safe_withdrawal(private_exchange, known_symbol.quote)

    async def test_transfer(
        self, private_exchange: PrivateExchange, known_symbol: Symbol, transfer_amount: Decimal
    ) -> None:
        if not isinstance(private_exchange, SupportsTransfer):
            pytest.skip("no transfer capability")
        await check_transfer(private_exchange, known_symbol.quote, transfer_amount)

    # -- streams and lifecycle ---------------------------------------------------------------------

    async def test_user_stream_lifecycle(self, private_exchange: PrivateExchange) -> None:
        if not isinstance(private_exchange, SupportsUserStream):
            pytest.skip("no user_stream capability")
        await private_exchange.start_user_stream()
        await private_exchange.stop_user_stream()
        await private_exchange.stop_user_stream()

    async def test_close_is_idempotent(self, private_exchange: PrivateExchange) -> None:
        await private_exchange.close()
        await private_exchange.close()

    async def test_calls_after_close_raise(self, private_exchange: PrivateExchange) -> None:
        await private_exchange.close()
        with pytest.raises(ExchangeClosedError):
            await private_exchange.get_symbols_info()
