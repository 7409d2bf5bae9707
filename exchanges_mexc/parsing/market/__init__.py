"""Market data, wire -> models: one builder per concept, shared by REST JSON and WebSocket protobuf.

One module per concept: :mod:`.trades` (REST trades and aggTrades, WS deals and aggre deals),
:mod:`.depth` (REST depth, WS limit/aggre/increase depths), :mod:`.tickers` (book tickers, 24h
tickers, prices), :mod:`.klines`; :mod:`.base` holds what they share and the server time. In each,
the private builder (``_trades``, ``_order_book``, ``_book_update``, ``_book_ticker``, ``_ticker``,
``_kline``) validates (see :mod:`..checks`) and makes the records; the public ``parse_*`` functions
(REST bytes, decoded by :mod:`..shapes`) and ``*_from_pb`` functions (generated protobuf classes)
only pick the wire fields and call the builder. Every public function returns valid records or raises
:class:`exchanges.errors.ProtocolError` naming the endpoint (REST) or the push body (WebSocket).
"""

from __future__ import annotations

from .base import parse_server_time
from .depth import book_update_from_increase_pb, book_update_from_pb, order_book_from_pb, parse_depth_snapshot
from .klines import kline_from_pb, parse_klines
from .tickers import (
    book_ticker_from_pb,
    book_tickers_from_batch_pb,
    parse_avg_price,
    parse_book_ticker_json,
    parse_book_tickers_json,
    parse_ticker_24h,
    parse_ticker_price,
    parse_ticker_prices,
    parse_tickers_24h,
    ticker_from_pb,
)
from .trades import parse_agg_trades, parse_rest_trades, trades_from_aggre_pb, trades_from_deals_pb

__all__ = [
    "book_ticker_from_pb",
    "book_tickers_from_batch_pb",
    "book_update_from_increase_pb",
    "book_update_from_pb",
    "kline_from_pb",
    "order_book_from_pb",
    "parse_agg_trades",
    "parse_avg_price",
    "parse_book_ticker_json",
    "parse_book_tickers_json",
    "parse_depth_snapshot",
    "parse_klines",
    "parse_rest_trades",
    "parse_server_time",
    "parse_ticker_24h",
    "parse_ticker_price",
    "parse_ticker_prices",
    "parse_tickers_24h",
    "ticker_from_pb",
    "trades_from_aggre_pb",
    "trades_from_deals_pb",
]
