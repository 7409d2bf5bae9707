"""Reference data, JSON -> models: exchangeInfo -> SymbolInfo, defaultSymbols -> pair set.

MEXC's trading rules live in precision fields, not Binance-style filters (API.md §3.1, §14):

* ``baseAssetPrecision`` / ``quoteAssetPrecision``: decimal places of quantity / price.
* ``baseSizePrecision``: quantity step and minimum as a decimal string; ``"0"`` means none.
* ``quoteAmountPrecision`` / ``maxQuoteAmount``: min / max notional of limit orders, the ``*Market``
  variants the same for market orders.
* ``status`` ``"1"`` online, ``"2"`` paused, ``"3"`` offline; ``isSpotTradingAllowed`` false means the
  pair cannot be traded through the API (error 10007) even when online.
* ``tradeSideType`` 1 all, 2 buy only, 3 sell only, 4 closed (int, sometimes string).
* ``filters``: ``PERCENT_PRICE_BY_SIDE`` (bid/ask multipliers) is read; unknown filter types are ignored.

Bodies decode into the typed shapes below. exchangeInfo decodes each listing on its own
(``symbols`` as raw items), so one odd listing is logged and skipped instead of hiding thousands.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from decimal import Decimal

import msgspec

from exchanges.errors import ProtocolError
from exchanges.models import AssetName, OrderType, Symbol, SymbolInfo

from ..constants import EXCHANGE_NAME
from .checks import non_negative_dec, non_negative_time
from .enums import ORDER_TYPE_BY_NAME
from .shapes import Loose, convert, decode, read_either
from .values import ZERO, code_opt, dec_opt, to_int, to_int_opt

__all__ = ["parse_default_symbols", "parse_exchange_info", "parse_symbol_info"]

logger = logging.getLogger("exchanges.mexc.parsing")

_ONLINE = frozenset({"1", "ENABLED", "TRADING"})
EXCHANGE_INFO = "GET /api/v3/exchangeInfo"
DEFAULT_SYMBOLS = "GET /api/v3/defaultSymbols"
_BUILD_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError)

Count = int | str | None
"""A small integer MEXC sends as a number or a digit string (precisions, side types)."""


class FilterRow(msgspec.Struct, frozen=True, gc=False):
    """One ``filters`` item; only ``PERCENT_PRICE_BY_SIDE`` is read, other types are ignored."""

    filterType: str | None = None
    bidMultiplierUp: Loose = None
    askMultiplierDown: Loose = None


class SymbolRow(msgspec.Struct, frozen=True, gc=False):
    """One exchangeInfo ``symbols`` item. Only the two assets are required."""

    baseAsset: str
    quoteAsset: str
    symbol: str | None = None
    status: str | int | None = None
    tradeSideType: Count = None
    baseSizePrecision: Loose = None
    baseAssetPrecision: Count = None
    quoteAssetPrecision: Count = None
    quotePrecision: Count = None
    quoteAmountPrecision: Loose = None
    maxQuoteAmount: Loose = None
    quoteAmountPrecisionMarket: Loose = None
    maxQuoteAmountMarket: Loose = None
    orderTypes: list[str] | None = None
    isSpotTradingAllowed: bool | None = None
    makerCommission: Loose = None
    takerCommission: Loose = None
    filters: list[FilterRow] | None = None


class ExchangeInfo(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/exchangeInfo: the listings, each kept raw until it is decoded on its own."""

    symbols: list[msgspec.Raw]


class DefaultSymbolsAnswer(msgspec.Struct, frozen=True, gc=False):
    """GET /api/v3/defaultSymbols' envelope ``{"code": 0 | 200, "data": [...]}`` (both codes seen)."""

    code: str | int | None = None
    msg: str | None = None
    data: list[str] | None = None


def _positive(value: Loose) -> Decimal | None:
    """A Decimal > 0, else None (``"0"``, ``""`` and null mean "no rule")."""
    number = dec_opt(value)
    return number if number is not None and number > 0 else None


def _non_negative(value: Loose) -> Decimal | None:
    """A Decimal >= 0, or None when absent; a negative value raises (the item is skipped)."""
    number = dec_opt(value)
    return None if number is None else non_negative_dec(number, "takerCommission")


def _ratio(value: Loose, field: str) -> Decimal | None:
    """A price-band multiplier: absent (None) or a finite Decimal >= 0 (a negative one is refused)."""
    number = dec_opt(value)
    return None if number is None else non_negative_dec(number, field)


def _order_types(names: list[str] | None) -> frozenset[OrderType]:
    if names is None:
        return frozenset(OrderType)
    types = {ORDER_TYPE_BY_NAME[n] for n in names if n in ORDER_TYPE_BY_NAME}
    # IOC and FOK are accepted as order types wherever LIMIT is (API.md §3.1).
    if OrderType.LIMIT in types:
        types |= {OrderType.IMMEDIATE_OR_CANCEL, OrderType.FILL_OR_KILL}
    return frozenset(types)


