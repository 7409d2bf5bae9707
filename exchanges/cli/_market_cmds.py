"""Market-data commands for any installed exchange: ``watch``, ``book`` and ``ticker``.

::

    exchanges watch mexc_spot BTC/USDT               # real MEXC, live view until Ctrl-C
    exchanges watch mexc_spot BTC/USDT --sim         # the plugin's simulator, in-process
    exchanges book mexc_spot ETH/USDT --depth 5 --env sim   # a simulator started by `exchanges sim`
    exchanges ticker mexc_spot BTC/USDT
"""

from __future__ import annotations

import argparse
import asyncio

from exchanges.cli._command import CliCommand
from exchanges.cli._common import Target, add_target_options, parse_symbol, run_guarded
from exchanges.cli._live import MarketView, stop_on_signals
from exchanges.cli._output import add_json_option, print_json
from exchanges.cli._render import Screen, fmt_num, format_table, render_book, render_ticker


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _configure_watch(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser)
    parser.add_argument(
        "--duration",
        type=_positive_float,
        default=None,
        help="stop after this many seconds (default: Ctrl-C)",
    )
    parser.add_argument("--depth", type=int, default=10, help="book levels per side (default 10)")


async def _watch(args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)

    async def body(target: Target) -> int:
        with Screen() as screen:
            if target.description:
                screen.say(f"Using {target.description}")
            public = await target.public([symbol])
            view = MarketView(public, symbol, depth=args.depth)
            await view.start()
            stop = asyncio.Event()
            with stop_on_signals(stop):
                await view.run(screen, duration=args.duration, title=f"{target.banner}  {symbol}", stop=stop)
        return 0

    return await run_guarded(args, body)


def _configure_book(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser)
    parser.add_argument("--depth", type=int, default=10, help="levels per side (default 10)")
    add_json_option(parser)


def _configure_ticker(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser)
    add_json_option(parser)


async def _book(args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)

    async def body(target: Target) -> int:
        public = await target.public([symbol])
        info = (await public.get_symbols_info()).get(symbol)
        book = await public.get_orderbook(symbol, max(args.depth, 1))
        if args.json:
            trimmed = book._replace(bids=book.bids[: args.depth], asks=book.asks[: args.depth])
            print_json(target.exchange, target.environment_name, trimmed)
            return 0
        print(target.banner)
        lines = render_book(
            book,
            args.depth,
            price_decimals=info.quote_precision if info else None,
            size_decimals=info.base_precision if info else None,
        )
        print("\n".join(lines))
        return 0

    return await run_guarded(args, body)


async def _ticker(args: argparse.Namespace) -> int:
    symbol = parse_symbol(args.symbol)

    async def body(target: Target) -> int:
        public = await target.public([symbol])
        info = (await public.get_symbols_info()).get(symbol)
        decimals = info.quote_precision if info else None
        ticker = await public.get_ticker(symbol)
        best = await public.get_book_ticker(symbol)
        if args.json:
            print_json(target.exchange, target.environment_name, {"ticker": ticker, "book_ticker": best})
            return 0
        print(target.banner)
        print("\n".join(render_ticker(ticker, price_decimals=decimals)))
        rows = [
            ("best bid", fmt_num(best.bid_price, decimals), fmt_num(best.bid_quantity)),
            ("best ask", fmt_num(best.ask_price, decimals), fmt_num(best.ask_quantity)),
        ]
        print(format_table(("", "PRICE", "QTY"), rows, numeric_from=1))
        return 0

    return await run_guarded(args, body)


COMMANDS = [
    CliCommand(
        name="watch",
        help="live order book, trades and ticker of one symbol (--sim: against the simulator)",
        run=_watch,
        configure=_configure_watch,
    ),
    CliCommand(name="book", help="order book snapshot of one symbol", run=_book, configure=_configure_book),
    CliCommand(
        name="ticker",
        help="24 h statistics and best bid/ask of one symbol",
        run=_ticker,
        configure=_configure_ticker,
    ),
]
