"""The benchmark's blast server: a separate process that speaks just enough MEXC to be driven hard.

Run as ``python -m bench.server`` (the benches start it with :class:`ServerProcess`); it prints one JSON
line ``{"port": N}`` and serves on 127.0.0.1 until its stdin closes (the parent exited) or
``--max-lifetime`` seconds pass.

* REST: ``/api/v3/ping``, ``/time``, ``/exchangeInfo``, ``/defaultSymbols``, ``/depth`` (consistent with
  the stream, see :mod:`bench.frames`), signed ``POST /api/v3/order`` (checks the key header and the
  presence of ``signature``/``timestamp``, does not verify the HMAC), ``/api/v3/account``, and ccxt's
  ``/api/v1/contract/detail`` (empty list). Unknown paths answer 404.
* WebSocket ``/ws``: SUBSCRIPTION/UNSUBSCRIPTION acks and PING/PONG as MEXC sends them; a subscription to
  ``aggre.deals`` or ``aggre.depth`` starts the configured scenario on that connection.
* Control: ``POST /bench/scenario`` (JSON, see :class:`Scenario`) pre-encodes the frames and returns the
  version numbers the client must reach.

Modes: ``blast`` sends pre-encoded frames back to back (``send_bytes`` awaits only TCP back-pressure);
Blast deals frame ``i`` carries trade time ``trade_time_base + i`` ms (ccxt's generated
protobuf predates the ``tradeId`` field, so the time is the only per-frame mark both clients keep).
``rate`` sends at a fixed rate and stamps each frame's wrapper ``sendTime`` **and** each deal's ``time``
with ``time.time()`` in **microseconds** just before sending, so a handler can compute send->handler
latency from the record it receives. Rate frames are encoded and framed before the run with a sentinel
stamp; sending one patches the current stamp over the sentinel's varint bytes (same length, so no
length prefix changes) and writes it straight to the socket: the server's CPU per frame is a
``bytes.replace``, not a protobuf encode and an aiohttp write, so at 10k frames/s it no longer
competes with the client for the CPU it is measuring. Frames whose time has come are written
together, each stamped when written (``asyncio.sleep`` wakes at millisecond granularity).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

from bench import frames as market
from bench import scale_server

WAIT_SNAPSHOT_SECONDS = 10.0
SETTLE_SECONDS = 0.2


@dataclass
class Scenario:
    """What the next ``aggre.deals``/``aggre.depth`` subscription receives."""

    kind: str = "deals"  # "deals" | "depth"
    mode: str = "blast"  # "blast" | "rate"
    frames: int = 1000
    rate: float = 500.0  # frames/s in "rate" mode
    warmup: int = 40  # depth only: frames sent slowly before the snapshot (ccxt waits for 25)
    depth_stream: market.DepthStream = field(default_factory=lambda: market.DepthStream(1_000_000_000))
    encoded: list[bytes] = field(default_factory=list)
    channel: str = ""
    trades_per_frame: int = market.TRADES_PER_FRAME
    raw: bool = False
    """Blast by writing pre-framed WebSocket bytes straight to the socket (no aiohttp writer per frame):
    the aiohttp server tops out at 55-68k frames/s, below what the floor client reads."""
    trade_time_base: int = field(default_factory=lambda: int(time.time() * 1000))
    """Blast deals frame ``i`` has trade time ``trade_time_base + i`` (ms): how a client knows its index."""
    snapshot_served: asyncio.Event = field(default_factory=asyncio.Event)
    scale: scale_server.ScaleScenario | None = None
    """Set by a ``symbols`` spec: the raw multi-symbol blast of :mod:`bench.scale_server`."""


class BenchServer:
    """aiohttp application state: the current scenario."""

    def __init__(self) -> None:
        self.scenario = Scenario()
        self.next_base = 1_000_000_000
        self.order_id = 0
        self._depth_cache: dict[tuple[int, int], bytes] = {}
        self._exchange_info = msgspec.json.encode(_exchange_info())
        self._coin_config = msgspec.json.encode([_coin(c) for c in ("USDT", "BTC", "ETH")])

    # ------------------------------------------------------------------ control
    async def set_scenario(self, request: web.Request) -> web.Response:
        spec = await request.json()
        if "symbols" in spec:
            return self._set_scale_scenario(spec)
        sc = Scenario(
            kind=str(spec.get("kind", "deals")),
            mode=str(spec.get("mode", "blast")),
            frames=int(spec.get("frames", 1000)),
            rate=float(spec.get("rate", 500.0)),
            warmup=int(spec.get("warmup", 40)),
            depth_stream=market.DepthStream(
                self.next_base, int(spec.get("updates_per_frame", market.UPDATES_PER_FRAME))
            ),
            trades_per_frame=int(spec.get("trades_per_frame", market.TRADES_PER_FRAME)),
            raw=bool(spec.get("raw", False)),
        )
        self.next_base += 10_000_000
        self.scenario = sc
        if spec.get("channel"):  # pre-encode now, outside any timed section
            sc.channel = str(spec["channel"])
            stamp = STAMP_SENTINEL_US if sc.mode == "rate" else 0
            sc.encoded = [self._encode(sc, sc.channel, sc.kind, i, stamp) for i in range(sc.frames)]
        ds = sc.depth_stream
        first, last = sc.warmup, sc.warmup + sc.frames - 1
        return web.json_response(
            {
                "kind": sc.kind,
                "mode": sc.mode,
                "frames": sc.frames,
                "trades_per_frame": sc.trades_per_frame,
                "updates_per_frame": ds.updates_per_frame,
                "versions_per_frame": market.VERSIONS_PER_FRAME,
                "base_version": ds.base_version,
                "first_to_version": ds.to_version(first),
                "last_to_version": ds.to_version(last),
                "first_from_version": ds.from_version(first),
                "last_from_version": ds.from_version(last),
                "trade_time_base": sc.trade_time_base,
            }
        )

    def _set_scale_scenario(self, spec: dict[str, Any]) -> web.Response:
        scale = scale_server.ScaleScenario(
            kind=str(spec.get("kind", "depth")),
            symbols=int(spec["symbols"]),
            frames=int(spec.get("frames", 1000)),
            base_version=self.next_base,
            updates_per_frame=int(spec.get("updates_per_frame", 20)),
            trades_per_frame=int(spec.get("trades_per_frame", 10)),
        )
        scale.prepare()
        self.next_base += 10_000_000
        self.scenario = Scenario(kind=scale.kind, frames=scale.frames, raw=True, scale=scale)
        return web.json_response(scale.info())

    # --------------------------------------------------------------------- REST
    async def ping(self, request: web.Request) -> web.Response:
        return web.Response(body=b"{}", content_type="application/json")

    async def server_time(self, request: web.Request) -> web.Response:
        body = b'{"serverTime":%d}' % int(time.time() * 1000)
        return web.Response(body=body, content_type="application/json")

    async def exchange_info(self, request: web.Request) -> web.Response:
        scale = self.scenario.scale
        if scale is not None and scale.symbols > 1:
            body = msgspec.json.encode(_exchange_info(scale_server.exchange_info_symbols(scale.symbols)))
            return web.Response(body=body, content_type="application/json")
        return web.Response(body=self._exchange_info, content_type="application/json")

    async def default_symbols(self, request: web.Request) -> web.Response:
        return web.json_response({"code": 0, "data": ["BTCUSDT", "ETHUSDT"], "msg": None})

    async def depth(self, request: web.Request) -> web.Response:
        limit = min(int(request.query.get("limit", "100")), market.LEVELS)
        scale = self.scenario.scale
        if scale is not None:
            snap = scale.snapshot(request.query.get("symbol", market.SYMBOL), limit)
            if snap is None:
                return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
            return web.Response(body=msgspec.json.encode(snap), content_type="application/json")
        ds = self.scenario.depth_stream
        key = (ds.current_version, limit)
        body = self._depth_cache.get(key)
        if body is None:
            if len(self._depth_cache) > 64:
                self._depth_cache.clear()
            snap = ds.snapshot(limit)
            snap["timestamp"] = int(time.time() * 1000)
            body = self._depth_cache[key] = msgspec.json.encode(snap)
        self.scenario.snapshot_served.set()
        return web.Response(body=body, content_type="application/json")

    async def order(self, request: web.Request) -> web.Response:
        q = request.query
        if "X-MEXC-APIKEY" not in request.headers or "signature" not in q or "timestamp" not in q:
            return web.json_response({"code": 700001, "msg": "API-key format invalid."}, status=400)
        self.order_id += 1
        body = {
            "symbol": q.get("symbol", "BTCUSDT"),
            "orderId": f"C02__{self.order_id:021d}",
            "orderListId": -1,
            "price": q.get("price", "0"),
            "origQty": q.get("quantity", "0"),
            "type": q.get("type", "LIMIT"),
            "side": q.get("side", "BUY"),
            "transactTime": int(time.time() * 1000),
        }
        if "newClientOrderId" in q:
            body["clientOrderId"] = q["newClientOrderId"]
        return web.Response(body=msgspec.json.encode(body), content_type="application/json")

    async def account(self, request: web.Request) -> web.Response:
        balances = [
            {"asset": "USDT", "free": "1000000", "locked": "0"},
            {"asset": "BTC", "free": "10", "locked": "0"},
        ]
        body = {"canTrade": True, "canWithdraw": True, "canDeposit": True, "updateTime": None,
                "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"]}  # fmt: skip
        return web.json_response(body)

    async def coin_config(self, request: web.Request) -> web.Response:
        """``/api/v3/capital/config/getall``: ccxt's ``load_markets`` fetches it when it has credentials."""
        return web.Response(body=self._coin_config, content_type="application/json")

    async def contract_detail(self, request: web.Request) -> web.Response:
        return web.json_response({"success": True, "code": 0, "data": []})

    async def fallback(self, request: web.Request) -> web.Response:
        return web.json_response({"code": 404, "msg": "not served by the bench server"}, status=404)

    # ---------------------------------------------------------------- WebSocket
    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        tasks: set[asyncio.Task[None]] = set()
        scale_symbols: list[int] = []  # this connection's symbols in a scale scenario
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    req = json.loads(msg.data)
                except ValueError:
                    continue
                method = str(req.get("method", "")).upper()
                rid = req.get("id", 0) or 0
                if method == "PING":
                    await ws.send_str(json.dumps({"id": rid, "code": 0, "msg": "PONG"}))
                elif method in ("SUBSCRIPTION", "UNSUBSCRIPTION"):
                    params = [str(p) for p in req.get("params", [])]
                    await ws.send_str(json.dumps({"id": rid, "code": 0, "msg": ",".join(params)}))
                    scale = self.scenario.scale
                    if method == "SUBSCRIPTION" and scale is not None:
                        if not scale_symbols:
                            task = asyncio.create_task(scale.blast(ws, scale_symbols))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
                        await scale.on_subscribe(ws, params, scale_symbols)
                    elif method == "SUBSCRIPTION":
                        for channel in params:
                            task = asyncio.create_task(self._push(ws, channel))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
        finally:
            for task in list(tasks):
                task.cancel()
        return ws

    async def _push(self, ws: web.WebSocketResponse, channel: str) -> None:
        sc = self.scenario
        kind = "deals" if ".aggre.deals." in channel else "depth" if ".aggre.depth." in channel else ""
        if kind != sc.kind:
            return
        with contextlib.suppress(ConnectionError, asyncio.CancelledError, RuntimeError):
            if kind == "depth":
                await self._depth_warmup(ws, sc, channel)
            else:
                await asyncio.sleep(SETTLE_SECONDS)
            if sc.mode == "blast":
                if sc.channel != channel or len(sc.encoded) != sc.frames:
                    sc.encoded = [self._encode(sc, channel, kind, i, 0) for i in range(sc.frames)]
                    sc.channel = channel
                if sc.raw:
                    await self._send_raw(ws, sc, kind)
                else:
                    await self._send(ws, sc, kind, sc.encoded.__getitem__, paced=False)
            else:
                if sc.channel != channel or len(sc.encoded) != sc.frames:
                    sc.encoded = [
                        self._encode(sc, channel, kind, i, STAMP_SENTINEL_US) for i in range(sc.frames)
                    ]
                    sc.channel = channel
                await self._send_rate_raw(ws, sc, kind)

    async def _depth_warmup(self, ws: web.WebSocketResponse, sc: Scenario, channel: str) -> None:
        ds = sc.depth_stream
        for i in range(sc.warmup):
            await ws.send_bytes(ds.encode(i, channel, int(time.time() * 1e6)))
            ds.frames_sent = i + 1
            await asyncio.sleep(0.002)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sc.snapshot_served.wait(), WAIT_SNAPSHOT_SECONDS)
        await asyncio.sleep(SETTLE_SECONDS)

    def _encode(self, sc: Scenario, channel: str, kind: str, i: int, stamp_us: int) -> bytes:
        if kind == "depth":
            return sc.depth_stream.encode(sc.warmup + i, channel, stamp_us)
        return market.encode_deals(
            i, channel, stamp_us or sc.trade_time_base + i, stamp_us, sc.trades_per_frame
        )

    async def _send(
        self, ws: web.WebSocketResponse, sc: Scenario, kind: str, frame: Callable[[int], bytes], paced: bool
    ) -> None:
        """Send ``frame(i)`` for every frame index: back to back, or ``paced`` at ``sc.rate`` frames/s."""
        ds = sc.depth_stream
        interval = 1.0 / sc.rate if paced else 0.0
        start = time.perf_counter()
        for i in range(sc.frames):
            if paced:
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send_bytes(frame(i))
            if kind == "depth":
                ds.frames_sent = sc.warmup + i + 1

    async def _send_raw(self, ws: web.WebSocketResponse, sc: Scenario, kind: str) -> None:
        """Blast the pre-encoded frames as pre-built WebSocket frames written straight to the socket,
        in chunks, waiting only while the kernel and transport buffers are full."""
        transport = ws._req.transport if ws._req is not None else None  # aiohttp keeps the request here
        if transport is None:
            return
        framed = [_binary_frame(payload) for payload in sc.encoded]
        chunk = 256
        for start in range(0, len(framed), chunk):
            for _ in range(RAW_MAX_WAITS):  # bounded: a client that stopped reading ends the blast
                if transport.get_write_buffer_size() <= RAW_HIGH_WATER:
                    break
                await asyncio.sleep(0.0002)
            else:
                return
            transport.write(b"".join(framed[start : start + chunk]))
            if kind == "depth":
                sc.depth_stream.frames_sent = sc.warmup + min(start + chunk, len(framed))
            await asyncio.sleep(0)

    async def _send_rate_raw(self, ws: web.WebSocketResponse, sc: Scenario, kind: str) -> None:
        """Send the pre-encoded frames at ``sc.rate`` frames/s straight to the socket, each with the
        current ``time.time()`` (microseconds) patched over the sentinel stamp as it is written."""
        transport = ws._req.transport if ws._req is not None else None  # aiohttp keeps the request here
        if transport is None:
            return
        framed = [_binary_frame(payload) for payload in sc.encoded]
        sentinel = _varint(STAMP_SENTINEL_US)
        interval = 1.0 / sc.rate
        start = time.perf_counter()
        sent = 0
        while sent < len(framed):
            due = min(len(framed), int((time.perf_counter() - start) / interval) + 1)
            if due > sent:
                stamp = _varint(int(time.time() * 1e6))
                if len(stamp) != len(sentinel) or transport.is_closing():
                    return  # a stamp of another length would corrupt the frame (not before year 4253)
                transport.write(b"".join([frame.replace(sentinel, stamp) for frame in framed[sent:due]]))
                sent = due
                if kind == "depth":
                    sc.depth_stream.frames_sent = sc.warmup + sent
            await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))


