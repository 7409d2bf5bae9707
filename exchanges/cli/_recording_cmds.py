"""``exchanges record | replay | export | report``: recordings from the command line.

* ``record EXCHANGE SYMBOL... --out DIR [--channels ...] [--duration S] [--sim]``: record the public
  channels with a live status line (frames, bytes, segment files, per-stream rates);
* ``replay DIR [--speed X] [--verify] [--skip-corrupt]``: replay through the plugin; ``--verify`` runs
  at full speed, prints the number of checkpoints checked and exits 1 on any difference;
* ``export DIR --format parquet --out OUTDIR [--top N]``: trades, book tops and tickers as Parquet;
* ``report DIR --out report.png``: per-symbol mid/spread, volume and data-quality markers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exchanges.cli._command import CliCommand
from exchanges.cli._common import Target, add_target_options, parse_symbol, run_guarded
from exchanges.errors import ExchangeError
from exchanges.factory import FullExchangeFactory
from exchanges.plugins import ExchangesPluginManager
from exchanges.recording import (
    RECORDABLE_CHANNELS,
    RecordingError,
    SupportsRecording,
    SupportsReplay,
    read_manifest,
)
from exchanges.recording.collect import collect
from exchanges.recording.tap import Recorder
from exchanges.tasks import finish_then_reraise

EXIT_ERROR = 1


def _channels(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in RECORDABLE_CHANNELS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"channels are a comma list of {', '.join(RECORDABLE_CHANNELS)}")
    return names


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _configure_record(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser, symbol=False)
    parser.add_argument("symbols", metavar="SYMBOL", nargs="+", type=parse_symbol, help="e.g. BTC/USDT")
    parser.add_argument("--out", required=True, help="recording directory (new or empty)")
    parser.add_argument(
        "--channels",
        type=_channels,
        default=list(RECORDABLE_CHANNELS),
        help=f"comma list of {','.join(RECORDABLE_CHANNELS)} (default: all)",
    )
    parser.add_argument("--duration", type=_positive, default=None, help="seconds (default: until Ctrl-C)")


def status_line(recorder: Recorder, metrics: dict[str, Any], elapsed: float) -> str:
    """``12.0s  frames 4,210  1.2 MB  files 1  trades 31/s  orderbooks 290/s ...``"""
    stats = recorder.writer.stats
    rates = []
    for key, value in sorted(metrics.items()):
        if key.endswith(".published") and isinstance(value, int | float) and value:
            name = key.rsplit(".", 2)[-2]
            rates.append(f"{name} {value / max(elapsed, 1e-9):,.0f}/s")
    return (
        f"{elapsed:6.1f}s  frames {stats.frames:,}  {stats.written_bytes / 1e6:,.2f} MB  "
        f"files {stats.segments}  checkpoints {recorder.checkpoints}  " + "  ".join(rates)
    )


async def _record(args: argparse.Namespace, target: Target) -> int:
    from rich.console import Console
    from rich.live import Live

    target.overrides = {**target.overrides, "record_path": args.out}
    exchange = await target.public(args.symbols)
    if not isinstance(exchange, SupportsRecording):
        raise RecordingError(f"exchange {target.exchange!r} cannot record")
    await exchange.subscribe_channels(args.symbols, args.channels)
    recorder = exchange.recorder
    assert recorder is not None
    console = Console(stderr=True)
    started = time.monotonic()
    deadline = None if args.duration is None else started + args.duration
    stop = asyncio.Event()
    try:
        with _interrupt_sets(stop), Live(console=console, refresh_per_second=4, transient=False) as live:
            while recorder.error is None and not stop.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                live.update(status_line(recorder, _details(exchange), time.monotonic() - started))
                await asyncio.sleep(0.25)
            live.update(status_line(recorder, _details(exchange), time.monotonic() - started))
    finally:  # a cancelled command still closes the recording cleanly, then stays cancelled
        await finish_then_reraise(exchange.close(), name="record-close")
    if recorder.error is not None:  # a failing disk stops the recording, never silently
        raise RecordingError(f"recording into {args.out} stopped: {recorder.error}")
    print(f"recorded {recorder.writer.stats.frames} frames into {args.out}")
    return 0


@contextlib.contextmanager
def _interrupt_sets(stop: asyncio.Event) -> Iterator[None]:
    """While inside, Ctrl-C (SIGINT) sets ``stop`` instead of interrupting: "record until Ctrl-C"
    then ends like ``--duration`` does. Where the loop cannot take signals (not the main thread,
    Windows) Ctrl-C interrupts as usual, and the recording is still closed on the way out."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (NotImplementedError, RuntimeError, ValueError):
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _details(exchange: Any) -> dict[str, Any]:
    """The flat metrics of an exchange (``get_performance_metrics()["details"]`` when it has them)."""
    data = exchange.get_performance_metrics()
    details = data.get("details", data) if isinstance(data, dict) else {}
    return details if isinstance(details, dict) else {}


