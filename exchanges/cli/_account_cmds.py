"""Account commands for any installed exchange: ``balances``, ``orders``, ``order place``, ``order cancel``.

Credentials come from the plugin's environment variables (``MEXC_API_KEY``/``MEXC_SECRET_KEY`` for
MEXC), or, with ``--sim``, from the simulator's funded demo account::

    exchanges balances mexc_spot
    exchanges orders mexc_spot BTC/USDT
    exchanges order place mexc_spot BTC/USDT buy 0.001 --price 50000
    exchanges order place mexc_spot BTC/USDT sell 0.001                  # market order
    exchanges order cancel mexc_spot BTC/USDT C02__5459...
    exchanges order cancel mexc_spot BTC/USDT --all
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from exchanges.capabilities import SupportsBalance, SupportsTrading
from exchanges.cli._command import CliCommand
from exchanges.cli._common import CliError, Target, add_target_options, parse_symbol, run_guarded
from exchanges.cli._render import render_balances, render_orders
from exchanges.interfaces import PrivateExchange
from exchanges.models import OrderType, Side

ORDER_TYPES = {
    "limit": OrderType.LIMIT,
    "limit_maker": OrderType.LIMIT_MAKER,
    "ioc": OrderType.IMMEDIATE_OR_CANCEL,
    "fok": OrderType.FILL_OR_KILL,
    "market": OrderType.MARKET,
}


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _side(text: str) -> Side:
    try:
        return Side(text.upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"side must be buy or sell, got {text!r}") from None


def _require(exchange: PrivateExchange, capability: type, name: str) -> Any:
    if not isinstance(exchange, capability):
        raise CliError(f"exchange {exchange.name!r} does not support {name}")
    return exchange


# -- balances ---------------------------------------------------------------------------------------


async def _balances(args: argparse.Namespace) -> int:
    async def body(target: Target) -> int:
        exchange: SupportsBalance = _require(await target.private(), SupportsBalance, "balances")
        balances = await exchange.get_balances()
        print("\n".join(render_balances(balances)))
        return 0

    return await run_guarded(args, body, private=True)


def _configure_balances(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser, symbol=False)


# -- orders -----------------------------------------------------------------------------------------


def _configure_orders(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser)
    parser.add_argument("--history", action="store_true", help="recent orders of every status, not only open")


async def _orders(args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)

    async def body(target: Target) -> int:
        exchange: SupportsTrading = _require(await target.private(), SupportsTrading, "trading")
        if args.history:
            orders = await exchange.get_order_history(symbol)
        else:
            orders = await exchange.get_open_orders(symbol)
        print("\n".join(render_orders(orders)))
        return 0

    return await run_guarded(args, body, private=True)


# -- order place / cancel ---------------------------------------------------------------------------


def _configure_order(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    place = actions.add_parser("place", help="place an order", description="place an order")
    add_target_options(place)
    place.add_argument("side", type=_side, metavar="SIDE", help="buy or sell")
    place.add_argument("quantity", type=_decimal, nargs="?", metavar="QUANTITY", help="base quantity")
    place.add_argument("--price", type=_decimal, help="limit price (without it: a market order)")
    place.add_argument(
        "--type",
        dest="order_type",
        choices=sorted(ORDER_TYPES),
        default=None,
        help="order type (default limit)",
    )
    place.add_argument("--quote-quantity", type=_decimal, help="market orders: quote amount to spend")
    place.add_argument("--client-id", default=None, help="your client order id")
    cancel = actions.add_parser("cancel", help="cancel an order", description="cancel an order")
    add_target_options(cancel)
    cancel.add_argument("order_id", nargs="?", metavar="ORDER_ID", help="order id to cancel")
    cancel.add_argument("--all", action="store_true", help="cancel every open order of SYMBOL")


async def _place(exchange: SupportsTrading, args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)
    order_type = ORDER_TYPES[args.order_type] if args.order_type else None
    if args.price is None and order_type not in (None, OrderType.MARKET):
        raise CliError(f"--type {args.order_type} needs --price")
    if args.price is not None and order_type is OrderType.MARKET:
        raise CliError("a market order takes no --price")
    if args.price is not None:
        if args.quantity is None:
            raise CliError("a limit order needs QUANTITY")
        order = await exchange.place_limit_order(
            symbol,
            args.side,
            args.quantity,
            args.price,
            order_type=order_type or OrderType.LIMIT,
            client_order_id=args.client_id,
        )
    else:
        if (args.quantity is None) == (args.quote_quantity is None):
            raise CliError("a market order needs exactly one of QUANTITY or --quote-quantity")
        order = await exchange.place_market_order(
            symbol,
            args.side,
            args.quantity,
            quote_quantity=args.quote_quantity,
            client_order_id=args.client_id,
        )
    print("\n".join(render_orders([order])))
    return 0


async def _cancel(exchange: SupportsTrading, args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)
    if args.all:
        orders = await exchange.cancel_all_orders(symbol)
    elif args.order_id:
        orders = [await exchange.cancel_order(symbol, args.order_id)]
    else:
        raise CliError("give an ORDER_ID or --all")
    print("\n".join(render_orders(orders)))
    return 0


async def _order(args: argparse.Namespace) -> int:
    action: Callable[[SupportsTrading, argparse.Namespace], Any] = (
        _place if args.action == "place" else _cancel
    )
    parse_symbol(args.symbol)  # a malformed symbol fails before any connection

    async def body(target: Target) -> int:
        exchange: SupportsTrading = _require(await target.private(), SupportsTrading, "trading")
        result: int = await action(exchange, args)
        return result

    return await run_guarded(args, body, private=True)


COMMANDS = [
    CliCommand(
        name="balances",
        help="non-zero balances of your account (--sim: the simulator's demo account)",
        run=_balances,
        configure=_configure_balances,
    ),
    CliCommand(
        name="orders",
        help="open (or --history) orders of one symbol",
        run=_orders,
        configure=_configure_orders,
    ),
    CliCommand(name="order", help="place or cancel an order", run=_order, configure=_configure_order),
]
