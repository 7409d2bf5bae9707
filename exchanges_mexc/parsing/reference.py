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
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from decimal import Decimal

from exchanges.errors import ProtocolError
from exchanges.models import AssetName, OrderType, Symbol, SymbolInfo

from ..constants import EXCHANGE_NAME
from .checks import non_negative_dec, non_negative_time
from .enums import ORDER_TYPE_BY_NAME
from .shapes import decode_any
from .values import ZERO, code_opt, dec_opt, to_int, to_int_opt

__all__ = ["parse_default_symbols", "parse_exchange_info", "parse_symbol_info"]

logger = logging.getLogger("exchanges.mexc.parsing")

_ONLINE = frozenset({"1", "ENABLED", "TRADING"})
EXCHANGE_INFO = "GET /api/v3/exchangeInfo"
DEFAULT_SYMBOLS = "GET /api/v3/defaultSymbols"


def _positive(value: object) -> Decimal | None:
    """A Decimal > 0, else None (``"0"``, ``""`` and null mean "no rule")."""
    number = dec_opt(value)
    return number if number is not None and number > 0 else None


def _non_negative(value: object) -> Decimal | None:
    """A Decimal >= 0, or None when absent; a negative value raises (the item is skipped)."""
    number = dec_opt(value)
    return None if number is None else non_negative_dec(number, "takerCommission")


def _order_types(names: object) -> frozenset[OrderType]:
    if not isinstance(names, list | tuple):
        return frozenset(OrderType)
    types = {ORDER_TYPE_BY_NAME[n] for n in names if isinstance(n, str) and n in ORDER_TYPE_BY_NAME}
    # IOC and FOK are accepted as order types wherever LIMIT is (API.md §3.1).
    if OrderType.LIMIT in types:
        types |= {OrderType.IMMEDIATE_OR_CANCEL, OrderType.FILL_OR_KILL}
    return frozenset(types)


def _percent_price(filters: object) -> tuple[Decimal | None, Decimal | None]:
    """(bidMultiplierUp, askMultiplierDown) from a PERCENT_PRICE_BY_SIDE filter, unknown filters ignored."""
    if not isinstance(filters, list):
        return None, None
    for item in filters:
        if isinstance(item, Mapping) and item.get("filterType") == "PERCENT_PRICE_BY_SIDE":
            return dec_opt(item.get("bidMultiplierUp")), dec_opt(item.get("askMultiplierDown"))
    return None, None


def parse_symbol_info(
    data: Mapping[str, object], default_symbols: Collection[str] | None = None
) -> SymbolInfo:
    """One exchangeInfo ``symbols`` item -> SymbolInfo.

    ``default_symbols`` (from :func:`parse_default_symbols`), when given, further restricts
    ``api_tradable`` to the pairs MEXC lists as API-tradable.
    """
    g = data.get
    symbol = Symbol(AssetName(str(g("baseAsset"))), AssetName(str(g("quoteAsset"))))
    side_type = to_int_opt(g("tradeSideType"))
    side_type = 1 if side_type is None else side_type
    step = _positive(g("baseSizePrecision"))
    bid_up, ask_down = _percent_price(g("filters"))
    quote_precision = g("quoteAssetPrecision")
    if quote_precision is None:
        quote_precision = g("quotePrecision")
    api_tradable = g("isSpotTradingAllowed") is not False
    if default_symbols is not None:
        api_tradable = api_tradable and str(g("symbol")) in default_symbols
    return SymbolInfo(
        symbol=symbol,
        base_precision=non_negative_time(to_int(g("baseAssetPrecision")), "baseAssetPrecision"),
        quote_precision=non_negative_time(to_int(quote_precision), "quoteAssetPrecision"),
        min_quantity=step if step is not None else ZERO,
        quantity_step=step,
        min_notional=_positive(g("quoteAmountPrecision")) or ZERO,
        max_notional=_positive(g("maxQuoteAmount")),
        min_notional_market=_positive(g("quoteAmountPrecisionMarket")),
        max_notional_market=_positive(g("maxQuoteAmountMarket")),
        order_types=_order_types(g("orderTypes")),
        buy_allowed=side_type in (1, 2),
        sell_allowed=side_type in (1, 3),
        tradable=str(g("status")).upper() in _ONLINE and side_type != 4,
        api_tradable=api_tradable,
        maker_fee=dec_opt(g("makerCommission")),
        taker_fee=_non_negative(g("takerCommission")),
        max_buy_price_ratio=bid_up,
        min_sell_price_ratio=ask_down,
    )


def parse_exchange_info(
    body: bytes, default_symbols: Collection[str] | None = None
) -> dict[Symbol, SymbolInfo]:
    """GET /api/v3/exchangeInfo -> {Symbol: SymbolInfo}. A malformed item is logged and skipped, so one
    odd listing never hides the other thousands; a body without a ``symbols`` list raises ProtocolError."""
    data = decode_any(body, EXCHANGE_INFO)
    items = data.get("symbols") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProtocolError("expected a list", source=EXCHANGE_INFO, field="symbols", exchange=EXCHANGE_NAME)
    result: dict[Symbol, SymbolInfo] = {}
    for item in items:
        try:
            if not isinstance(item, dict):
                raise TypeError(f"expected an object, got {type(item).__name__}")
            info = parse_symbol_info(item, default_symbols)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            name = item.get("symbol") if isinstance(item, dict) else None
            logger.debug("skipping exchangeInfo symbol %r: %s", name, error)
            continue
        result[info.symbol] = info
    return result


def parse_default_symbols(body: bytes) -> frozenset[str]:
    """GET /api/v3/defaultSymbols -> the API-tradable pairs. Accepts ``{"code":0|200,"data":[...]}``
    (both codes seen) or a bare list; any other code or shape raises ProtocolError."""
    data = decode_any(body, DEFAULT_SYMBOLS)
    if isinstance(data, dict):
        code = code_opt(data.get("code"))
        if code not in (None, 0, 200):
            raise ProtocolError(
                f"answered code {code}: {data.get('msg')!r}",
                source=DEFAULT_SYMBOLS,
                field="code",
                exchange=EXCHANGE_NAME,
            )
        items = data.get("data")
    else:
        items = data
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ProtocolError(
            "expected a list of pairs", source=DEFAULT_SYMBOLS, field="data", exchange=EXCHANGE_NAME
        )
    return frozenset(item.upper() for item in items if item)
