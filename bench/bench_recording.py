"""Recording and replay: what recording costs, how fast a replay runs, how big a recording is.

Three tables:

1. **Recording overhead.** The end-to-end WebSocket blast of ``bench_e2e`` (a server process pushes N
   frames over loopback; our client's handler receives them), the same run with and without
   ``record_path``, alternating, median of the runs. Client CPU per frame is this process's CPU time
   between the first and the last frame (the server runs in another process).
2. **Replay at speed 0 vs live.** Each recording made in (1) is replayed through the same pipeline
   (``environment="replay"``, ``replay_speed=0``) with a handler doing the live one's per-event
   checks (and confirming the last event arrived), right after the live runs
   of the same run: frames per second from ``start_replay()`` to the end of the feed (handlers
   drained; so setup and drain count against replay, unlike live, which is timed from the first
   to the last event), divided by the live rate of that run (paired), median of the runs.
3. **Size on disk per channel.** The simulator's moving market, 10 symbols, every public channel,
   recorded for ``--seconds``: per channel, frames, payload bytes per frame, record bytes per frame
   before compression, and bytes per frame when that channel's records alone are compressed the way
   the writer does (zstd level 1, blocks of 1 MiB); the total row is the actual segment size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zstandard

from bench import e2e_ours
from bench.bench_e2e import configure
from bench.server import ServerProcess
from bench.stats import Table, fmt_rate, fmt_summary, quick_mode, summarize
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.models import OrderBook, Symbol, Trade
from exchanges.recording import (
    RECORDABLE_CHANNELS,
    FrameRecord,
    RecordingReader,
    SupportsRecording,
    SupportsReplay,
    WriterLimits,
)
from exchanges.recording.records import encode_frame
from exchanges_mexc.composite.simulator import mexc_simulator
from exchanges_mexc.ws.recording import channel_kind, frame_channel

KINDS = {"deals": "trades (aggre.deals)", "depth": "order book (aggre.depth)"}
PAIRS = (
    "BTCUSDT",
    "ETHUSDT",
    "MXUSDT",
    "SOLUSDT",
    "XRPUSDT",
    "DOGEUSDT",
    "ADAUSDT",
    "TRXUSDT",
    "LTCUSDT",
    "DOTUSDT",
)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


async def replay_rate(directory: Path, kind: str, info: dict[str, Any]) -> dict[str, float]:
    """Replay ``directory`` at speed 0 with a handler doing the live one's per-event work (the same
    checks against the scenario ``info`` the recording was made with): frames/s and CPU per frame."""
    count = 0
    reached_end = False
    last_id = str(int(info["frames"]) * int(info.get("trades_per_frame", 0)))
    first_to, last_to = int(info.get("first_to_version", 0)), int(info.get("last_to_version", 0))

    def on_trade(trade: Trade) -> None:
        nonlocal count, reached_end
        count += 1
        if trade.trade_id == last_id:
            reached_end = True

    def on_book(book: OrderBook) -> None:
        nonlocal count, reached_end
        count += 1
        version = book.version or 0
        if version < first_to:
            return
        if version >= last_to:
            reached_end = True

    handlers = (
        PublicStreamHandlers(trade_handler=on_trade)
        if kind == "deals"
        else PublicStreamHandlers(orderbook_handler=on_book)
    )
    exchange = await FullExchangeFactory().create_public_exchange(
        "mexc_spot", environment="replay", overrides={"replay_path": str(directory), "replay_speed": 0.0}
    )
    try:
        assert isinstance(exchange, SupportsReplay)
        started, cpu = time.perf_counter(), time.process_time()
        source = await exchange.start_replay(handlers)
        result = await source.wait_finished()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await exchange.close()
    if not result.ok or not reached_end:
        print(
            f"[bench_recording] replay not exact (last event seen: {reached_end}): {result}", file=sys.stderr
        )
    return {"fps": result.frames / seconds, "cpu_per_frame": cpu / max(result.frames, 1), "events": count}


def overhead(server: ServerProcess, runs: int, n: int, workdir: Path) -> list[Table]:
    cost = Table(
        f"Recording overhead: E2E WebSocket blast of {n:,} frames, same run without and with record_path",
        ["stream", "without", "with recording", "throughput cost", "CPU/frame without", "CPU/frame with"],
        note="median of runs ±half-IQR; each run pair alternates which goes first; "
        "cost = median over run pairs of 1 - with/without",
    )
    load_before = _load()
    speed = Table(
        "Replay at speed 0 vs the live end-to-end rate "
        "(the recordings made above, a handler doing the live checks)",
        ["stream", "live frames/s", "replay frames/s", "replay/live", "CPU/frame live", "CPU/frame replay"],
        note="median of runs ±half-IQR; replay/live = median over runs of replay rate / live rate of the "
        "same run; replay timed from start_replay() to the end of the feed (handlers drained)",
    )
    for kind, label in KINDS.items():
        plain: list[dict[str, Any]] = []
        recorded: list[dict[str, Any]] = []
        replays: list[dict[str, float]] = []
        for run in range(runs):
            directory = workdir / f"{kind}-{run}"
            variants = [None, {"record_path": str(directory)}]
            if run % 2:
                variants.reverse()  # alternate which goes first, so drift hits both equally
            recorded_info: dict[str, Any] = {}
            for extra in variants:
                info = configure(server, kind=kind, mode="blast", frames=n)
                result = asyncio.run(
                    e2e_ours.ours(server.rest_url, server.ws_url, kind, "blast", info, extra_overrides=extra)
                )
                (plain if extra is None else recorded).append(result)
                if extra is not None:
                    recorded_info = info
            replays.append(asyncio.run(replay_rate(directory, kind, recorded_info)))
        costs = [1 - r["fps"] / p["fps"] for p, r in zip(plain, recorded, strict=True)]
        cost.add_row(
            label,
            fmt_summary(summarize(p["fps"] for p in plain), fmt_rate),
            fmt_summary(summarize(r["fps"] for r in recorded), fmt_rate),
            f"{summarize(costs).median * 100:+.1f}%",
            _us(summarize(p["cpu_per_frame"] for p in plain).median),
            _us(summarize(r["cpu_per_frame"] for r in recorded).median),
        )
        ratios = [r["fps"] / p["fps"] for p, r in zip(plain, replays, strict=True)]
        speed.add_row(
            label,
            fmt_summary(summarize(p["fps"] for p in plain), fmt_rate),
            fmt_summary(summarize(r["fps"] for r in replays), fmt_rate),
            fmt_summary(summarize(ratios), lambda ratio: f"{ratio:.2f}x"),
            _us(summarize(p["cpu_per_frame"] for p in plain).median),
            _us(summarize(r["cpu_per_frame"] for r in replays).median),
        )
    loads = f"load average {load_before} before, {_load()} after"
    cost.note = f"{cost.note}; {loads}"
    speed.note = f"{speed.note}; {loads}"
    return [cost, speed]


def _load() -> str:
    """The 1-minute load average now (what else ran on the machine while measuring)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


