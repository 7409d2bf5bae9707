"""How fast a silent connection is noticed, and how fast the books come back (liveness contract).

A ``TcpChaosProxy`` sits between a MEXC client (``MexcCompositePublicExchange``, local books of
``--symbols`` symbols) and the simulator. Once every book is LIVE, the proxy stalls every connection
(sockets open, nothing forwarded, no FIN/RST) and stalls new ones for ``--silence`` seconds, then
forwards again. Per run the table shows: how long after the stall every book had left LIVE (the
contract: at most ``ws_liveness_timeout``), whether the health check said disconnected meanwhile,
how long after the network came back every book was LIVE again, and whether each book then equals
the simulator engine's book (checked with the market paused).

    python -m bench.bench_liveness [--timeouts 2 10] [--runs 3] [--symbols 4] [--silence 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Callable, Sequence

from bench.stats import Table, fmt_summary, fmt_time, quick_mode, summarize
from exchanges.factory import FullExchangeFactory
from exchanges.models import BookState, Symbol
from exchanges.testing.chaos import FaultSchedule, TcpChaosProxy, TcpFault
from exchanges_mexc.composite.public import MexcCompositePublicExchange
from exchanges_mexc.sim.app import MexcSimulator


async def _until(predicate: Callable[[], bool], within: float) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polls foreign state
            await asyncio.sleep(0.01)


async def _books_equal(sim: MexcSimulator, exchange: MexcCompositePublicExchange, pairs: list[str]) -> bool:
    sim.market.pause()
    try:
        books = exchange.ws.books.books
        for pair in pairs:
            symbol = exchange.ws.symbol_mapper.to_symbol(pair)
            engine_bids, engine_asks, version = sim.engine.book_levels(pair)
            await _until(lambda s=symbol, v=version: books[s].book.version == v, 10)
            book = books[symbol].book
            if book.bids() != [(float(p), float(q)) for p, q in engine_bids]:
                return False
            if book.asks() != [(float(p), float(q)) for p, q in engine_asks]:
                return False
        return True
    finally:
        sim.market.resume()


async def _run_once(liveness: float, symbols: int, silence: float) -> tuple[float, bool, float, bool]:
    pairs = ["BTCUSDT", "ETHUSDT"] + [f"C{i:02d}USDT" for i in range(max(symbols - 2, 0))]
    pairs = pairs[:symbols]
    wanted = [Symbol(pair[:-4], "USDT") for pair in pairs]
    async with MexcSimulator(symbols=pairs, seed=5, market_rate=40.0) as sim:
        schedule = FaultSchedule(0, tcp={TcpFault.STALL: 1.0}, tcp_after_bytes=(0, 0))
        schedule.calm()
        async with TcpChaosProxy(sim.host, sim.port, schedule) as proxy:
            overrides = {
                "rest_url": sim.rest_url,
                "ws_url": proxy.rewrite(sim.ws_url),
                "ws_liveness_timeout": liveness,
                "connect_timeout": 1.0,
            }
            factory = FullExchangeFactory(config={}, env={})
            exchange = await factory.create_public_exchange(
                "mexc_spot", wanted, environment="sim", overrides=overrides
            )
            assert isinstance(exchange, MexcCompositePublicExchange)
            try:
                await exchange.start_orderbook_stream(wanted)
                await exchange.wait_orderbook_ready(wanted, timeout=30)
                loop = asyncio.get_running_loop()
                proxy.stall_all()
                schedule.resume()
                stalled = loop.time()
                await _until(
                    lambda: all(exchange.orderbook_state(s) is not BookState.LIVE for s in wanted), 60
                )
                left = loop.time() - stalled
                health = await exchange.health_check()
                await asyncio.sleep(silence)
                schedule.calm()
                healed = loop.time()
                await exchange.wait_orderbook_ready(wanted, timeout=60)
                back = loop.time() - healed
                equal = await _books_equal(sim, exchange, pairs)
                return left, not health["websocket_connectivity"], back, equal
            finally:
                await exchange.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_liveness", description=__doc__)
    parser.add_argument("--timeouts", type=float, nargs="+", default=[2.0] if quick_mode() else [2.0, 10.0])
    parser.add_argument("--runs", type=int, default=1 if quick_mode() else 3)
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--silence", type=float, default=3.0)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    table = Table(
        "Silent connection (TCP open, nothing forwarded): detection and recovery",
        [
            "ws_liveness_timeout",
            "books left LIVE after",
            "health false",
            "LIVE again after",
            "equal to engine",
        ],
        note=f"{args.runs} runs each, {args.symbols} books, network silent then back after "
        f"{args.silence:g} s; median ±spread",
    )
    for timeout in args.timeouts:
        results = [asyncio.run(_run_once(timeout, args.symbols, args.silence)) for _ in range(args.runs)]
        table.add_row(
            f"{timeout:g} s",
            fmt_summary(summarize(r[0] for r in results), fmt_time),
            f"{sum(r[1] for r in results)}/{len(results)}",
            fmt_summary(summarize(r[2] for r in results), fmt_time),
            f"{sum(r[3] for r in results)}/{len(results)}",
        )
    print("$ python -m bench.bench_liveness " + shlex.join(list(sys.argv[1:] if argv is None else argv)))
    table.print()


if __name__ == "__main__":
    main()
