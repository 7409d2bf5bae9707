"""Trades, wire -> :class:`Trade` records: REST trades and aggTrades, WS deals and aggre deals share
the one builder :func:`_trades`.

Hot path (a 10-trade push, measured per push; docs/performance.md "Against the floor"): the push's
fields are read once into rows (what any client must do), turned into columns by ``zip(*rows)``,
the 20 decimal strings become floats in one msgspec call (:func:`..values.decimal_floats`), each
column is checked by C-level ``min``/``sum`` and the records are made by one C-level
``map(tuple.__new__, repeat(Trade), zip(...))`` that skips the NamedTuple's Python ``__new__``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat

from exchanges.models import Side, Symbol, Trade

from ..._proto.PublicAggreDealsV3Api_pb2 import PublicAggreDealsV3Api
from ..._proto.PublicDealsV3Api_pb2 import PublicDealsV3Api
from ..checks import INF, non_negative_time, positive, protocol_error
from ..enums import SIDE_BY_TRADE_TYPE
from ..shapes import AggTradeRow, TradeRow, read
from ..values import decimal_floats
from .base import AGG_TRADES, TRADES
from .base import new_record as _new

__all__ = ["parse_agg_trades", "parse_rest_trades", "trades_from_aggre_pb", "trades_from_deals_pb"]

_SIDES: dict[int, Side] = dict(SIDE_BY_TRADE_TYPE)  # a dict: subscripting a mappingproxy is slower
_side_of_type = _SIDES.__getitem__
_BUY = Side.BUY
_SELL = Side.SELL


def _trades(
    symbol: Symbol,
    prices: Sequence[float],
    quantities: Sequence[float],
    sides: Iterable[Side],
    times: Sequence[int],
    ids: Iterable[str | None],
) -> list[Trade]:
    """The one Trade builder (REST trades, REST aggTrades, WS deals and aggre deals), from columns:
    prices and quantities finite and > 0, times >= 0, else ProtocolError naming the first bad trade.

    The check is C-level per column: ``min > 0`` and ``sum < inf`` (a NaN or an infinity makes the
    sum NaN or inf, whatever its position); a column that fails it is checked value by value, so a
    sum that only overflows (values near 1e308, each finite) is accepted as ``float()`` + the check
    would. Nothing is returned for a push with a bad trade, so none is published."""
    if not prices:
        return []
    if not (
        min(prices) > 0.0
        and sum(prices) < INF
        and min(quantities) > 0.0
        and sum(quantities) < INF
        and min(times) >= 0
    ):
        _check_each_trade(prices, quantities, times)
    return list(map(_new, repeat(Trade), zip(repeat(symbol), prices, quantities, sides, times, ids)))


def _check_each_trade(prices: Sequence[float], quantities: Sequence[float], times: Sequence[int]) -> None:
    """Slow path: name the first bad trade; returns when every value passes (the column check only
    failed because a sum of finite values overflowed)."""
    for index, (price, quantity, time_ms) in enumerate(zip(prices, quantities, times, strict=True)):
        positive(price, f"deals[{index}].price")
        positive(quantity, f"deals[{index}].quantity")
        non_negative_time(time_ms, f"deals[{index}].time")


def _taker_side(buyer_is_maker: bool) -> Side:
    # The maker bought, so the taker sold.
    return _SELL if buyer_is_maker else _BUY


def _id_text(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_rest_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/trades -> trades; ``side`` is the taker's (from ``isBuyerMaker``); ``id`` is often null."""

    def build(rows: list[TradeRow]) -> list[Trade]:
        return _trades(
            symbol,
            [r.price for r in rows],
            [r.qty for r in rows],
            [_taker_side(r.isBuyerMaker) for r in rows],
            [r.time for r in rows],
            [_id_text(r.id) for r in rows],
        )

    return read(body, list[TradeRow], TRADES, build)


def parse_agg_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/aggTrades -> trades (``p``, ``q``, ``T`` int or string, ``m`` buyer-is-maker, ``a`` id)."""

    def build(rows: list[AggTradeRow]) -> list[Trade]:
        return _trades(
            symbol,
            [r.p for r in rows],
            [r.q for r in rows],
            [_taker_side(r.m) for r in rows],
            [r.T for r in rows],
            [_id_text(r.a) for r in rows],
        )

    return read(body, list[AggTradeRow], AGG_TRADES, build)


def trades_from_aggre_pb(symbol: Symbol, body: PublicAggreDealsV3Api) -> list[Trade]:
    """publicAggreDeals (314): deals[] {price, quantity, tradeType 1/2, time ms, tradeId}."""
    try:
        rows = [(d.price, d.quantity, d.tradeType, d.time, d.tradeId) for d in body.deals]
        if not rows:
            return []
        prices, quantities, types, times, ids = zip(*rows, strict=True)
        count = len(prices)
        numbers = decimal_floats(prices + quantities)
        return _trades(
            symbol,
            numbers[:count],
            numbers[count:],
            map(_side_of_type, types),
            times,
            ids if all(ids) else [trade_id or None for trade_id in ids],
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicAggreDeals", error) from None


def trades_from_deals_pb(symbol: Symbol, body: PublicDealsV3Api) -> list[Trade]:
    """publicDeals (301, legacy): like aggre deals without tradeId."""
    try:
        rows = [(d.price, d.quantity, d.tradeType, d.time) for d in body.deals]
        if not rows:
            return []
        prices, quantities, types, times = zip(*rows, strict=True)
        count = len(prices)
        numbers = decimal_floats(prices + quantities)
        return _trades(
            symbol, numbers[:count], numbers[count:], map(_side_of_type, types), times, repeat(None)
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicDeals", error) from None
