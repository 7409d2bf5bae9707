"""``exchanges gateway``: run a market-data gateway, or show the gateways on a bus.

::

    exchanges gateway mexc_spot --nats nats://127.0.0.1:4222 --symbols BTC/USDT ETH/USDT [--group NAME]
    exchanges gateway mexc_spot --nats nats://127.0.0.1:4222 --all --sim
    exchanges gateway status --nats nats://127.0.0.1:4222 [--json]

A gateway runs until SIGINT/SIGTERM, then hands its symbols to the other gateways of its group
(bounded by the lease TTL) and exits. See docs/bus.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

import msgspec

from exchanges.cli._command import CliCommand
from exchanges.cli._common import CliError, Target, add_target_options, run_guarded
from exchanges.cli._console import format_table
from exchanges.errors import ExchangeConnectionError
from exchanges.models import KlineInterval, Symbol

STATUS = "status"
GATEWAY_CHANNELS = ("book", "trade", "ticker", "book_ticker", "kline")
"""What a gateway can publish (the same names as ``GatewaySettings.channels``; importing them from
:mod:`exchanges.bus` would need the ``bus`` extra just to print ``--help``)."""


def _symbol(text: str) -> Symbol:
    base, sep, quote = text.upper().partition("/")
    if not sep or not base or not quote:
        raise argparse.ArgumentTypeError(f"expected BASE/QUOTE, got {text!r}")
    return Symbol(base, quote)


def _configure(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser, symbol=False)
    parser.add_argument(
        "--nats", required=True, metavar="URL", help="NATS server URL, e.g. nats://127.0.0.1:4222"
    )
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument(
        "--symbols", nargs="+", type=_symbol, metavar="BASE/QUOTE", help="the symbols to publish"
    )
    chosen.add_argument("--all", action="store_true", help="every tradable symbol the exchange lists")
    parser.add_argument(
        "--group", default="default", help="gateways of one group share the symbols (default: default)"
    )
    parser.add_argument(
        "--lease-ttl", type=float, default=5.0, help="seconds; a dead gateway's symbols move within it"
    )
    parser.add_argument(
        "--max-symbols", type=int, default=None, help="at most this many symbols on this gateway"
    )
    parser.add_argument(
        "--snapshot-interval", type=float, default=1.0, help="seconds between book snapshots to the bus"
    )
    parser.add_argument(
        "--channels",
        nargs="+",
        choices=GATEWAY_CHANNELS,
        default=list(GATEWAY_CHANNELS),
        help="what to publish (default: all)",
    )
    parser.add_argument(
        "--kline-interval",
        type=KlineInterval,
        default=KlineInterval.MINUTE_1,
        metavar="WIDTH",
        help="the candle width published: " + ", ".join(i.value for i in KlineInterval) + " (default 1m)",
    )
    parser.add_argument("--json", action="store_true", help="status: print JSON")


def run(args: argparse.Namespace) -> Any:
    if args.exchange == STATUS:
        return show_status(args.nats, as_json=args.json)
    if not args.symbols and not args.all:
        print("exchanges: error: give --symbols BASE/QUOTE ... or --all", file=sys.stderr)
        return 2
    return run_guarded(args, lambda target: _run_gateway(target, args))


async def _universe(target: Target, exchange: Any, args: argparse.Namespace) -> list[Symbol]:
    if args.symbols:
        return list(dict.fromkeys(args.symbols))
    infos = await exchange.get_symbols_info()
    return sorted((symbol for symbol, info in infos.items() if info.tradable), key=str)


async def _run_gateway(target: Target, args: argparse.Namespace) -> int:
    from exchanges.bus import GatewaySettings, LeaseSettings, MarketDataGateway, redact_url

    exchange = await target.public()
    universe = await _universe(target, exchange, args)
    try:
        settings = GatewaySettings(
            group=args.group,
            leases=LeaseSettings(ttl=args.lease_ttl, max_symbols=args.max_symbols),
            snapshot_interval=args.snapshot_interval,
            channels=tuple(dict.fromkeys(args.channels)),
            kline_interval=args.kline_interval,
        )
        gateway = MarketDataGateway(
            exchange, exchange_name=target.exchange, nats_url=args.nats, universe=universe, settings=settings
        )
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await gateway.start()
    except ExchangeConnectionError as exc:  # about NATS, not the exchange: say so
        raise CliError(str(exc)) from None
    where = f" on {target.description}" if target.description else ""
    print(
        f"gateway {gateway.gateway_id}: {target.exchange}{where} -> {redact_url(args.nats)} "
        f"(group {args.group}, {len(universe)} symbols)",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await gateway.stop()
    return 0


# ------------------------------------------------------------------ status


async def collect_status(url: str) -> list[dict[str, Any]]:
    """Every live gateway on the bus at ``url``: one dict per gateway (its last heartbeat)."""
    from exchanges.bus import BusConnectOptions, MemberInfo, connect_bus

    conn = await connect_bus(
        url, name="exchanges gateway status", options=BusConnectOptions(connect_within=5.0)
    )
    rows: list[dict[str, Any]] = []
    decoder = msgspec.json.Decoder(MemberInfo)
    try:
        names = [
            info.config.name or ""
            for info in await conn.js.streams_info()
            if (info.config.name or "").startswith("KV_md_") and (info.config.name or "").endswith("_members")
        ]
        for stream in sorted(names):
            bucket = stream[len("KV_") :]
            exchange_group = bucket[len("md_") : -len("_members")]
            kv = await conn.js.key_value(bucket)
            try:
                keys = await kv.keys()
            except Exception:  # no keys: nats-py raises NoKeysError
                keys = []
            for key in keys:
                with contextlib.suppress(Exception):
                    entry = await kv.get(key)
                    if entry.value:
                        info = decoder.decode(entry.value)
                        rows.append({"bucket": exchange_group, **msgspec.to_builtins(info)})
    finally:
        await conn.close()
    return rows


async def show_status(url: str, *, as_json: bool) -> int:
    rows = await collect_status(url)
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no gateway is heartbeating on this bus")
        return 0
    now = time.time()

    def ages(row: dict[str, Any]) -> str:
        values = row["lease_ages"].values()
        return f"{min(values, default=0):.0f}-{max(values, default=0):.0f}s"

    table = [
        (
            row["bucket"],
            row["id"],
            str(len(row["symbols"])),
            ages(row),
            f"{row['lag_ms']:g} ms",
            str(row["publish_errors"]),
            str(row.get("trade_gaps", 0)),
            f"{now - row['sent_at']:.1f}s ago",
        )
        for row in rows
    ]
    headers = (
        "EXCHANGE_GROUP",
        "GATEWAY",
        "SYMBOLS",
        "LEASE AGES",
        "LAG p50",
        "ERRORS",
        "GAP MARKERS",
        "HEARD",
    )
    print(format_table(headers, table))
    for row in rows:  # rates and symbols do not fit a table row
        rates = " ".join(f"{ch}={rate:g}/s" for ch, rate in row["rates"].items())
        print(f"{row['id']} publishes {', '.join(row.get('channels', []))}")
        print(f"  rates: {rates}")
        print(f"  symbols: {' '.join(row['symbols'])}")
    return 0


COMMAND = CliCommand(
    name="gateway",
    help="run a market-data gateway publishing to NATS JetStream, or `gateway status --nats URL`",
    run=run,
    configure=_configure,
    log_level="WARNING",
)
