"""exchanges: pluggable async connectors for crypto exchanges.

Pick an exchange by name and get its two domains::

    from exchanges import FullExchangeFactory, Symbol

    public, private = await FullExchangeFactory().create_exchange_pair("mexc_spot")

Everything a plugin or a user needs is importable from the public modules of this package
(``exchanges.models``, ``exchanges.errors``, ``exchanges.transport`` ...); names starting with an
underscore are private.
"""

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
    BookTicker,
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
    Withdrawal,
    WithdrawalRequest,
    WithdrawalStatus,
)
from exchanges.plugins import ExchangesPluginManager
from exchanges.registry import ExchangeRegistry, ExchangeSpec

__all__ = [
    "AssetBalance",
    "AssetName",
    "AuthenticationError",
    "BookState",
    "BookTicker",
    "ClockSkewError",
    "ConfigurationError",
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
    "TradingDisabled",
    "Withdrawal",
    "WithdrawalRequest",
    "WithdrawalStatus",
    "load_exchange_config",
]