def _percent_price(filters: list[FilterRow] | None) -> tuple[Decimal | None, Decimal | None]:
    """(bidMultiplierUp, askMultiplierDown) from a PERCENT_PRICE_BY_SIDE filter, unknown filters ignored."""
    for item in filters or ():
        if item.filterType == "PERCENT_PRICE_BY_SIDE":
            return _ratio(item.bidMultiplierUp, "bidMultiplierUp"), _ratio(
                item.askMultiplierDown, "askMultiplierDown"
            )
    return None, None


def parse_symbol_info(
    data: SymbolRow | Mapping[str, object], default_symbols: Collection[str] | None = None
) -> SymbolInfo:
    """One exchangeInfo ``symbols`` item (its typed shape, or the decoded JSON object) -> SymbolInfo.

    ``default_symbols`` (from :func:`parse_default_symbols`), when given, further restricts
    ``api_tradable`` to the pairs MEXC lists as API-tradable. A wrong shape raises ProtocolError.
    """
    row = data if isinstance(data, SymbolRow) else convert(data, SymbolRow, EXCHANGE_INFO)
    symbol = Symbol(AssetName(row.baseAsset), AssetName(row.quoteAsset))
    side_type = to_int_opt(row.tradeSideType)
    side_type = 1 if side_type is None else side_type
    step = _positive(row.baseSizePrecision)
    bid_up, ask_down = _percent_price(row.filters)
    quote_precision = row.quoteAssetPrecision if row.quoteAssetPrecision is not None else row.quotePrecision
    api_tradable = row.isSpotTradingAllowed is not False
    if default_symbols is not None:
        api_tradable = api_tradable and str(row.symbol) in default_symbols
    return SymbolInfo(
        symbol=symbol,
        base_precision=non_negative_time(to_int(row.baseAssetPrecision), "baseAssetPrecision"),
        quote_precision=non_negative_time(to_int(quote_precision), "quoteAssetPrecision"),
        min_quantity=step if step is not None else ZERO,
        quantity_step=step,
        min_notional=_positive(row.quoteAmountPrecision) or ZERO,
        max_notional=_positive(row.maxQuoteAmount),
        min_notional_market=_positive(row.quoteAmountPrecisionMarket),
        max_notional_market=_positive(row.maxQuoteAmountMarket),
        order_types=_order_types(row.orderTypes),
        buy_allowed=side_type in (1, 2),
        sell_allowed=side_type in (1, 3),
        tradable=str(row.status).upper() in _ONLINE and side_type != 4,
        api_tradable=api_tradable,
        maker_fee=dec_opt(row.makerCommission),
        taker_fee=_non_negative(row.takerCommission),
        max_buy_price_ratio=bid_up,
        min_sell_price_ratio=ask_down,
    )


def parse_exchange_info(
    body: bytes, default_symbols: Collection[str] | None = None
) -> dict[Symbol, SymbolInfo]:
    """GET /api/v3/exchangeInfo -> {Symbol: SymbolInfo}. A malformed item is logged and skipped, so one
    odd listing never hides the other thousands; a body without a ``symbols`` list raises ProtocolError."""
    result: dict[Symbol, SymbolInfo] = {}
    for item in decode(body, ExchangeInfo, EXCHANGE_INFO).symbols:
        try:
            info = parse_symbol_info(decode(bytes(item), SymbolRow, EXCHANGE_INFO), default_symbols)
        except (ProtocolError, *_BUILD_ERRORS) as error:
            logger.debug("skipping exchangeInfo symbol %.80r: %s", bytes(item), error)
            continue
        result[info.symbol] = info
    return result


def _default_symbols(answer: list[str] | DefaultSymbolsAnswer) -> frozenset[str]:
    if isinstance(answer, DefaultSymbolsAnswer):
        code = code_opt(answer.code)
        if code not in (None, 0, 200):
            raise ProtocolError(
                f"answered code {code}: {answer.msg!r}",
                source=DEFAULT_SYMBOLS,
                field="code",
                exchange=EXCHANGE_NAME,
            )
        if answer.data is None:
            raise ProtocolError(
                "expected a list of pairs", source=DEFAULT_SYMBOLS, field="data", exchange=EXCHANGE_NAME
            )
        items = answer.data
    else:
        items = answer
    return frozenset(item.upper() for item in items if item)


def parse_default_symbols(body: bytes) -> frozenset[str]:
    """GET /api/v3/defaultSymbols -> the API-tradable pairs. Accepts ``{"code":0|200,"data":[...]}``
    (both codes seen) or a bare list; any other code or shape raises ProtocolError."""
    return read_either(body, list[str], DefaultSymbolsAnswer, DEFAULT_SYMBOLS, _default_symbols)
