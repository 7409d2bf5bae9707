"""A plain script, no ``async``: ``exchanges.sync`` gives the same methods, blocking, with their types.

Run it: ``python examples/blocking_script.py`` (it starts the MEXC simulator in the background).
Against real MEXC, call ``main()`` with the production URLs and your own credentials.

``mypy --strict`` checks this file in CI: each ``assert_type`` proves a blocking method returns the
async method's result type (never ``Any``), so a typo or a wrong argument is caught before running.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

from exchanges.config import Credentials
from exchanges.models import KlineInterval, Order, OrderBook, Side, Symbol, Ticker, Trade
from exchanges.sync import BlockingIterator, FullExchangeFactory

BTC = Symbol("BTC", "USDT")


def main(rest_url: str, ws_url: str, credentials: Credentials) -> list[str]:
    """Trade and stream through the blocking API; returns what it printed."""
    lines: list[str] = []

    def say(text: str) -> None:
        print(text)
        lines.append(text)

    overrides = {"rest_url": rest_url, "ws_url": ws_url}
    with FullExchangeFactory(config={}, env={}) as factory:
        public, private = factory.create_exchange_pair(
            "mexc_spot", [BTC], credentials, environment="sim", overrides=overrides
        )
        ticker = public.get_ticker(BTC)
        assert_type(ticker, Ticker)
        say(f"last price {ticker.last_price > 0}")

        book = public.get_orderbook(BTC, limit=5)
        assert_type(book, OrderBook)
        resting_price = round(book.bids[0].price * 0.9, 2)  # 10 % below the market: rests on the book

        order = private.place_limit_order(BTC, Side.BUY, Decimal("0.001"), resting_price)
        assert_type(order, Order)
        open_ids = [o.order_id for o in private.get_open_orders(BTC)]
        say(f"resting order open {order.order_id in open_ids}")
        canceled = private.cancel_order(BTC, order.order_id)
        say(f"canceled {canceled.status.value}")

        public.start_trades_stream([BTC])
        with public.iter_trades() as trades:  # a blocking iterator; leaving the block closes it
            assert_type(trades, BlockingIterator[Trade])
            say(f"first trade {next(trades).symbol}")

        health = public.call(public.exchange.health_check)  # call(): any coroutine method, typed
        assert_type(health, dict[str, bool])
        since = public.get_server_time() - 6 * 3600_000
        candles = list(public.iter_kline_history(BTC, KlineInterval.HOUR_1, since))
        say(f"candles {len(candles) >= 5}")
    return lines


if __name__ == "__main__":
    import asyncio
    import threading

    from exchanges_mexc.sim import MexcSimulator

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    simulator = MexcSimulator(symbols=("BTCUSDT",), seed=7, market_rate=50)
    asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(30)
    account = simulator.create_account(balances={"USDT": "10000"})
    try:
        main(simulator.rest_url, simulator.ws_url, Credentials(account.api_key, account.secret_key))
    finally:
        asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
