"""Typed shapes of MEXC REST JSON bodies (msgspec Structs) and the one decoding seam.

A REST body (bytes) is decoded once, straight into one of these Structs by a cached
``msgspec.json.Decoder(..., strict=False)``: numbers-as-strings (``"46263.71"``) become floats or ints in
C, so a 100-level depth answer never passes through Python dicts and lists of strings. A missing
required key, a wrong type or bytes that are not JSON raise ``msgspec.ValidationError``/``DecodeError``;
:func:`decode` turns those into :class:`exchanges.errors.ProtocolError` naming the endpoint and the
path msgspec reports (``$.bids[3][0]``).

Fields MEXC sometimes leaves empty (``""`` or ``null``: ticker quantities, optional order fields) are
typed :data:`Loose` and read by :mod:`.values`; fields that must be there are typed strictly.
Unknown keys are ignored, so new fields on the exchange's side never break a read. Every shape is
frozen and untracked by the garbage collector (``gc=False``: they hold no cycles).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from exchanges.errors import ProtocolError
from exchanges.models import OrderBookEntry

from ..constants import EXCHANGE_NAME
from .checks import protocol_error

S = TypeVar("S")
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")

__all__ = [
    "AccountInfo",
    "AggTradeRow",
    "AvgPrice",
    "BalanceRow",
    "BookTickerRow",
    "DepthSnapshot",
    "KlineRow",
    "ListenKeyAnswer",
    "ListenKeyList",
    "Loose",
    "MyTradeRow",
    "OrderRow",
    "PriceRow",
    "ServerTime",
    "TickerRow",
    "TradeFeeAnswer",
    "TradeFeeRow",
    "TradeRow",
    "convert",
    "decode",
    "envelope_keys",
    "read",
    "read_either",
]

Loose = str | float | int | None
"""A number MEXC may send as a string, a JSON number, ``""`` or ``null`` (read by :mod:`.values`)."""

Levels = tuple[OrderBookEntry, ...]
"""A book side ``[["price", "quantity"], ...]``, decoded straight into OrderBookEntry records (floats)."""


class ServerTime(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/time."""

    serverTime: int


