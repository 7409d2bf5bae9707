"""Trades, wire -> :class:`Trade` records: REST trades and aggTrades, WS deals and aggre deals share
the one check :func:`_trades`.

Hot path: each record is built with ``new_record(Trade, (...))`` in the caller's comprehension (skips
the NamedTuple's Python-level ``__new__``) and the built list is checked by one chained comparison per
value in a plain loop (see :mod:`..checks` for the measurement).
"""

from __future__ import annotations

from typing import NoReturn

from exchanges.models import Side, Symbol, Trade

from ..._proto.PublicAggreDealsV3Api_pb2 import PublicAggreDealsV3Api
from ..._proto.PublicDealsV3Api_pb2 import PublicDealsV3Api
from ..checks import INF, fail, non_negative_time, positive, protocol_error
from ..enums import SIDE_BY_TRADE_TYPE
from ..shapes import AggTradeRow, TradeRow, read
from .base import AGG_TRADES, TRADES
from .base import new_record as _new

__all__ = ["parse_agg_trades", "parse_rest_trades", "trades_from_aggre_pb", "trades_from_deals_pb"]

_SIDES: dict[int, Side] = dict(SIDE_BY_TRADE_TYPE)  # a dict: subscripting a mappingproxy is slower
_BUY = Side.BUY
_SELL = Side.SELL


def _trades(trades: list[Trade]) -> list[Trade]:
    """The one Trade check (REST trades, REST aggTrades, WS deals and aggre deals): prices and
    quantities finite and > 0, times >= 0; returns ``trades`` itself.

    Callers build each record in their comprehension (``_new(Trade, (symbol, price, quantity, side,
    time, id))``, the field order of :class:`Trade`) and this checks the built records: measured
    ~80 ns per trade cheaper than building a row list first and mapping it into records, and a record
    that fails is never returned, so none is published."""
    for _, price, quantity, _, time_ms, _ in trades:
        if not (0.0 < price < INF and 0.0 < quantity < INF and time_ms >= 0):
            _explain_trades(trades)
    return trades


def _explain_trades(trades: list[Trade]) -> NoReturn:
    """Slow path: name the first bad trade (only runs for a message that is being rejected)."""
    for index, trade in enumerate(trades):
        positive(trade.price, f"deals[{index}].price")
        positive(trade.quantity, f"deals[{index}].quantity")
        non_negative_time(trade.timestamp, f"deals[{index}].time")
    fail("deals", "a trade failed the range check")  # not reached: one of the checks above raises


def _taker_side(buyer_is_maker: bool) -> Side:
    # The maker bought, so the taker sold.
    return _SELL if buyer_is_maker else _BUY


def _id_text(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_rest_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/trades -> trades; ``side`` is the taker's (from ``isBuyerMaker``); ``id`` is often null."""
    return read(
        body,
        list[TradeRow],
        TRADES,
        lambda rows: _trades(
            [
                _new(Trade, (symbol, r.price, r.qty, _taker_side(r.isBuyerMaker), r.time, _id_text(r.id)))
                for r in rows
            ]
        ),
    )


def parse_agg_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/aggTrades -> trades (``p``, ``q``, ``T`` int or string, ``m`` buyer-is-maker, ``a`` id)."""
    return read(
        body,
        list[AggTradeRow],
        AGG_TRADES,
        lambda rows: _trades(
            [_new(Trade, (symbol, r.p, r.q, _taker_side(r.m), r.T, _id_text(r.a))) for r in rows]
        ),
    )


def trades_from_aggre_pb(symbol: Symbol, body: PublicAggreDealsV3Api) -> list[Trade]:
    """publicAggreDeals (314): deals[] {price, quantity, tradeType 1/2, time ms, tradeId}."""
    new, record, sides = _new, Trade, _SIDES
    try:
        return _trades(
            [
                new(
                    record,
                    (
                        symbol,
                        float(d.price),
                        float(d.quantity),
                        sides[d.tradeType],
                        d.time,
                        d.tradeId or None,
                    ),
                )
                for d in body.deals
            ]
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicAggreDeals", error) from None


def trades_from_deals_pb(symbol: Symbol, body: PublicDealsV3Api) -> list[Trade]:
    """publicDeals (301, legacy): like aggre deals without tradeId."""
    new, record, sides = _new, Trade, _SIDES
    try:
        return _trades(
            [
                new(record, (symbol, float(d.price), float(d.quantity), sides[d.tradeType], d.time, None))
                for d in body.deals
            ]
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicDeals", error) from None