async def record_simulator(directory: Path, seconds: float) -> None:
    symbols = [Symbol(pair[:-4], "USDT") for pair in PAIRS]
    async with mexc_simulator(symbols=PAIRS, market_rate=40.0) as session:
        exchange = await FullExchangeFactory().create_public_exchange(
            "mexc_spot",
            symbols,
            environment=session.environment,
            overrides={**session.overrides, "record_path": str(directory)},
        )
        try:
            assert isinstance(exchange, SupportsRecording)
            await exchange.subscribe_channels(symbols, RECORDABLE_CHANNELS)
            await asyncio.sleep(seconds)
        finally:
            await exchange.close()


def sizes(directory: Path, seconds: float) -> Table:
    table = Table(
        f"Size on disk per channel: simulator, 10 symbols, every public channel, {seconds:.0f} s",
        ["channel", "frames", "payload B/frame", "record B/frame", "zstd B/frame", "ratio"],
        note="zstd B/frame: that channel's records alone, compressed like the writer (level 1, 1 MiB "
        "blocks); total: the real segment files (all channels interleaved)",
    )
    payload: dict[str, int] = defaultdict(int)
    frames: dict[str, int] = defaultdict(int)
    encoded: dict[str, bytearray] = defaultdict(bytearray)
    for record in RecordingReader(directory):
        if isinstance(record, FrameRecord):
            kind = channel_kind(frame_channel(record.payload))
            frames[kind] += 1
            data = record.payload.encode() if isinstance(record.payload, str) else record.payload
            payload[kind] += len(data)
            encode_frame(encoded[kind], record.conn, record.received_ns, record.payload)
    compressor = zstandard.ZstdCompressor(level=WriterLimits().compression_level)
    block = 1 << 20
    for kind in sorted(frames, key=lambda k: -frames[k]):
        raw = bytes(encoded[kind])
        packed = sum(len(compressor.compress(raw[i : i + block])) for i in range(0, len(raw), block))
        count = frames[kind]
        table.add_row(
            kind,
            f"{count:,}",
            f"{payload[kind] / count:.1f}",
            f"{len(raw) / count:.1f}",
            f"{packed / count:.1f}",
            f"{len(raw) / packed:.1f}x",
        )
    total_frames = sum(frames.values())
    on_disk = sum(path.stat().st_size for path in RecordingReader(directory).segments)
    raw_total = sum(len(buffer) for buffer in encoded.values())
    table.add_row(
        "total (on disk)",
        f"{total_frames:,}",
        f"{sum(payload.values()) / total_frames:.1f}",
        f"{raw_total / total_frames:.1f}",
        f"{on_disk / total_frames:.1f}",
        f"{raw_total / on_disk:.1f}x",
    )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_recording", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3 if quick else 5)
    ap.add_argument("--frames", type=int, default=5000 if quick else 20000, help="frames per blast")
    ap.add_argument(
        "--seconds", type=float, default=5.0 if quick else 30.0, help="simulator recording length"
    )
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as work:
        workdir = Path(work)
        with ServerProcess() as server:
            for table in overhead(server, args.runs, args.frames, workdir):
                table.print()
        simulator_recording = workdir / "simulator"
        asyncio.run(record_simulator(simulator_recording, args.seconds))
        sizes(simulator_recording, args.seconds).print()


if __name__ == "__main__":
    main()
