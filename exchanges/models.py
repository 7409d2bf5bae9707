"""Exchange-neutral domain records shared by the framework, every plugin and every user.

Two families, chosen for the path they travel (DESIGN.md, "Numbers"):

* Market data (``OrderBookEntry``, ``Trade``, ``BookTicker``, ``Ticker``, ``Kline``, ``BookUpdate``)
  is hot-path data: prices and sizes are ``float`` and the records are ``typing.NamedTuple`` s.
  They are immutable like attrs frozen classes but cost about 260 ns to build instead of about
  585 ns (measured with timeit on this project's CI machine), which matters at thousands of
  messages per second.
* Trading and account data (``Order``, ``Fill``, ``AssetBalance``, ``Withdrawal``...) carries money:
  ``Decimal`` everywhere, attrs frozen and slotted records.

Times are integers in milliseconds since the Unix epoch, as exchanges send them.

The records live in private modules by family (``exchanges._models.symbol``, ``.enums``, ``.market``,
``.orders``, ``.account``, ``.status``); this module is their one public home: import them from here.
"""

from __future__ import annotations

from exchanges._models.account import (
    AssetBalance,
    BalanceUpdate,
    Deposit,
    DepositAddress,
    NetworkInfo,
    TradeFee,
    Transfer,
    Withdrawal,
    WithdrawalPlan,
    WithdrawalRequest,
)
from exchanges._models.enums import (
    AccountType,
    BookState,
    ConnectionState,
    DepositStatus,
    KlineInterval,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    WithdrawalStatus,
)
from exchanges._models.market import (
    BookTicker,
    BookUpdate,
    Kline,
    OrderBook,
    OrderBookEntry,
    Ticker,
    Trade,
    TradeGap,
)
from exchanges._models.orders import Amount, Fill, Order, OrderRequest, SymbolInfo, to_amount
from exchanges._models.status import BookStateChange, ConnectionStateChange
from exchanges._models.symbol import AssetName, OrderId, Symbol

__all__ = [
    "AccountType",
    "Amount",
    "AssetBalance",
    "AssetName",
    "BalanceUpdate",
    "BookState",
    "BookStateChange",
    "BookTicker",
    "BookUpdate",
    "ConnectionState",
    "ConnectionStateChange",
    "Deposit",
    "DepositAddress",
    "DepositStatus",
    "Fill",
    "Kline",
    "KlineInterval",
    "NetworkInfo",
    "Order",
    "OrderBook",
    "OrderBookEntry",
    "OrderId",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Side",
    "Symbol",
    "SymbolInfo",
    "Ticker",
    "TimeInForce",
    "Trade",
    "TradeFee",
    "TradeGap",
    "Transfer",
    "Withdrawal",
    "WithdrawalPlan",
    "WithdrawalRequest",
    "WithdrawalStatus",
    "to_amount",
]