def _factory(args: argparse.Namespace) -> FullExchangeFactory:
    manager = getattr(args, "plugin_manager", None)
    return FullExchangeFactory(
        plugin_manager=manager if isinstance(manager, ExchangesPluginManager) else None
    )


def _configure_replay(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="a recording directory")
    parser.add_argument("--speed", type=float, default=0.0, help="1.0 real time, 0 as fast as possible")
    parser.add_argument(
        "--verify", action="store_true", help="check every checkpoint; exit 1 on a difference"
    )
    parser.add_argument("--skip-corrupt", action="store_true", help="skip damaged blocks (counted)")


async def _replay(args: argparse.Namespace) -> int:
    factory = _factory(args)
    manifest = read_manifest(Path(args.directory))
    speed = 0.0 if args.verify else args.speed
    exchange = await factory.create_public_exchange(
        manifest.exchange,
        environment="replay",
        overrides={
            "replay_path": args.directory,
            "replay_speed": speed,
            "replay_skip_corrupt": args.skip_corrupt,
        },
    )
    try:
        replayer = exchange
        if not isinstance(replayer, SupportsReplay):
            raise RecordingError(f"exchange {manifest.exchange!r} cannot replay recordings")
        started = time.monotonic()
        source = await replayer.start_replay()
        result = await source.wait_finished()
        elapsed = time.monotonic() - started
    finally:
        await exchange.close()
    skipped = sum(span.length for span in result.skipped)
    print(
        f"replayed {result.records:,} records ({result.frames:,} frames) in {elapsed:.2f}s; "
        f"checkpoints {result.checkpoints}, mismatches {len(result.mismatches)}, "
        f"skipped blocks {len(result.skipped)} ({skipped:,} bytes)"
    )
    for mismatch in result.mismatches[:10]:
        print(
            f"  {mismatch.key}: recorded {mismatch.recorded}, replayed {mismatch.replayed}", file=sys.stderr
        )
    if args.verify and not result.ok:
        return EXIT_ERROR
    return 0


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="a recording directory")
    parser.add_argument("--format", choices=("parquet",), default="parquet")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--top", type=int, default=5, help="book levels per side in book_tops (max 20)")
    parser.add_argument("--skip-corrupt", action="store_true", help="skip damaged blocks (counted)")


async def _export(args: argparse.Namespace) -> int:
    from exchanges.recording.export import export_parquet

    collected = await collect(args.directory, _factory(args), skip_corrupt=args.skip_corrupt)
    rows = export_parquet(collected, args.out, top=args.top)
    print("  ".join(f"{name}.parquet {count:,} rows" for name, count in rows.items()))
    return 0


def _configure_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="a recording directory")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--skip-corrupt", action="store_true", help="skip damaged blocks (counted)")


async def _report(args: argparse.Namespace) -> int:
    from exchanges.recording.report import draw_report

    collected = await collect(args.directory, _factory(args), skip_corrupt=args.skip_corrupt)
    count = draw_report(collected, args.out, title=args.directory)
    print(f"wrote {args.out} ({count} symbols)")
    return 0


def _guard(body: Any) -> Any:
    async def run(args: argparse.Namespace) -> int:
        try:
            result: int = await body(args)
            return result
        except ExchangeError as error:
            print(f"exchanges: error: {error}", file=sys.stderr)
            return EXIT_ERROR

    return run


def _run_record(args: argparse.Namespace) -> Any:
    return run_guarded(args, lambda target: _record(args, target))


COMMANDS = [
    CliCommand(
        "record", "record public channels to a directory", _run_record, _configure_record, log_level="WARNING"
    ),
    CliCommand(
        "replay", "replay a recording (--verify: check every checkpoint)", _guard(_replay), _configure_replay
    ),
    CliCommand(
        "export", "export a recording's trades, book tops and tickers", _guard(_export), _configure_export
    ),
    CliCommand("report", "draw a PNG report of a recording", _guard(_report), _configure_report),
]
