"""Our side of the end-to-end WebSocket bench, plus the bare aiohttp + protobuf floor.

Every function runs one scenario against the bench server (already configured through
``/bench/scenario``; ``info`` is its answer) and returns either
``{"frames", "seconds", "fps"}`` (blast) or ``{"latencies_us": [...]}`` (rate).

Our client is used only through its public API, as users meet it:
``FullExchangeFactory().create_public_exchange("mexc_spot", environment="sim", overrides=...)`` then
``start_trades_stream`` with ``PublicStreamHandlers.trade_handler`` (trades) or
``start_orderbook_stream`` with ``orderbook_handler`` (local books maintained from ``aggre.depth`` +
the REST snapshot; the handler gets the top-20 ``OrderBook`` after every applied update). Overrides:
the server's URLs, rate-limit pools far above the request rate (we time the client, not its
throttle) and inbound/handler queues large enough that a blast never drops a frame (the bench checks
``dropped == 0``); everything else is the default.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any

import aiohttp

from bench import frames
from exchanges.capabilities import SupportsOrderBookStream, SupportsTradeStream
from exchanges.config import ExchangeConfig
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.models import OrderBook, Symbol, Trade
from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2

SYMBOL = Symbol("BTC", "USDT")
TIMEOUT = 120.0
QUEUE = 2_000_000


def bench_overrides(rest_url: str, ws_url: str) -> dict[str, Any]:
    """Config overrides: URLs, unlimited rate-limit pools and no-drop queues (see module doc)."""
    return {
        "rest_url": rest_url,
        "ws_url": ws_url,
        "ip_weight_limit": 10**9,
        "uid_weight_limit": 10**9,
        "ws_max_queue_size": QUEUE,
    }


def bench_config(rest_url: str, ws_url: str) -> ExchangeConfig:
    """The same as an ExchangeConfig, for benches that build a client directly."""
    from exchanges_mexc.plugin import SPEC  # here: an older tree timed by --before has no SPEC

    return SPEC.default_config.with_overrides(environment="sim", **bench_overrides(rest_url, ws_url))


class _Probe:
    """Shared handler-side bookkeeping: first/last times and latency samples."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.t_first = 0.0
        self.t_last = 0.0
        self.cpu_first = 0.0
        self.cpu_last = 0.0
        self.first_frame = -1
        self.last_frame = -1
        self.latencies: list[float] = []
        self.gc_pauses: list[float] = []
        self._gc_start = 0.0
        self._window = (0.0, 0.0)
        self._run_queue = (0, 0)

    def watch(self) -> None:
        """Rate runs: time garbage-collector pauses and the run-queue wait from now to :meth:`unwatch`
        (what bounds a latency tail: our pauses, or the host not giving the client a CPU)."""
        gc.callbacks.append(self._on_gc)
        self._window = (time.perf_counter(), 0.0)
        self._run_queue = (_run_queue_wait_ns(), 0)

    def unwatch(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
            self._window = (self._window[0], time.perf_counter())
            self._run_queue = (self._run_queue[0], _run_queue_wait_ns())

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append(time.perf_counter() - self._gc_start)

    def result(self, mode: str) -> dict[str, Any]:
        if mode == "rate":
            seconds = max(self._window[1] - self._window[0], 1e-9)
            waited = self._run_queue[1] - self._run_queue[0]
            return {
                "latencies_us": self.latencies,
                "gc_max_ms": max(self.gc_pauses, default=0.0) * 1e3,
                "run_queue_share": waited / 1e9 / seconds if self._run_queue[0] >= 0 else None,
            }
        n = self.last_frame - self.first_frame
        seconds = self.t_last - self.t_first
        cpu = self.cpu_last - self.cpu_first
        return {
            "frames": n,
            "seconds": seconds,
            "fps": n / seconds,
            "cpu_per_frame": cpu / max(n, 1),
            "cpu_window": [self.cpu_first, self.cpu_last],
        }


async def ours(
    rest_url: str,
    ws_url: str,
    kind: str,
    mode: str,
    info: dict[str, Any],
    *,
    book_only: bool = False,
    extra_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one scenario through our public API; adds ``dropped`` and (depth) ``book_ok``.

    ``book_only`` (depth blast): no handler, so no top-20 snapshot is published per update; progress
    is read by polling ``get_local_orderbook(symbol, 1)`` every millisecond (<= 1 ms error per end).
    """
    probe = _Probe()
    n_frames = int(info["frames"])
    rate = mode == "rate"
    handlers = PublicStreamHandlers()
    if kind == "deals":
        per_frame = int(info["trades_per_frame"])
        last_id = str(n_frames * per_frame)
        base = int(info["trade_time_base"])
        received = 0

        def on_trade(trade: Trade) -> None:
            nonlocal received
            received += 1
            if rate:
                if received % per_frame == 0:
                    probe.latencies.append(time.time() * 1e6 - trade.timestamp)
                if received >= n_frames * per_frame:
                    probe.done.set()
                return
            if probe.first_frame < 0:
                probe.t_first, probe.first_frame = time.perf_counter(), trade.timestamp - base
                probe.cpu_first = time.process_time()
            if trade.trade_id == last_id:
                probe.t_last, probe.last_frame = time.perf_counter(), trade.timestamp - base
                probe.cpu_last = time.process_time()
                probe.done.set()

        handlers.trade_handler = on_trade
    else:
        k = int(info["versions_per_frame"])
        first_to, last_to = int(info["first_to_version"]), int(info["last_to_version"])

        def on_book(book: OrderBook) -> None:
            version = book.version or 0
            if version < first_to:
                return
            if rate:
                probe.latencies.append(time.time() * 1e6 - book.timestamp)
            elif probe.first_frame < 0:
                probe.t_first, probe.first_frame = time.perf_counter(), (version - first_to) // k
                probe.cpu_first = time.process_time()
            if version >= last_to:
                probe.t_last, probe.last_frame = time.perf_counter(), (version - first_to) // k
                probe.cpu_last = time.process_time()
                probe.done.set()

        if not book_only:
            handlers.orderbook_handler = on_book

    factory = FullExchangeFactory()
    exchange = await factory.create_public_exchange(
        "mexc_spot",
        [SYMBOL],
        environment="sim",
        overrides={**bench_overrides(rest_url, ws_url), **(extra_overrides or {})},
    )
    try:
        if kind == "deals":
            assert isinstance(exchange, SupportsTradeStream)
            await exchange.start_trades_stream([SYMBOL], handlers)
        else:
            assert isinstance(exchange, SupportsOrderBookStream)
            await exchange.start_orderbook_stream([SYMBOL], handlers)
            if book_only:
                await _poll_book(exchange, probe, info)
        if rate:
            # Collect the start-up garbage before the frames come (the server waits 0.2 s): a long-running
            # client has done so long ago; in a fresh one the first full collection (~50k objects,
            # 13-67 ms on a loaded 2-core host) would land in the window (docs/performance.md).
            gc.collect()
            probe.watch()
        try:
            await asyncio.wait_for(probe.done.wait(), TIMEOUT)
        finally:
            probe.unwatch()
        result = probe.result(mode)
        metrics = exchange.get_performance_metrics()
        drops = {name: v for name, v in _flat(metrics) if name.endswith(".dropped") and v}
        result["dropped"] = int(sum(drops.values()))
        result["dropped_detail"] = drops
        if isinstance(exchange, SupportsOrderBookStream) and kind == "depth":
            result["book_ok"] = _book_matches(exchange.get_local_orderbook(SYMBOL, 20), n_frames, info)
        return result
    finally:
        await exchange.close()


def _run_queue_wait_ns() -> int:
    """Nanoseconds this process's main thread has waited for a CPU while runnable (Linux
    ``/proc/self/schedstat``), or -1 where that is not available."""
    try:
        with open("/proc/self/schedstat") as stats:
            return int(stats.read().split()[1])
    except (OSError, IndexError, ValueError):
        return -1


async def _poll_book(exchange: SupportsOrderBookStream, probe: _Probe, info: dict[str, Any]) -> None:
    k = int(info["versions_per_frame"])
    first_to, last_to = int(info["first_to_version"]), int(info["last_to_version"])
    deadline = time.perf_counter() + TIMEOUT
    while time.perf_counter() < deadline:
        try:
            version = exchange.get_local_orderbook(SYMBOL, 1).version or 0
        except KeyError:
            version = 0
        now = time.perf_counter()
        if version >= first_to and probe.first_frame < 0:
            probe.t_first, probe.first_frame = now, (version - first_to) // k
        if version >= last_to:
            probe.t_last, probe.last_frame = now, (version - first_to) // k
            probe.done.set()
            return
        await asyncio.sleep(0.001)
    raise TimeoutError("local book did not reach the last version")


def _flat(metrics: dict[str, Any], prefix: str = "") -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flat(value, name + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append((name, float(value)))
    return out


def _book_matches(book: OrderBook, n_frames: int, info: dict[str, Any]) -> bool:
    """The local book equals the server's book after the last frame (top 20, both sides)."""
    warmup = (int(info["first_to_version"]) - int(info["base_version"])) // int(
        info["versions_per_frame"]
    ) - 1
    per_frame = int(info.get("updates_per_frame", frames.UPDATES_PER_FRAME))
    bids, asks = frames.book_state((warmup + n_frames) * per_frame, 20)
    want_bids = [(float(p), float(q)) for p, q in bids]
    want_asks = [(float(p), float(q)) for p, q in asks]
    got_bids = [(e.price, e.size) for e in book.bids]
    got_asks = [(e.price, e.size) for e in book.asks]
    return got_bids == want_bids and got_asks == want_asks


