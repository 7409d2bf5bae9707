"""exchanges: pluggable async connectors for crypto exchanges.

Pick an exchange by name and get its two domains::

    from exchanges import FullExchangeFactory, Symbol

    public, private = await FullExchangeFactory().create_exchange_pair("mexc_spot")

Everything a plugin or a user needs is importable from the public modules of this package
(``exchanges.models``, ``exchanges.errors``, ``exchanges.transport`` ...); names starting with an
underscore are private (docs/architecture.md lists the stated API).

The distribution is named ``exchangekit`` (``pip install exchangekit``); the import packages are
``exchanges`` (the framework) and ``exchanges_mexc`` (the MEXC plugin).
"""

import logging as _logging

from exchanges.capabilities import (
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTickerStream,
    SupportsTradeStream,
    SupportsTrading,
    SupportsUserStream,
    SupportsWithdrawal,
)
from exchanges.config import Credentials, ExchangeConfig, load_exchange_config
from exchanges.errors import (
    AuthenticationError,
    ClockSkewError,
    ConfigurationError,
    ExchangeAPIError,
    ExchangeClosedError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeNotFound,
    ExchangeServerError,
    InsufficientBalance,
    InvalidOrder,
    OrderNotFound,
    OrderNotPlaced,
    OrderOutcomeError,
    OrderOutcomeUnknown,
    PluginError,
    ProtocolError,
    RateLimitError,
    SubscriptionError,
    SymbolNotSupported,
    TradingDisabled,
)
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PrivateStreamHandlers, PublicStreamHandlers
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import (
    AssetBalance,
    AssetName,
    BookState,
    BookStateChange,
    BookTicker,
    ConnectionState,
    ConnectionStateChange,
    Fill,
    Kline,
    KlineInterval,
    Order,
    OrderBook,
    OrderBookEntry,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    TimeInForce,
    Trade,
    TradeGap,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalStatus,
)
from exchanges.plugins import ExchangesPluginManager
from exchanges.registry import ExchangeRegistry, ExchangeSpec

__version__ = "0.2.0"
"""The ``exchangekit`` distribution's version (also in pyproject.toml, read from here)."""

# A library never configures logging: without a handler of the application's, records stop here
# instead of reaching Python's last-resort stderr handler. Every logger of the framework and of the
# MEXC plugin is a child of "exchanges".
_logging.getLogger("exchanges").addHandler(_logging.NullHandler())

__all__ = [
    "AssetBalance",
    "AssetName",
    "AuthenticationError",
    "BookState",
    "BookStateChange",
    "BookTicker",
    "ClockSkewError",
    "ConfigurationError",
    "ConnectionState",
    "ConnectionStateChange",
    "Credentials",
    "ExchangeAPIError",
    "ExchangeClosedError",
    "ExchangeConfig",
    "ExchangeConnectionError",
    "ExchangeError",
    "ExchangeNotFound",
    "ExchangeRegistry",
    "ExchangeServerError",
    "ExchangeSpec",
    "ExchangesPluginManager",
    "Fill",
    "FullExchangeFactory",
    "InsufficientBalance",
    "InvalidOrder",
    "Kline",
    "KlineInterval",
    "Order",
    "OrderBook",
    "OrderBookEntry",
    "OrderNotFound",
    "OrderNotPlaced",
    "OrderOutcomeError",
    "OrderOutcomeUnknown",
    "OrderStatus",
    "OrderType",
    "PluginError",
    "PrivateExchange",
    "PrivateStreamHandlers",
    "ProtocolError",
    "PublicExchange",
    "PublicStreamHandlers",
    "RateLimitError",
    "Side",
    "SubscriptionError",
    "SupportsBalance",
    "SupportsOrderBookStream",
    "SupportsTickerStream",
    "SupportsTradeStream",
    "SupportsTrading",
    "SupportsUserStream",
    "SupportsWithdrawal",
    "Symbol",
    "SymbolInfo",
    "SymbolNotSupported",
    "Ticker",
    "TimeInForce",
    "Trade",
    "TradeGap",
    "TradingDisabled",
    "Withdrawal",
    "WithdrawalRequest",
    "WithdrawalStatus",
    "__version__",
    "load_exchange_config",
]
