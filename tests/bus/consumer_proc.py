"""A consumer process for the bus cluster tests: the usual public exchange, market data from NATS.

Run as ``python consumer_proc.py NATS_URL REST_URL WS_URL SYMBOL...``. It streams books and trades
of every symbol through ``create_public_exchange("mexc_spot", overrides={"market_data_url": ...})``
and answers one JSON line on stdout per command read on stdin: ``dump`` (books, trade ids, gap
counters, states, metrics) or ``exit``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict

from exchanges.factory import FullExchangeFactory
from exchanges.models import Symbol


async def main(nats_url: str, rest_url: str, ws_url: str, names: list[str]) -> None:
    symbols = [Symbol(*name.split("/")) for name in names]
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot",
        environment="sim",
        overrides={"rest_url": rest_url, "ws_url": ws_url, "market_data_url": nats_url},
    )
    trades: dict[str, list[str]] = defaultdict(list)
    trade_iter = exchange.iter_trades()

    async def collect() -> None:
        async for trade in trade_iter:
            trades[str(trade.symbol)].append(trade.trade_id or "")

    collector = asyncio.create_task(collect())
    await exchange.start_trades_stream(symbols)
    await exchange.start_orderbook_stream(symbols)
    print(json.dumps({"ready": True}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "exit":
            break
        books = {}
        for symbol in symbols:
            book = exchange.get_local_orderbook(symbol)
            books[str(symbol)] = {
                "state": exchange.orderbook_state(symbol).value,
                "version": book.version,
                "bids": [[e.price, e.size] for e in book.bids],
                "asks": [[e.price, e.size] for e in book.asks],
            }
        metrics = exchange.get_performance_metrics()
        details = metrics["details"]
        gaps = {str(s): details.get(f"bus.trades.{s}.possible_gaps", 0) for s in symbols}
        print(json.dumps({"books": books, "trades": trades, "gaps": gaps, "bus": metrics["bus"]}), flush=True)
    collector.cancel()
    await exchange.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