async def floor(rest_url: str, ws_url: str, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    """aiohttp receive + ``PushDataV3ApiWrapper.FromString`` + read every field: no models, no book."""
    n_frames = int(info["frames"])
    channel = f"spot@public.aggre.{kind}.v3.api.pb@100ms@BTCUSDT"
    parse = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper.FromString
    probe = _Probe()
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIPTION", "params": [channel], "id": 1}))
        if kind == "depth":
            async with session.get(f"{rest_url}/api/v3/depth", params={"symbol": "BTCUSDT"}) as resp:
                await resp.read()
            first_to = int(info["first_to_version"])
            k = int(info["versions_per_frame"])
        base = int(info.get("trade_time_base", 0))
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY:
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise ConnectionError("bench server closed the socket")
                continue
            wrapper = parse(msg.data)
            if kind == "deals":
                deals = wrapper.publicAggreDeals.deals  # read every field, as any client must
                _ = [(d.price, d.quantity, d.tradeType, d.time, d.tradeId) for d in deals]
                frame = wrapper.publicAggreDeals.deals[-1].time - base
            else:
                depth = wrapper.publicAggreDepths
                _ = [(level.price, level.quantity) for level in depth.bids]
                _ = [(level.price, level.quantity) for level in depth.asks]
                version = int(depth.toVersion)
                if version < first_to:
                    continue
                frame = (version - first_to) // k
            now = time.perf_counter()
            if probe.first_frame < 0:
                probe.t_first, probe.first_frame = now, frame
                probe.cpu_first = time.process_time()
            if frame >= n_frames - 1:
                probe.t_last, probe.last_frame = now, frame
                probe.cpu_last = time.process_time()
                return probe.result("blast")
    raise TimeoutError("floor consumer did not reach the last frame")