STAMP_SENTINEL_US = 1_700_000_000_123_457
"""Stamp encoded into rate frames before the run and replaced when each is sent: an 8-byte varint
(every microsecond time from 1987 to 4253 has that length), with the high bit set in its first seven
bytes, so it cannot occur by accident in the frame's text fields."""


def _varint(value: int) -> bytes:
    """``value`` as a protobuf base-128 varint (low 7 bits first)."""
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


RAW_HIGH_WATER = 1 << 20
"""Bytes buffered in the transport above which the raw blast waits for the client to read."""
RAW_MAX_WAITS = 500_000
"""Waits of 0.2 ms (~100 s) for the buffer to drain before the raw blast gives up."""


def _binary_frame(payload: bytes) -> bytes:
    """One unmasked, final, uncompressed binary WebSocket frame (RFC 6455 §5.2) around ``payload``."""
    n = len(payload)
    if n < 126:
        header = bytes((0x82, n))
    elif n < 1 << 16:
        header = bytes((0x82, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x82, 127)) + n.to_bytes(8, "big")
    return header + payload


def _exchange_info(more: Sequence[tuple[str, int, int, str]] = ()) -> dict[str, Any]:
    """A realistic exchangeInfo (API.md §3.1 + §14 keys) for BTCUSDT and ETHUSDT (and ``more`` symbols)."""

    def sym(base: str, base_prec: int, quote_prec: int, step: str) -> dict[str, Any]:
        return {
            "symbol": f"{base}USDT", "status": "1", "baseAsset": base, "baseAssetPrecision": base_prec,
            "quoteAsset": "USDT", "quotePrecision": quote_prec, "quoteAssetPrecision": quote_prec,
            "baseCommissionPrecision": base_prec, "quoteCommissionPrecision": quote_prec,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False, "quoteAmountPrecision": "1", "baseSizePrecision": step,
            "permissions": ["SPOT"], "maxQuoteAmount": "2000000", "makerCommission": "0",
            "takerCommission": "0.0005", "quoteAmountPrecisionMarket": "1",
            "maxQuoteAmountMarket": "4000000", "fullName": base, "tradeSideType": 1, "st": False,
            "contractAddress": "", "conceptPlateIds": [],
            "filters": [
                {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "askMultiplierDown": "0.9"}
            ],
        }  # fmt: skip

    return {
        "timezone": "CST",
        "serverTime": int(time.time() * 1000),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [sym("BTC", 6, 2, "0.000001"), sym("ETH", 5, 2, "0.00001")]
        + [sym(*args) for args in more],
    }


