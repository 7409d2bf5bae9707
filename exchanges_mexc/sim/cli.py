"""Entry point for ``exchanges sim --port N``: run the simulator in the foreground until interrupted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("exchanges.mexc.sim.cli")


async def serve(
    port: int = 8800,
    symbols: Sequence[str] = ("BTCUSDT", "ETHUSDT"),
    seed: int = 1,
    accounts_file: str | Path | None = None,
    *,
    market_rate: float = 20.0,
    host: str = "127.0.0.1",
    stop: asyncio.Event | None = None,
) -> None:
    """Start the simulator, print its URLs and credentials, run until ``stop`` is set (or forever)."""
    from exchanges_mexc.sim.app import MexcSimulator
    from exchanges_mexc.sim.config import load_sim_file

    overrides = load_sim_file(accounts_file).symbols if accounts_file else {}
    sim = MexcSimulator(
        symbols=symbols, seed=seed, market_rate=market_rate, host=host, port=port, symbol_overrides=overrides
    )
    async with sim:
        accounts = sim.load_accounts(accounts_file) if accounts_file else []
        if not accounts:
            accounts = [
                sim.create_account({"USDT": "100000", **{s.base: "10" for s in sim.engine.specs.values()}})
            ]
        print(f"MEXC simulator  REST {sim.rest_url}  WS {sim.ws_url}", flush=True)
        for account in accounts:
            # The simulator's own throwaway keys: printing them is how the user gets them.
            print(
                f"  account uid={account.uid} api_key={account.api_key} secret_key={account.secret_key}",
                flush=True,
            )
        await (stop or asyncio.Event()).wait()


def run_simulator(
    port: int = 8800,
    symbols: Sequence[str] = ("BTCUSDT", "ETHUSDT"),
    seed: int = 1,
    accounts_file: str | Path | None = None,
    *,
    market_rate: float = 20.0,
    host: str = "127.0.0.1",
) -> None:
    """Blocking: serve until Ctrl-C. Used by the ``exchanges sim`` command."""
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(serve(port, symbols, seed, accounts_file, market_rate=market_rate, host=host))
    except KeyboardInterrupt:
        log.info("simulator stopped")
