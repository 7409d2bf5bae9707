"""Paper trading against the built-in MEXC simulator, through the same API as the real exchange.

Run it: ``python examples/paper_trading.py``. Against real MEXC, drop the simulator block, the
``environment`` and the ``overrides``, and export MEXC_API_KEY / MEXC_SECRET_KEY instead.
"""

from __future__ import annotations

import asyncio

from exchanges import (
    AssetName,
    Credentials,
    FullExchangeFactory,
    PrivateStreamHandlers,
    Side,
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTrading,
    SupportsUserStream,
    Symbol,
)
from exchanges.models import Fill
from exchanges_mexc.sim import MexcSimulator

BTC_USDT = Symbol("BTC", "USDT")


async def main() -> None:
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=7, market_rate=50) as sim:
        account = sim.create_account(balances={"USDT": "10000", "BTC": "1"})
        credentials = Credentials(account.api_key, account.secret_key)
        public, private = await FullExchangeFactory().create_exchange_pair(
            "mexc_spot",
            symbols=[BTC_USDT],
            credentials=credentials,
            environment="sim",
            overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url},
        )
        # capabilities are Protocols: check (and narrow the type) before use
        assert isinstance(public, SupportsOrderBookStream)
        assert isinstance(private, SupportsTrading)
        assert isinstance(private, SupportsBalance)
        assert isinstance(private, SupportsUserStream)
        async with public, private:
            # market data: a REST snapshot, then a local order book kept in sync over WebSocket
            book = await public.get_orderbook(BTC_USDT)
            print(f"best bid {book.bids[0].price}  best ask {book.asks[0].price}")
            await public.start_orderbook_stream([BTC_USDT])
            async for local_book in public.iter_orderbooks():
                print(f"local book {public.orderbook_state(BTC_USDT).value}, version {local_book.version}")
                break

            # trading: fills arrive on the user stream
            fills: asyncio.Queue[Fill] = asyncio.Queue()
            await private.start_user_stream(PrivateStreamHandlers(execution_handler=fills.put_nowait))
            away = round(book.bids[0].price * 0.95, 2)  # 5 % below the market: rests on the book
            resting = await private.place_limit_order(BTC_USDT, Side.BUY, "0.01", away)
            print(f"placed {resting.order_id} {resting.status.value}")
            print(f"cancelled: {(await private.cancel_order(BTC_USDT, resting.order_id)).status.value}")
            await private.place_market_order(BTC_USDT, Side.BUY, quantity="0.01")
            fill = await asyncio.wait_for(fills.get(), timeout=10)
            print(f"filled {fill.quantity} BTC at {fill.price}, fee {fill.fee} {fill.fee_asset}")
            print(f"BTC balance: {(await private.get_asset_balance(AssetName('BTC'))).free}")


if __name__ == "__main__":
    asyncio.run(main())