def _coin(coin: str) -> dict[str, Any]:
    """One ``capital/config/getall`` entry (API.md §5) with a single network."""
    network = {
        "coin": coin, "depositDesc": None, "depositEnable": True, "minConfirm": 12, "name": coin,
        "network": "ERC20", "withdrawEnable": True, "withdrawFee": "1", "withdrawIntegerMultiple": None,
        "withdrawMax": "1000000", "withdrawMin": "10", "sameAddress": False, "contract": "",
        "withdrawTips": None, "depositTips": None, "netWork": "ETH",
    }  # fmt: skip
    return {"coin": coin, "name": coin, "networkList": [network]}


def make_app() -> web.Application:
    """The aiohttp application (also usable in-process by tests of the bench itself)."""
    s = BenchServer()
    app = web.Application()
    r = app.router
    r.add_get("/api/v3/ping", s.ping)
    r.add_get("/api/v3/time", s.server_time)
    r.add_get("/api/v3/exchangeInfo", s.exchange_info)
    r.add_get("/api/v3/defaultSymbols", s.default_symbols)
    r.add_get("/api/v3/depth", s.depth)
    r.add_post("/api/v3/order", s.order)
    r.add_get("/api/v3/account", s.account)
    r.add_get("/api/v3/capital/config/getall", s.coin_config)
    r.add_get("/api/v1/contract/detail", s.contract_detail)
    r.add_get("/ws", s.websocket)
    r.add_post("/bench/scenario", s.set_scenario)
    r.add_route("*", "/{tail:.*}", s.fallback)
    return app


async def _serve(port: int, max_lifetime: float) -> None:
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server  # aiohttp exposes no public accessor for the bound port
    sockets = getattr(server, "sockets", None) or []
    print(json.dumps({"port": sockets[0].getsockname()[1]}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:  # parent gone (pipe closed) -> stop
        with contextlib.suppress(Exception):
            sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max_lifetime)
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the server process (not a bench: the runner never calls this)."""
    ap = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-lifetime", type=float, default=1800.0)
    args = ap.parse_args(argv)
    asyncio.run(_serve(args.port, args.max_lifetime))


class ServerProcess:
    """Start ``python -m bench.server`` as a child process and learn its port. Use as a context manager."""

    def __init__(self, startup_timeout: float = 30.0) -> None:
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def __enter__(self) -> ServerProcess:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server prints its port first; EOF if it died
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError("bench server did not start (see its stderr above)")
        self.port = int(json.loads(line)["port"])
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


if __name__ == "__main__":
    main()
