"""Capabilities as runtime-checkable Protocols.

An exchange class declares nothing: it has a capability when it has the methods. Check with
``isinstance(exchange, SupportsTrading)`` before calling. (``runtime_checkable`` checks that the
methods exist, not their signatures; the conformance suite in :mod:`exchanges.testing` checks
behaviour.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from exchanges.handlers import PrivateStreamHandlers, PublicStreamHandlers
from exchanges.models import (
    AssetBalance,
    AssetName,
    BookState,
    Fill,
    Order,
    OrderBook,
    OrderType,
    Side,
    Symbol,
    Ticker,
    Trade,
    Withdrawal,
    WithdrawalRequest,
)

__all__ = [
    "ALL_CAPABILITIES",
    "Amount",
    "SupportsBalance",
    "SupportsOrderBookStream",
    "SupportsTickerStream",
    "SupportsTradeStream",
    "SupportsTrading",
    "SupportsUserStream",
    "SupportsWithdrawal",
    "capabilities_of",
]

Amount = Decimal | str | int | float
"""Order inputs accept any of these; they are quantized with Decimal before sending."""


@runtime_checkable
class SupportsTrading(Protocol):
    async def place_limit_order(
        self,
        symbol: Symbol,
        side: Side,
        quantity: Amount,
        price: Amount,
        *,
        order_type: OrderType = OrderType.LIMIT,
        client_order_id: str | None = None,
    ) -> Order:
        """Place a LIMIT (or LIMIT_MAKER / IMMEDIATE_OR_CANCEL / FILL_OR_KILL) order."""
        ...

    async def place_market_order(
        self,
        symbol: Symbol,
        side: Side,
        quantity: Amount | None = None,
        *,
        quote_quantity: Amount | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """Place a MARKET order by base ``quantity`` or by ``quote_quantity`` to spend."""
        ...

    async def cancel_order(self, symbol: Symbol, order_id: str) -> Order: ...

    async def cancel_all_orders(self, symbol: Symbol) -> list[Order]: ...

    async def get_open_orders(self, symbol: Symbol | None = None) -> list[Order]: ...

    async def get_order_status(self, symbol: Symbol, order_id: str) -> Order: ...

    async def get_order_history(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[Order]: ...

    async def get_my_trades(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 100,
    ) -> list[Fill]: ...


@runtime_checkable
class SupportsBalance(Protocol):
    async def get_balances(self) -> dict[AssetName, AssetBalance]:
        """Every asset with a non-zero free or locked balance."""
        ...

    async def get_asset_balance(self, asset: AssetName) -> AssetBalance:
        """One asset's balance (zero when the account holds none)."""
        ...


@runtime_checkable
class SupportsWithdrawal(Protocol):
    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal: ...

    async def get_withdrawal_status(self, withdrawal_id: str) -> Withdrawal: ...

    async def cancel_withdrawal(self, withdrawal_id: str) -> str: ...


@runtime_checkable
class SupportsUserStream(Protocol):
    async def start_user_stream(self, handlers: PrivateStreamHandlers | None = None) -> None:
        """Stream order updates, balance changes and fills; reconcile through REST after gaps."""
        ...

    async def stop_user_stream(self) -> None: ...


@runtime_checkable
class SupportsOrderBookStream(Protocol):
    async def start_orderbook_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """Keep a local order book per symbol in sync with the exchange."""
        ...

    async def stop_orderbook_stream(self, symbols: Sequence[Symbol] | None = None) -> None: ...

    def get_local_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        """The current local book (raises if the symbol is not streamed)."""
        ...

    def orderbook_state(self, symbol: Symbol) -> BookState: ...

    def iter_orderbooks(self) -> AsyncIterator[OrderBook]:
        """Each local book after every applied update, through a bounded queue."""
        ...


@runtime_checkable
class SupportsTradeStream(Protocol):
    async def start_trades_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None: ...

    async def stop_trades_stream(self, symbols: Sequence[Symbol] | None = None) -> None: ...

    def iter_trades(self) -> AsyncIterator[Trade]: ...


@runtime_checkable
class SupportsTickerStream(Protocol):
    async def start_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None: ...

    async def stop_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None: ...

    def iter_tickers(self) -> AsyncIterator[Ticker]: ...


ALL_CAPABILITIES: dict[str, type] = {
    "trading": SupportsTrading,
    "balance": SupportsBalance,
    "withdrawal": SupportsWithdrawal,
    "user_stream": SupportsUserStream,
    "orderbook_stream": SupportsOrderBookStream,
    "trade_stream": SupportsTradeStream,
    "ticker_stream": SupportsTickerStream,
}
"""Capability names as the registry and the CLI show them."""


def capabilities_of(exchange: object) -> list[str]:
    """Names of the capabilities an exchange object has."""
    return [name for name, proto in ALL_CAPABILITIES.items() if isinstance(exchange, proto)]
