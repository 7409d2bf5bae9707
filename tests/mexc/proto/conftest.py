"""Shared by the wire-validation tests: every REST parse function by name, and the "valid record" check."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from exchanges.models import AssetName, KlineInterval, Symbol, WithdrawalRequest
from exchanges_mexc.parsing import (
    parse_account,
    parse_agg_trades,
    parse_avg_price,
    parse_book_ticker_json,
    parse_book_tickers_json,
    parse_cancel_withdrawal,
    parse_coin_config,
    parse_default_symbols,
    parse_deposit_addresses,
    parse_deposits,
    parse_depth_snapshot,
    parse_exchange_info,
    parse_klines,
    parse_listen_key,
    parse_listen_keys,
    parse_my_trades,
    parse_order_json,
    parse_orders_json,
    parse_rest_trades,
    parse_server_time,
    parse_ticker_24h,
    parse_ticker_price,
    parse_ticker_prices,
    parse_tickers_24h,
    parse_trade_fee,
    parse_transfer_id,
    parse_withdraw_response,
    parse_withdrawals,
)
from exchanges_mexc.symbols import MexcSymbolMapper

BTC = Symbol("BTC", "USDT")
_resolve = MexcSymbolMapper().to_symbol
_WITHDRAWAL = WithdrawalRequest(asset=AssetName("USDT"), amount=Decimal(5), address="T1", network="TRX")

REST_PARSERS: dict[str, Callable[[bytes], object]] = {
    "time": parse_server_time,
    "depth": lambda body: parse_depth_snapshot(BTC, body),
    "trades": lambda body: parse_rest_trades(BTC, body),
    "aggTrades": lambda body: parse_agg_trades(BTC, body),
    "klines": lambda body: parse_klines(BTC, KlineInterval.MINUTE_1, body),
    "ticker24h": lambda body: parse_ticker_24h(BTC, body),
    "tickers24h": lambda body: parse_tickers_24h(body, _resolve),
    "price": parse_ticker_price,
    "prices": lambda body: parse_ticker_prices(body, _resolve),
    "avgPrice": parse_avg_price,
    "bookTicker": lambda body: parse_book_ticker_json(BTC, body),
    "bookTickers": lambda body: parse_book_tickers_json(body, _resolve),
    "order": lambda body: parse_order_json(body, BTC),
    "orders": lambda body: parse_orders_json(body, BTC),
    "myTrades": lambda body: parse_my_trades(body, BTC),
    "account": parse_account,
    "tradeFee": lambda body: parse_trade_fee(BTC, body),
    "exchangeInfo": parse_exchange_info,
    "defaultSymbols": parse_default_symbols,
    "withdrawals": parse_withdrawals,
    "withdraw": lambda body: parse_withdraw_response(body, _WITHDRAWAL),
    "cancelWithdrawal": parse_cancel_withdrawal,
    "deposits": parse_deposits,
    "depositAddresses": parse_deposit_addresses,
    "coinConfig": parse_coin_config,
    "transfer": parse_transfer_id,
    "listenKey": parse_listen_key,
    "listenKeys": parse_listen_keys,
}
"""Every REST parse function, as ``body bytes -> result``."""

SINGLE_OBJECT = (
    "time",
    "depth",
    "ticker24h",
    "price",
    "avgPrice",
    "bookTicker",
    "order",
    "account",
    "tradeFee",
    "exchangeInfo",
    "withdraw",
    "cancelWithdrawal",
    "transfer",
    "listenKey",
)
"""Endpoints answering one object: ``{}`` carries nothing and must raise, never become zeros."""

SIGNED_FIELDS = frozenset({"price_change_ratio", "free_change", "locked_change", "fee", "maker", "maker_fee"})
"""Numbers that may legitimately be negative (a falling price, a balance decrease, a fee rebate)."""


def assert_valid(value: Any, name: str = "result") -> None:
    """Every number reachable from ``value`` is finite, and non-negative unless its field may be signed."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, float | int):
        assert math.isfinite(value), f"{name} = {value!r}"
        assert name in SIGNED_FIELDS or value >= 0, f"{name} = {value!r}"
        return
    if isinstance(value, Decimal):
        assert value.is_finite(), f"{name} = {value!r}"
        assert name in SIGNED_FIELDS or value >= 0, f"{name} = {value!r}"
        return
    if isinstance(value, dict):
        for item in value.values():
            assert_valid(item, name)
        return
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # NamedTuple records
        for field, item in zip(value._fields, value, strict=True):
            assert_valid(item, field)
        return
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            assert_valid(getattr(value, field.name), field.name)
        return
    if isinstance(value, list | tuple | frozenset | set):
        for item in value:
            assert_valid(item, name)
        return
    if hasattr(value, "value"):  # enums
        return
    raise AssertionError(f"unexpected {type(value).__name__} in {name}")
