"""The two blocking domains: every method of the stated async API (the domain class and each
capability Protocol of :mod:`exchanges.capabilities`), mirrored with its types.

A capability the wrapped exchange lacks raises ``AttributeError`` on access, like the async object;
check with ``exchanges.capabilities.capabilities_of(blocking.exchange)``.
"""

from __future__ import annotations

from exchanges._sync.wrappers import BlockingExchange, BlockingMethod, IteratorMethod, LoopMethod
from exchanges.capabilities import (
    SupportsAllTickers,
    SupportsBalance,
    SupportsBatchOrders,
    SupportsBookTickerStream,
    SupportsDeposits,
    SupportsKlineHistory,
    SupportsKlineStream,
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
    SupportsWithdrawal,
)
from exchanges.interfaces import ExchangeLifecycle, PrivateExchange, PublicExchange


class BlockingPublicExchange(BlockingExchange[PublicExchange]):
    """A market-data exchange whose methods block (``exchanges.sync`` creates it)."""

    initialize = BlockingMethod(ExchangeLifecycle.initialize)
    health_check = BlockingMethod(ExchangeLifecycle.health_check)
    get_performance_metrics = LoopMethod(ExchangeLifecycle.get_performance_metrics)

    get_symbols_info = BlockingMethod(PublicExchange.get_symbols_info)
    get_orderbook = BlockingMethod(PublicExchange.get_orderbook)
    get_recent_trades = BlockingMethod(PublicExchange.get_recent_trades)
    get_ticker = BlockingMethod(PublicExchange.get_ticker)
    get_book_ticker = BlockingMethod(PublicExchange.get_book_ticker)
    get_klines = BlockingMethod(PublicExchange.get_klines)
    get_server_time = BlockingMethod(PublicExchange.get_server_time)
    ping = BlockingMethod(PublicExchange.ping)

    start_orderbook_stream = BlockingMethod(SupportsOrderBookStream.start_orderbook_stream)
    stop_orderbook_stream = BlockingMethod(SupportsOrderBookStream.stop_orderbook_stream)
    get_local_orderbook = LoopMethod(SupportsOrderBookStream.get_local_orderbook)
    orderbook_state = LoopMethod(SupportsOrderBookStream.orderbook_state)
    wait_orderbook_ready = BlockingMethod(SupportsOrderBookStream.wait_orderbook_ready)
    iter_orderbooks = IteratorMethod(SupportsOrderBookStream.iter_orderbooks)

    start_trades_stream = BlockingMethod(SupportsTradeStream.start_trades_stream)
    stop_trades_stream = BlockingMethod(SupportsTradeStream.stop_trades_stream)
    iter_trades = IteratorMethod(SupportsTradeStream.iter_trades)

    start_ticker_stream = BlockingMethod(SupportsTickerStream.start_ticker_stream)
    stop_ticker_stream = BlockingMethod(SupportsTickerStream.stop_ticker_stream)
    iter_tickers = IteratorMethod(SupportsTickerStream.iter_tickers)

    get_tickers = BlockingMethod(SupportsAllTickers.get_tickers)
    get_book_tickers = BlockingMethod(SupportsAllTickers.get_book_tickers)

    start_book_ticker_stream = BlockingMethod(SupportsBookTickerStream.start_book_ticker_stream)
    stop_book_ticker_stream = BlockingMethod(SupportsBookTickerStream.stop_book_ticker_stream)
    iter_book_tickers = IteratorMethod(SupportsBookTickerStream.iter_book_tickers)

    start_kline_stream = BlockingMethod(SupportsKlineStream.start_kline_stream)
    stop_kline_stream = BlockingMethod(SupportsKlineStream.stop_kline_stream)
    iter_klines = IteratorMethod(SupportsKlineStream.iter_klines)

    iter_kline_history = IteratorMethod(SupportsKlineHistory.iter_kline_history)


class BlockingPrivateExchange(BlockingExchange[PrivateExchange]):
    """A trading and account exchange whose methods block (``exchanges.sync`` creates it)."""

    initialize = BlockingMethod(ExchangeLifecycle.initialize)
    health_check = BlockingMethod(ExchangeLifecycle.health_check)
    get_performance_metrics = LoopMethod(ExchangeLifecycle.get_performance_metrics)

    get_symbols_info = BlockingMethod(PrivateExchange.get_symbols_info)

    place_limit_order = BlockingMethod(SupportsTrading.place_limit_order)
    place_market_order = BlockingMethod(SupportsTrading.place_market_order)
    cancel_order = BlockingMethod(SupportsTrading.cancel_order)
    cancel_all_orders = BlockingMethod(SupportsTrading.cancel_all_orders)
    get_open_orders = BlockingMethod(SupportsTrading.get_open_orders)
    get_order_status = BlockingMethod(SupportsTrading.get_order_status)
    get_order_history = BlockingMethod(SupportsTrading.get_order_history)
    get_my_trades = BlockingMethod(SupportsTrading.get_my_trades)

    get_balances = BlockingMethod(SupportsBalance.get_balances)
    get_asset_balance = BlockingMethod(SupportsBalance.get_asset_balance)

    withdraw = BlockingMethod(SupportsWithdrawal.withdraw)
    get_withdrawal_status = BlockingMethod(SupportsWithdrawal.get_withdrawal_status)
    cancel_withdrawal = BlockingMethod(SupportsWithdrawal.cancel_withdrawal)
    get_withdrawal_networks = BlockingMethod(SupportsSafeWithdrawal.get_withdrawal_networks)
    plan_withdrawal = BlockingMethod(SupportsSafeWithdrawal.plan_withdrawal)

    start_user_stream = BlockingMethod(SupportsUserStream.start_user_stream)
    stop_user_stream = BlockingMethod(SupportsUserStream.stop_user_stream)

    place_batch_orders = BlockingMethod(SupportsBatchOrders.place_batch_orders)
    test_order = BlockingMethod(SupportsTestOrder.test_order)
    get_trading_fees = BlockingMethod(SupportsTradingFees.get_trading_fees)
    iter_order_history = IteratorMethod(SupportsPagedHistory.iter_order_history)
    iter_my_trades = IteratorMethod(SupportsPagedHistory.iter_my_trades)

    get_deposit_address = BlockingMethod(SupportsDeposits.get_deposit_address)
    get_deposit_history = BlockingMethod(SupportsDeposits.get_deposit_history)
    transfer = BlockingMethod(SupportsTransfer.transfer)