class DepthSnapshot(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/depth: ``lastUpdateId`` int or string, levels ``[price, quantity]`` strings."""

    lastUpdateId: int
    bids: Levels
    asks: Levels
    timestamp: int | None = None


class TradeRow(msgspec.Struct, frozen=True, gc=False):
    """One GET /api/v3/trades item (``id`` is often null)."""

    price: float
    qty: float
    time: int
    isBuyerMaker: bool
    id: str | int | None = None


class AggTradeRow(msgspec.Struct, frozen=True, gc=False):
    """One GET /api/v3/aggTrades item: ``p`` price, ``q`` quantity, ``T`` time, ``m`` buyer-is-maker."""

    p: float
    q: float
    T: int
    m: bool
    a: str | int | None = None


KlineRow = tuple[int, float, float, float, float, float, int, float]
"""One GET /api/v3/klines row: openTime, open, high, low, close, volume, closeTime, quoteVolume."""


class TickerRow(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/ticker/24hr (one object, or each item of the all-symbols list)."""

    lastPrice: float
    highPrice: Loose = None
    lowPrice: Loose = None
    volume: Loose = None
    quoteVolume: Loose = None
    priceChangePercent: Loose = None
    closeTime: int | None = None
    openPrice: Loose = None
    bidPrice: Loose = None
    askPrice: Loose = None
    symbol: str = ""


class PriceRow(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/ticker/price (one object, or each item of the list)."""

    price: float
    symbol: str = ""


class AvgPrice(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/avgPrice."""

    price: float


class BookTickerRow(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/ticker/bookTicker (one object, or each item of the list). Sides may be empty."""

    bidPrice: Loose
    bidQty: Loose
    askPrice: Loose
    askQty: Loose
    symbol: str = ""


class OrderRow(msgspec.Struct, frozen=True, gc=False):
    """Any order answer: POST/GET/DELETE /api/v3/order, open/all orders items, batch results.

    ``side`` and ``orderId`` are required: an answer without them cannot be an order (the caller
    treats it as an unknown outcome and reconciles).
    """

    orderId: str | int
    side: str
    type: str = "LIMIT"
    status: str | None = None
    origQty: Loose = None
    price: Loose = None
    origQuoteOrderQty: Loose = None
    executedQty: Loose = None
    cummulativeQuoteQty: Loose = None
    clientOrderId: str | int | None = None
    origClientOrderId: str | int | None = None
    newClientOrderId: str | int | None = None
    time: int | str | None = None
    transactTime: int | str | None = None
    updateTime: int | str | None = None
    symbol: str = ""


class BalanceRow(msgspec.Struct, frozen=True, gc=False):
    """One ``balances`` item of GET /api/v3/account."""

    asset: str
    free: Loose
    locked: Loose


class AccountInfo(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/account (only the balances are read)."""

    balances: list[BalanceRow]


class MyTradeRow(msgspec.Struct, frozen=True, gc=False):
    """One GET /api/v3/myTrades item."""

    orderId: str | int
    price: Loose
    qty: Loose
    time: int
    isBuyer: bool
    id: str | int | None = None
    quoteQty: Loose = None
    commission: Loose = None
    commissionAsset: str | None = None
    isMaker: bool = False
    clientOrderId: str | int | None = None


class ListenKeyAnswer(msgspec.Struct, frozen=True, gc=False):
    """POST /api/v3/userDataStream: ``{"listenKey": "..."}``."""

    listenKey: str


class ListenKeyList(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/userDataStream: ``{"listenKey": ["...", ...]}`` (absent when there is none)."""

    listenKey: list[str] = []


class TradeFeeRow(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/tradeFee's inner object (the answer wraps it in ``{"data": ..., "code": 0}``)."""

    makerCommission: Loose
    takerCommission: Loose


class TradeFeeAnswer(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/tradeFee: the ``{"data": {...}, "code": 0}`` envelope, or (older captures) the bare
    inner object, whose rates are then read from this object itself (absent: None, refused later)."""

    data: TradeFeeRow | None = None
    makerCommission: Loose = None
    takerCommission: Loose = None


# ------------------------------------------------------------------------------------------------
# The decoding seam
# ------------------------------------------------------------------------------------------------

_PATH = re.compile(r" - at `(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]*)`")
_VALUE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError)
"""What reading a decoded value can raise (InvalidField is a ValueError); always re-raised typed."""


_DECODERS: dict[object, msgspec.json.Decoder[Any]] = {}


def _decoder(shape: object) -> msgspec.json.Decoder[Any]:
    """The lenient decoder (numbers sent as strings accepted) for ``shape``, built once per shape."""
    found = _DECODERS.get(shape)
    if found is None:
        found = _DECODERS[shape] = msgspec.json.Decoder(shape, strict=False)
    return found


def decode(body: bytes, shape: type[S], source: str) -> S:
    """``body`` decoded into ``shape`` (a Struct, ``list[Struct]``, a tuple type...): an instance of it,
    typed as such for mypy. Wrong JSON or a wrong shape raises ProtocolError naming ``source`` and
    the path msgspec reports."""
    try:
        result: S = _decoder(shape).decode(body)
    except msgspec.ValidationError as error:
        raise _invalid(error, source) from None
    except msgspec.DecodeError as error:
        raise ProtocolError(f"not JSON: {error}", source=source, exchange=EXCHANGE_NAME) from None
    return result


def convert(value: object, shape: type[S], source: str) -> S:
    """Already-decoded JSON values (e.g. one item of a batch answer) checked into ``shape``; same errors
    as :func:`decode`."""
    try:
        return msgspec.convert(value, shape, strict=False)
    except msgspec.ValidationError as error:
        raise _invalid(error, source) from None


def read(body: bytes, shape: type[S], source: str, build: Callable[[S], R]) -> R:
    """The REST entry point in one call: :func:`decode` ``body`` into ``shape``, then ``build`` the
    record(s) from it; an invalid value found while building raises ProtocolError naming ``source``
    and (for a check in :mod:`.checks`) the field."""
    data = decode(body, shape, source)
    try:
        return build(data)
    except _VALUE_ERRORS as error:
        raise protocol_error(source, error) from None


def read_either(body: bytes, first: type[A], second: type[B], source: str, build: Callable[[A | B], R]) -> R:
    """:func:`read` for a body MEXC sends in one of two shapes (one object or a list of them, a bare
    value or an envelope): decoded once into ``first | second`` (at most one of them an object shape,
    msgspec's rule for unions), then built."""
    either: Any = first | second
    return read(body, either, source, build)


def _invalid(error: msgspec.ValidationError, source: str) -> ProtocolError:
    """msgspec's ``Expected `int`, got `str` - at `$.bids[0]``` -> ProtocolError(reason, field=path)."""
    text = str(error)
    found = _PATH.search(text)
    path = found.group("path") if found else "$"
    reason = text[: found.start()] if found else text
    missing = _MISSING.search(reason)
    if missing is not None:  # name the missing key itself: "$.serverTime", "$[0].side"
        path = f"{path}.{missing.group('name')}"
    return ProtocolError(reason, source=source, field=path, exchange=EXCHANGE_NAME)


class _EnvelopeKeys(msgspec.Struct, frozen=True, gc=False):
    """Only ``code`` and ``msg`` of a JSON object: msgspec skips every other key without building it."""

    code: Any = msgspec.UNSET
    msg: Any = msgspec.UNSET


_ENVELOPE_KEYS: msgspec.json.Decoder[_EnvelopeKeys] = msgspec.json.Decoder(_EnvelopeKeys)


def envelope_keys(body: bytes) -> dict[str, object] | None:
    """The ``code``/``msg`` keys present in a JSON object ``body``, or None when it is not one.

    For the error-envelope check on raw 2xx bodies that mention ``"msg"``: a successful
    ``{"code": 0, "msg": "success", "data": [...]}`` is then not decoded into a second full tree
    before its typed shape reads it."""
    try:
        found = _ENVELOPE_KEYS.decode(body)
    except msgspec.DecodeError:  # ValidationError included: not an object
        return None
    return {
        key: value for key, value in (("code", found.code), ("msg", found.msg)) if value is not msgspec.UNSET
    }
