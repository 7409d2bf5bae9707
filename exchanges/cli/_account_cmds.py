"""Account commands for any installed exchange: ``balances``, ``orders``, ``order place``, ``order cancel``.

Credentials come from the plugin's environment variables (``MEXC_API_KEY``/``MEXC_SECRET_KEY`` for
MEXC), or, with ``--sim``, from the simulator's funded demo account::

    exchanges balances mexc_spot
    exchanges orders mexc_spot                         # every open order, all symbols
    exchanges orders mexc_spot BTC/USDT --history
    exchanges order place mexc_spot BTC/USDT buy 0.001 --price 50000
    exchanges order place mexc_spot BTC/USDT sell 0.001                  # market order
    exchanges order place mexc_spot BTC/USDT buy 0.001 --price 50000 --dry-run
    exchanges order cancel mexc_spot BTC/USDT C02__5459...
    exchanges order cancel mexc_spot BTC/USDT --all

Every output starts with the exchange and its environment (``SIMULATOR`` / ``PRODUCTION``). On
PRODUCTION, placing or cancelling asks for confirmation unless ``--yes``. ``--dry-run`` validates the
order with the exchange (``test_order``) and places nothing. ``--json`` prints JSON instead of tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from exchanges.capabilities import SupportsBalance, SupportsTestOrder, SupportsTrading
from exchanges.cli._command import CliCommand
from exchanges.cli._common import CliError, Target, add_target_options, parse_symbol, run_guarded
from exchanges.cli._output import add_json_option, confirm, print_json
from exchanges.cli._render import render_balances, render_orders
from exchanges.models import Order, OrderRequest, OrderType, Side

ORDER_TYPES = {
    "limit": OrderType.LIMIT,
    "limit_maker": OrderType.LIMIT_MAKER,
    "ioc": OrderType.IMMEDIATE_OR_CANCEL,
    "fok": OrderType.FILL_OR_KILL,
    "market": OrderType.MARKET,
}
EXIT_DECLINED = 1


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


def _require(exchange: object, capability: type, name: str) -> Any:
    if not isinstance(exchange, capability):
        raise CliError(f"exchange {getattr(exchange, 'name', '?')!r} does not support {name}")
    return exchange


def _show_orders(
    target: Target, args: argparse.Namespace, orders: Sequence[Order], heading: str = ""
) -> None:
    if args.json:
        print_json(target.exchange, target.environment_name, list(orders))
        return
    print(target.banner + (f"  {heading}" if heading else ""))
    print("\n".join(render_orders(orders)))


# -- balances ---------------------------------------------------------------------------------------


async def _balances(args: argparse.Namespace) -> int:
    async def body(target: Target) -> int:
        exchange: SupportsBalance = _require(await target.private(), SupportsBalance, "balances")
        balances = await exchange.get_balances()
        if args.json:
            print_json(target.exchange, target.environment_name, balances)
            return 0
        print(target.banner)
        print("\n".join(render_balances(balances)))
        return 0

    return await run_guarded(args, body, private=True)


def _configure_balances(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser, symbol=False)
    add_json_option(parser)


# -- orders -----------------------------------------------------------------------------------------


def _configure_orders(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser, symbol=False)
    parser.add_argument(
        "symbol", nargs="?", metavar="SYMBOL", help="BASE/QUOTE; without it: every open order of the account"
    )
    parser.add_argument("--history", action="store_true", help="recent orders of every status, not only open")
    add_json_option(parser)


async def _orders(args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol) if args.symbol else None
    if args.history and symbol is None:
        raise CliError("--history needs a SYMBOL (exchanges keep order history per symbol)")

    async def body(target: Target) -> int:
        exchange: SupportsTrading = _require(await target.private(), SupportsTrading, "trading")
        if args.history and symbol is not None:
            orders = await exchange.get_order_history(symbol)
        else:
            orders = await exchange.get_open_orders(symbol)
        _show_orders(target, args, orders, "open orders" if not args.history else f"{symbol} history")
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
        help="order type; default: limit with --price, market without (ioc, fok, limit_maker need --price)",
    )
    place.add_argument("--quote-quantity", type=_decimal, help="market orders: quote amount to spend")
    place.add_argument("--client-id", default=None, help="your client order id")
    place.add_argument(
        "--dry-run", action="store_true", help="validate with the exchange (test order) and place nothing"
    )
    place.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation on PRODUCTION")
    add_json_option(place)
    cancel = actions.add_parser("cancel", help="cancel an order", description="cancel an order")
    add_target_options(cancel)
    cancel.add_argument("order_id", nargs="?", metavar="ORDER_ID", help="order id to cancel")
    cancel.add_argument("--all", action="store_true", help="cancel every open order of SYMBOL")
    cancel.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation on PRODUCTION")
    add_json_option(cancel)


def _order_request(args: argparse.Namespace) -> OrderRequest:
    """The order the arguments describe; CliError for a combination no exchange accepts."""
    symbol = parse_symbol(args.symbol)
    order_type = ORDER_TYPES[args.order_type] if args.order_type else None
    if args.price is None and order_type not in (None, OrderType.MARKET):
        raise CliError(f"--type {args.order_type} needs --price")
    if args.price is not None and order_type is OrderType.MARKET:
        raise CliError("a market order takes no --price")
    if args.price is not None:
        if args.quantity is None:
            raise CliError("a limit order needs QUANTITY")
        if args.quote_quantity is not None:
            raise CliError("--quote-quantity is for market orders only")
        return OrderRequest(
            symbol,
            args.side,
            order_type or OrderType.LIMIT,
            args.quantity,
            args.price,
            client_order_id=args.client_id,
        )
    if (args.quantity is None) == (args.quote_quantity is None):
        raise CliError("a market order needs exactly one of QUANTITY or --quote-quantity")
    return OrderRequest(
        symbol,
        args.side,
        OrderType.MARKET,
        args.quantity,
        None,
        args.quote_quantity,
        client_order_id=args.client_id,
    )


def describe_request(request: OrderRequest) -> str:
    """``BUY 0.001 BTC/USDT LIMIT @ 50000`` / ``SELL 0.5 ETH/USDT MARKET`` / ``BUY 100 USDT of ...``."""
    if request.quantity is not None:
        amount = f"{request.quantity} {request.symbol.base}"
    else:
        amount = f"{request.quote_quantity} {request.symbol.quote} of {request.symbol.base}"
    price = f" @ {request.price}" if request.price is not None else ""
    return f"{request.side.value} {amount} on {request.symbol} {request.order_type.value}{price}"


def _confirmed(target: Target, args: argparse.Namespace, action: str) -> bool:
    """True on a simulator, with --yes, or when the user answers yes on PRODUCTION."""
    if target.label == "SIMULATOR" or args.yes:
        return True
    return confirm(f"{action} on {target.exchange} {target.label} (real money)?")


async def _place(target: Target, args: argparse.Namespace) -> int:
    request = _order_request(args)
    exchange: SupportsTrading = _require(await target.private(), SupportsTrading, "trading")
    if args.dry_run:
        tester: SupportsTestOrder = _require(exchange, SupportsTestOrder, "test orders (--dry-run)")
        await tester.test_order(request)
        if args.json:
            print_json(target.exchange, target.environment_name, {"dry_run": True, "request": request})
        else:
            print(f"{target.banner}  DRY RUN: {describe_request(request)} passed the exchange's order test")
            print("nothing was placed")
        return 0
    if not _confirmed(target, args, f"Place {describe_request(request)}"):
        print("exchanges: declined, nothing was placed", file=sys.stderr)
        return EXIT_DECLINED
    if request.order_type is OrderType.MARKET:
        order = await exchange.place_market_order(
            request.symbol,
            request.side,
            request.quantity,
            quote_quantity=request.quote_quantity,
            client_order_id=request.client_order_id,
        )
    else:
        assert request.quantity is not None
        assert request.price is not None
        order = await exchange.place_limit_order(
            request.symbol,
            request.side,
            request.quantity,
            request.price,
            order_type=request.order_type,
            client_order_id=request.client_order_id,
        )
    # The placement answer may predate the fill (MEXC's carries no status): show the order as it is now.
    order = await exchange.get_order_status(request.symbol, order.order_id)
    _show_orders(target, args, [order], "order placed")
    return 0


async def _cancel(target: Target, args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)
    if not args.all and not args.order_id:
        raise CliError("give an ORDER_ID or --all")
    what = f"Cancel every open order of {symbol}" if args.all else f"Cancel order {args.order_id} of {symbol}"
    exchange: SupportsTrading = _require(await target.private(), SupportsTrading, "trading")
    if not _confirmed(target, args, what):
        print("exchanges: declined, nothing was cancelled", file=sys.stderr)
        return EXIT_DECLINED
    if args.all:
        orders = await exchange.cancel_all_orders(symbol)
    else:
        orders = [await exchange.cancel_order(symbol, args.order_id)]
    _show_orders(target, args, orders, "canceled")
    return 0


async def _order(args: argparse.Namespace) -> int:
    action: Callable[[Target, argparse.Namespace], Any] = _place if args.action == "place" else _cancel
    parse_symbol(args.symbol)  # a malformed symbol fails before any connection
    if args.action == "place":
        _order_request(args)  # so does an impossible combination of options

    async def body(target: Target) -> int:
        result: int = await action(target, args)
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
        help="open orders (all symbols, or one), or --history of one symbol",
        run=_orders,
        configure=_configure_orders,
    ),
    CliCommand(name="order", help="place or cancel an order", run=_order, configure=_configure_order),
]
