"""Capabilities as runtime-checkable Protocols.

An exchange class declares nothing: it has a capability when it has the methods. Check with
``isinstance(exchange, SupportsTrading)`` before calling. (``runtime_checkable`` checks that the
methods exist, not their signatures; the conformance suite in :mod:`exchanges.testing` checks
behaviour.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from exchanges.errors import ExchangeError
from exchanges.handlers import PrivateStreamHandlers, PublicStreamHandlers
from exchanges.models import (
    AccountType,
    Amount,
    AssetBalance,
    AssetName,
    BookState,
    BookTicker,
    Deposit,
    DepositAddress,
    Fill,
    Kline,
    KlineInterval,
    NetworkInfo,
    Order,
    OrderBook,
    OrderRequest,
    OrderType,
    Side,
    Symbol,
    Ticker,
    Trade,
    TradeFee,
    Transfer,
    Withdrawal,
    WithdrawalPlan,
    WithdrawalRequest,
)

__all__ = [
    "ALL_CAPABILITIES",
    "Amount",
    "SupportsAllTickers",
    "SupportsBalance",
    "SupportsBatchOrders",
    "SupportsBookTickerStream",
    "SupportsDeposits",
    "SupportsKlineHistory",
    "SupportsKlineStream",
    "SupportsOrderBookStream",
    "SupportsPagedHistory",
    "SupportsSafeWithdrawal",
    "SupportsTestOrder",
    "SupportsTickerStream",
    "SupportsTradeStream",
    "SupportsTrading",
    "SupportsTradingFees",
    "SupportsTransfer",
    "SupportsUserStream",
    "SupportsWithdrawal",
    "capabilities_of",
]


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

    def orderbook_state(self, symbol: Symbol) -> BookState:
        """SYNCING, LIVE, or STALE (its connection is lost or silent: do not trust it)."""
        ...

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every book of ``symbols`` is LIVE; ``TimeoutError`` naming the others."""
        ...

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


# -------------------------------------------------------------------------- market data breadth


@runtime_checkable
class SupportsAllTickers(Protocol):
    async def get_tickers(self) -> dict[Symbol, Ticker]:
        """24 h statistics of every listed symbol, in one request where the exchange allows."""
        ...

    async def get_book_tickers(self) -> dict[Symbol, BookTicker]:
        """Best bid and ask of every listed symbol."""
        ...


@runtime_checkable
class SupportsBookTickerStream(Protocol):
    async def start_book_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """Best bid/ask pushes per symbol (``handlers.book_ticker_handler`` and ``iter_book_tickers``)."""
        ...

    async def stop_book_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None: ...

    def iter_book_tickers(self) -> AsyncIterator[BookTicker]: ...


@runtime_checkable
class SupportsKlineStream(Protocol):
    async def start_kline_stream(
        self,
        symbols: Sequence[Symbol],
        interval: KlineInterval,
        handlers: PublicStreamHandlers | None = None,
    ) -> None:
        """Candle pushes (the forming candle, updated) per symbol at ``interval``."""
        ...

    async def stop_kline_stream(self, symbols: Sequence[Symbol] | None = None) -> None: ...

    def iter_klines(self) -> AsyncIterator[Kline]: ...


@runtime_checkable
class SupportsKlineHistory(Protocol):
    def iter_kline_history(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        start_time: int,
        end_time: int | None = None,
    ) -> AsyncIterator[Kline]:
        """Every candle opening in ``[start_time, end_time)``, oldest first, paged under the
        exchange's per-request limit (each candle exactly once)."""
        ...


# -------------------------------------------------------------------------- trading and account breadth


@runtime_checkable
class SupportsBatchOrders(Protocol):
    async def place_batch_orders(self, requests: Sequence[OrderRequest]) -> list[Order | ExchangeError]:
        """Place several orders in one request: one result per request, in order, each the placed
        ``Order`` or the typed error that refused it (checked locally first; refused items are not sent)."""
        ...


@runtime_checkable
class SupportsTestOrder(Protocol):
    async def test_order(self, request: OrderRequest) -> None:
        """Validate ``request`` locally and with the exchange without placing it (raises when refused)."""
        ...


@runtime_checkable
class SupportsTradingFees(Protocol):
    async def get_trading_fees(self, symbol: Symbol) -> TradeFee:
        """The account's maker and taker rates for ``symbol``."""
        ...


@runtime_checkable
class SupportsPagedHistory(Protocol):
    def iter_order_history(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None
    ) -> AsyncIterator[Order]:
        """Every order of ``symbol`` created in the window, oldest first, paged through the
        exchange's time windows (each order once)."""
        ...

    def iter_my_trades(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None
    ) -> AsyncIterator[Fill]:
        """Every fill of ``symbol`` in the window, oldest first, paged (each fill once)."""
        ...


@runtime_checkable
class SupportsDeposits(Protocol):
    async def get_deposit_address(self, asset: AssetName | str, network: str | None = None) -> DepositAddress:
        """Where to send ``asset`` (on ``network``: the exchange's id or a common name such as ERC20)."""
        ...

    async def get_deposit_history(
        self,
        asset: AssetName | str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Deposit]:
        """Deposits, newest first."""
        ...


@runtime_checkable
class SupportsSafeWithdrawal(Protocol):
    async def get_withdrawal_networks(self, asset: AssetName | str) -> list[NetworkInfo]:
        """Every network ``asset`` can be withdrawn on, with its rules (fee, min, max, multiple, memo)."""
        ...

    async def plan_withdrawal(self, request: WithdrawalRequest) -> WithdrawalPlan:
        """Run every pre-send check and return what would be sent; raises the refusal's typed error."""
        ...


@runtime_checkable
class SupportsTransfer(Protocol):
    async def transfer(
        self, asset: AssetName | str, amount: Amount, from_account: AccountType, to_account: AccountType
    ) -> Transfer:
        """Move ``amount`` of ``asset`` between the user's own accounts (e.g. SPOT -> FUTURES)."""
        ...


ALL_CAPABILITIES: dict[str, type] = {
    "trading": SupportsTrading,
    "balance": SupportsBalance,
    "withdrawal": SupportsWithdrawal,
    "user_stream": SupportsUserStream,
    "orderbook_stream": SupportsOrderBookStream,
    "trade_stream": SupportsTradeStream,
    "ticker_stream": SupportsTickerStream,
    "all_tickers": SupportsAllTickers,
    "book_ticker_stream": SupportsBookTickerStream,
    "kline_stream": SupportsKlineStream,
    "kline_history": SupportsKlineHistory,
    "batch_orders": SupportsBatchOrders,
    "test_order": SupportsTestOrder,
    "trading_fees": SupportsTradingFees,
    "paged_history": SupportsPagedHistory,
    "deposits": SupportsDeposits,
    "safe_withdrawal": SupportsSafeWithdrawal,
    "transfer": SupportsTransfer,
}
"""Capability names as the registry and the CLI show them."""


def capabilities_of(exchange: object) -> list[str]:
    """Names of the capabilities an exchange object has."""
    return [name for name, proto in ALL_CAPABILITIES.items() if isinstance(exchange, proto)]
