"""``exchanges sim``: run the MEXC simulator in the foreground until Ctrl-C.

::

    exchanges sim                          # 127.0.0.1:8800, the default of the "sim" profile
    exchanges sim --port 0 --symbols BTC/USDT SOL/USDT --seed 7 --accounts accounts.toml

Prints the REST and WebSocket URLs, a funded demo account's API key and secret (the simulator's own
throw-away keys: printing them is how you get them) and how to point other commands at it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from exchanges.cli import CliCommand
from exchanges.cli.toolkit import CliError, stop_on_signals
from exchanges_mexc.composite.simulator import DEMO_BALANCES, SIM_SYMBOLS, WARMUP_EVENTS
from exchanges_mexc.constants import EXCHANGE_NAME as NAME
from exchanges_mexc.constants import SIM_PORT

logger = logging.getLogger("exchanges.mexc.cli.sim")


def pair_of(text: str) -> str:
    """``BTC/USDT``, ``btc-usdt`` or ``BTCUSDT`` -> ``BTCUSDT``."""
    pair = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(pair) < 5:
        raise argparse.ArgumentTypeError(f"not a MEXC pair: {text!r} (write BTC/USDT or BTCUSDT)")
    return pair


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=SIM_PORT, help=f"TCP port, 0 = any free one (default {SIM_PORT})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--symbols",
        nargs="+",
        type=pair_of,
        default=list(SIM_SYMBOLS),
        metavar="SYMBOL",
        help=f"pairs to list (default {' '.join(SIM_SYMBOLS)})",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the synthetic market (default 1)")
    parser.add_argument(
        "--market-rate", type=float, default=20.0, help="synthetic order-flow events per second per symbol"
    )
    parser.add_argument(
        "--accounts",
        metavar="FILE",
        default=None,
        help="TOML file of accounts (and symbol overrides) to create",
    )


def usage_hints(rest_url: str, ws_url: str, api_key: str, secret_key: str, default_urls: bool) -> list[str]:
    """How to use the running simulator from another shell."""
    target = "--env sim" if default_urls else f"--env sim --set rest_url={rest_url} --set ws_url={ws_url}"
    return [
        "Use it from another shell:",
        f"  export MEXC_API_KEY={api_key} MEXC_SECRET_KEY={secret_key}",
        f"  exchanges watch {NAME} BTC/USDT {target}",
        f"  exchanges balances {NAME} {target}",
        "or from Python:",
        f'  FullExchangeFactory().create_exchange_pair("{NAME}", ["BTC/USDT"], credentials,',
        f'      environment="sim", overrides={{"rest_url": "{rest_url}", "ws_url": "{ws_url}"}})',
    ]


async def _run(args: argparse.Namespace) -> int:
    from exchanges_mexc.sim import MexcSimulator
    from exchanges_mexc.sim.config import SimFileConfig, load_sim_file

    file_config: SimFileConfig | None = None
    if args.accounts:
        try:
            file_config = load_sim_file(args.accounts)
        except OSError as error:
            raise CliError(f"cannot read accounts file {args.accounts!r}: {error.strerror}") from None
        except ValueError as error:
            raise CliError(f"accounts file {args.accounts!r} is invalid: {error}") from None
    sim = MexcSimulator(
        symbols=args.symbols,
        seed=args.seed,
        market_rate=args.market_rate,
        host=args.host,
        port=args.port,
        symbol_overrides=dict(file_config.symbols) if file_config is not None else {},
        warmup_events=WARMUP_EVENTS,
    )
    try:
        await sim.start()
    except OSError as error:
        await sim.stop()
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    try:
        accounts = sim.create_accounts(file_config) if file_config is not None else []
        if not accounts:
            accounts = [sim.create_account(dict(DEMO_BALANCES))]
        lines = [
            f"MEXC simulator running (Ctrl-C to stop), listing {', '.join(args.symbols)}",
            f"  REST  {sim.rest_url}",
            f"  WS    {sim.ws_url}",
        ]
        for account in accounts:
            lines.append(
                f"  account uid={account.uid} api_key={account.api_key} secret_key={account.secret_key}"
            )
        default_urls = args.host == "127.0.0.1" and sim.port == SIM_PORT
        lines += usage_hints(
            sim.rest_url, sim.ws_url, accounts[0].api_key, accounts[0].secret_key, default_urls
        )
        print("\n".join(lines), flush=True)
        stop = asyncio.Event()
        with stop_on_signals(stop):
            await stop.wait()
    finally:
        await sim.stop()
    print("simulator stopped", file=sys.stderr, flush=True)
    return 0


COMMAND = CliCommand(
    name="sim",
    help="run the MEXC simulator (REST + WebSocket) until Ctrl-C and print a demo API key",
    run=_run,
    configure=_configure,
    log_level="WARNING",
)
