"""All MEXC wire -> model conversion, REST JSON and WebSocket protobuf (one function per concept).

Modules, split by concern:

* :mod:`.shapes`    typed msgspec shapes of REST bodies; the one JSON decoding seam (-> ProtocolError)
* :mod:`.checks`    the wire validation rules (finite, non-negative, non-zero where zero is meaningless)
* :mod:`.values`    tolerant scalars (``""``/``null``, int-or-string numbers, Decimal from strings)
* :mod:`.enums`     MEXC names/ints <-> model enums, kline interval spellings
* :mod:`.market`    books, trades, candles, tickers (float NamedTuples; one module each)
* :mod:`.account`   orders, fills, balances (Decimal attrs records)
* :mod:`.capital`   withdrawals, deposits, deposit addresses, networks
* :mod:`.reference` exchangeInfo -> SymbolInfo, defaultSymbols
* :mod:`.control`   WebSocket control messages (acks, PONG, refusals, invalid listen key)
* :mod:`.frames`    WebSocket frames: dual-format detection, MexcFrameDecoder

No dict leaves this package: callers get model records only. ``MessageToDict`` is never used. Every
public parse function returns valid records or raises :class:`exchanges.errors.ProtocolError` naming
the endpoint or push body and the field; REST functions take the raw body (bytes).
"""

from __future__ import annotations

from .account import (
    balance_update_from_pb,
    fill_from_pb,
    order_from_pb,
    parse_account,
    parse_listen_key,
    parse_listen_keys,
    parse_my_trade,
    parse_my_trades,
    parse_order_json,
    parse_order_mapping,
    parse_orders_json,
    parse_trade_fee,
)
from .capital import (
    parse_cancel_withdrawal,
    parse_coin_config,
    parse_deposit,
    parse_deposit_addresses,
    parse_deposits,
    parse_transfer_id,
    parse_withdraw_response,
    parse_withdrawal,
    parse_withdrawals,
)
from .control import ControlMessage, control_from_json, control_from_text
from .enums import (
    deposit_status,
    interval_from_rest,
    interval_from_ws,
    order_status,
    order_type,
    rest_interval,
    side,
    withdrawal_status,
    ws_interval,
)
from .frames import BODY_FIELDS, Event, MexcFrameDecoder, is_json_frame
from .market import (
    book_ticker_from_pb,
    book_tickers_from_batch_pb,
    book_update_from_increase_pb,
    book_update_from_pb,
    kline_from_pb,
    order_book_from_pb,
    parse_agg_trades,
    parse_avg_price,
    parse_book_ticker_json,
    parse_book_tickers_json,
    parse_depth_snapshot,
    parse_klines,
    parse_rest_trades,
    parse_server_time,
    parse_ticker_24h,
    parse_ticker_price,
    parse_ticker_prices,
    parse_tickers_24h,
    ticker_from_pb,
    trades_from_aggre_pb,
    trades_from_deals_pb,
)
from .reference import parse_default_symbols, parse_exchange_info, parse_symbol_info

__all__ = [
    "BODY_FIELDS",
    "ControlMessage",
    "Event",
    "MexcFrameDecoder",
    "balance_update_from_pb",
    "book_ticker_from_pb",
    "book_tickers_from_batch_pb",
    "book_update_from_increase_pb",
    "book_update_from_pb",
    "control_from_json",
    "control_from_text",
    "deposit_status",
    "fill_from_pb",
    "interval_from_rest",
    "interval_from_ws",
    "is_json_frame",
    "kline_from_pb",
    "order_book_from_pb",
    "order_from_pb",
    "order_status",
    "order_type",
    "parse_account",
    "parse_agg_trades",
    "parse_avg_price",
    "parse_book_ticker_json",
    "parse_book_tickers_json",
    "parse_cancel_withdrawal",
    "parse_coin_config",
    "parse_default_symbols",
    "parse_deposit",
    "parse_deposit_addresses",
    "parse_deposits",
    "parse_depth_snapshot",
    "parse_exchange_info",
    "parse_klines",
    "parse_listen_key",
    "parse_listen_keys",
    "parse_my_trade",
    "parse_my_trades",
    "parse_order_json",
    "parse_order_mapping",
    "parse_orders_json",
    "parse_rest_trades",
    "parse_server_time",
    "parse_symbol_info",
    "parse_ticker_24h",
    "parse_ticker_price",
    "parse_ticker_prices",
    "parse_tickers_24h",
    "parse_trade_fee",
    "parse_transfer_id",
    "parse_withdraw_response",
    "parse_withdrawal",
    "parse_withdrawals",
    "rest_interval",
    "side",
    "ticker_from_pb",
    "trades_from_aggre_pb",
    "trades_from_deals_pb",
    "withdrawal_status",
    "ws_interval",
]
