"""``exchanges demo``: a guided tour of the MEXC plugin against the built-in simulator (no account needed).

1. starts the MEXC simulator in-process, with a moving synthetic market and a funded demo account;
2. creates both exchange domains **through the factory**, exactly as user code does
   (``FullExchangeFactory().create_exchange_pair("mexc_spot", ..., environment="sim", overrides=...)``);
3. shows a refreshing view of the local order book (top 10, state LIVE), the 24 h ticker and the
   recent trades for ``--duration`` seconds (plain frames when stdout is not a terminal);
4. places a limit BUY well below the market, shows it open, cancels it;
5. places a marketable order, shows its fills as they arrive on the user stream;
6. prints the balances before/after and the performance metrics, then closes everything.
"""

from __future__ import annotations

import argparse
import asyncio
from decimal import ROUND_DOWN, Decimal

from exchanges.capabilities import (
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTrading,
    SupportsUserStream,
)
from exchanges.cli import CliCommand
from exchanges.cli.toolkit import (
    CliError,
    MarketView,
    Screen,
    format_table,
    render_balances,
    render_fills,
    render_orders,
    stop_on_signals,
)
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PrivateStreamHandlers
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import AssetName, BookState, Fill, Side, Symbol
from exchanges.plugins import ExchangesPluginManager
from exchanges_mexc.composite.metrics import SUMMARY_KEYS
from exchanges_mexc.composite.simulator import mexc_simulator
from exchanges_mexc.constants import EXCHANGE_NAME as NAME

SYMBOL = Symbol(AssetName("BTC"), AssetName("USDT"))
ORDER_QUANTITY = Decimal("0.01")
STEP_TIMEOUT = 10.0
"""Seconds any single step may take before the demo gives up with a clear message."""
DEMO_MARKET_RATE = 40.0
"""Synthetic order-flow events per second: busy enough that trades print within the first seconds."""


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration", type=float, default=8.0, help="seconds of live order book view (default 8)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic market (default 1)")


def _metrics_table(public: PublicExchange, private: PrivateExchange) -> list[str]:
    pub, priv = public.get_performance_metrics(), private.get_performance_metrics()

    def show(key: str, value: object) -> str:
        if value is None:
            return "n/a"
        if isinstance(value, float):
            return f"{value:.2f}" + ("%" if key.endswith("_rate") else "")
        return str(value)

    rows = [(key, show(key, pub.get(key)), show(key, priv.get(key))) for key in SUMMARY_KEYS]
    return format_table(("METRIC", "PUBLIC", "PRIVATE"), rows).splitlines()


async def _wait_live(public: PublicExchange) -> None:
    if not isinstance(public, SupportsOrderBookStream):
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while public.orderbook_state(SYMBOL) is not BookState.LIVE:
        if loop.time() > deadline:
            raise CliError(f"the local order book did not become LIVE within {STEP_TIMEOUT:.0f} s")
        await asyncio.sleep(0.05)


async def _trade(public: PublicExchange, private: PrivateExchange, screen: Screen) -> None:
    if not (
        isinstance(private, SupportsTrading)
        and isinstance(private, SupportsBalance)
        and isinstance(private, SupportsUserStream)
        and isinstance(public, SupportsOrderBookStream)
    ):
        raise CliError("the demo needs trading, balance and user-stream capabilities")
    fills: list[Fill] = []
    filled = asyncio.Event()

    def on_fill(fill: Fill) -> None:
        fills.append(fill)
        filled.set()

    await private.start_user_stream(PrivateStreamHandlers(execution_handler=on_fill))
    before = await private.get_balances()
    screen.say("", "BALANCES BEFORE", *render_balances(before))

    best_bid = public.get_local_orderbook(SYMBOL, 1).bids[0].price
    price = (Decimal(str(best_bid)) * Decimal("0.95")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    screen.say(
        "", f"Placing a limit BUY of {ORDER_QUANTITY} BTC at {price} (5% below the best bid {best_bid})"
    )
    resting = await private.place_limit_order(SYMBOL, Side.BUY, ORDER_QUANTITY, price)
    screen.say("OPEN ORDERS", *render_orders(await private.get_open_orders(SYMBOL)))
    canceled = await private.cancel_order(SYMBOL, resting.order_id)
    screen.say("", "Canceled it:", *render_orders([canceled]))

    screen.say("", f"Placing a market BUY of {ORDER_QUANTITY} BTC (fills against the book)")
    taken = await private.place_market_order(SYMBOL, Side.BUY, ORDER_QUANTITY)
    try:
        await asyncio.wait_for(filled.wait(), STEP_TIMEOUT)
    except TimeoutError:
        raise CliError(f"no fill arrived on the user stream within {STEP_TIMEOUT:.0f} s") from None
    await asyncio.sleep(0.3)  # let the remaining fills of the same order arrive
    final = await private.get_order_status(SYMBOL, taken.order_id)
    screen.say("Order:", *render_orders([final]), "FILLS (from the user stream)", *render_fills(fills))

    after = await private.get_balances()
    screen.say("", "BALANCES AFTER", *render_balances(after, before))


async def _demo(args: argparse.Namespace) -> int:
    with Screen() as screen:
        return await _tour(args, screen)


async def _tour(args: argparse.Namespace, screen: Screen) -> int:
    manager = args.plugin_manager if isinstance(args.plugin_manager, ExchangesPluginManager) else None
    screen.say("Starting the MEXC simulator (a local MEXC spot exchange with a moving market)...")
    async with mexc_simulator(seed=args.seed, market_rate=DEMO_MARKET_RATE) as session:
        screen.say(
            f"{session.description}; creating exchanges through the factory:",
            f'  FullExchangeFactory().create_exchange_pair("{NAME}", ["{SYMBOL}"], credentials, '
            'environment="sim", overrides={"rest_url": ..., "ws_url": ...})',
        )
        factory = FullExchangeFactory(plugin_manager=manager)
        public, private = await factory.create_exchange_pair(
            NAME,
            [SYMBOL],
            session.credentials,
            environment=session.environment,
            overrides=session.overrides,
        )
        try:
            view = MarketView(public, SYMBOL, depth=10)
            await view.start()
            await _wait_live(public)
            stop = asyncio.Event()
            with stop_on_signals(stop):
                await view.run(
                    screen, duration=max(args.duration, 0.0), title=f"{NAME} · SIMULATOR  {SYMBOL}", stop=stop
                )
            if stop.is_set():
                screen.say("interrupted")
                return 0
            await _trade(public, private, screen)
            screen.say(
                "", "PERFORMANCE METRICS (get_performance_metrics())", *_metrics_table(public, private)
            )
            health = await public.health_check()
            screen.say(
                "", "HEALTH " + "  ".join(f"{key}={'ok' if ok else 'FAIL'}" for key, ok in health.items())
            )
        finally:
            await private.close()
            await public.close()
    screen.say("", "Demo finished: every connection closed.")
    return 0


COMMAND = CliCommand(
    name="demo",
    help="guided tour against the built-in MEXC simulator: live book, orders, fills, metrics",
    run=_demo,
    configure=_configure,
)
