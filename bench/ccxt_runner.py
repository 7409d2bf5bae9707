"""ccxt / ccxt.pro side of the comparison. Runs INSIDE the throwaway venv ``.bench-venvs/ccxt``.

Standard library + ccxt only (ccxt pins its own protobuf major, hence the separate interpreter). The
parent bench (bench_e2e / bench_rest) starts it once per ``python -m bench`` invocation and talks to it
over stdin/stdout, one JSON object per line, so that ccxt runs interleave with ours on the same server:

    {"cmd": "hello"}  -> {"ccxt": "4.5.90", "python": ..., "protobuf": ...}
    {"cmd": "e2e", "kind": "deals"|"depth", "mode": "blast"|"rate", "rest_url": ..., "ws_url": ...,
     "info": <the server's /bench/scenario answer>}  -> {"fps": ..., "frames": ...} or {"latencies_us": [...]}
    {"cmd": "rest", "what": "depth"|"order", "number": N, "rest_url": ...} -> {"per_request_s": ...}
    {"cmd": "quit"}

Every result line carries ``"ok": true`` or ``"ok": false, "error": "..."``. ccxt is pointed at the
server by overriding ``urls['api']['spot']['public'|'private']`` (REST bases; ccxt appends
``/api/v3/<path>``), ``urls['api']['contract']['public']`` (``load_markets`` also fetches swap markets
from ``<base>/detail``) and ``urls['api']['ws']['spot']``. ``enableRateLimit`` is off: we time the
client, not its throttle (ours runs with limits far above the request rate for the same reason).
"""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import time
import traceback
from typing import Any

import ccxt
import ccxt.pro

SYMBOL = "BTC/USDT"
DEADLINE_SECONDS = 120.0


def make_exchange(rest_url: str, ws_url: str) -> Any:
    """A ccxt.pro mexc instance whose every URL points at the bench server."""
    ex = ccxt.pro.mexc(
        {
            "apiKey": "mx0vglbenchbenchbench",
            "secret": "0123456789abcdef0123456789abcdef",
            "enableRateLimit": False,
        }
    )
    api = ex.urls["api"]
    api["spot"]["public"] = rest_url
    api["spot"]["private"] = rest_url
    api["contract"]["public"] = rest_url + "/api/v1/contract"
    api["contract"]["private"] = rest_url + "/api/v1/private"
    api["ws"]["spot"] = ws_url
    return ex


async def e2e_trades(ex: Any, info: dict[str, Any], mode: str) -> dict[str, Any]:
    """Consume ``info['frames']`` aggre.deals frames through ``watch_trades``.

    Blast: frame ``i``'s trades have time ``trade_time_base + i``, so the newest trade tells how far we
    are. Rate: trade times are send stamps in microseconds; one latency sample per frame.
    """
    per_frame = int(info["trades_per_frame"])
    n_frames = int(info["frames"])
    base = int(info["trade_time_base"])
    deadline = time.perf_counter() + DEADLINE_SECONDS
    t_first = 0.0
    first_frame = -1
    received = 0
    last_stamp = 0
    latencies: list[float] = []
    while time.perf_counter() < deadline:
        trades = await ex.watch_trades(SYMBOL)  # newUpdates: only the trades added since the last call
        now = time.perf_counter()
        received += len(trades)
        if mode == "rate":
            now_us = time.time() * 1e6
            for t in trades:
                stamp = int(t["timestamp"])
                if stamp != last_stamp:  # one sample per frame
                    latencies.append(now_us - stamp)
                    last_stamp = stamp
            if received >= n_frames * per_frame:
                return {"latencies_us": latencies}
            continue
        frame = int(trades[-1]["timestamp"]) - base
        if first_frame < 0:
            t_first, first_frame = now, frame
        if frame >= n_frames - 1:
            frames = frame - first_frame
            return {"frames": frames, "seconds": now - t_first, "fps": frames / (now - t_first)}
    raise TimeoutError(f"watch_trades: {received} trades of {n_frames * per_frame} after {DEADLINE_SECONDS}s")


async def e2e_depth(ex: Any, info: dict[str, Any], mode: str) -> dict[str, Any]:
    """Consume the depth scenario through ``watch_order_book`` (ccxt's nonce = the delta's fromVersion)."""
    first_from = int(info["first_from_version"])
    last_from = int(info["last_from_version"])
    k = int(info["versions_per_frame"])
    deadline = time.perf_counter() + DEADLINE_SECONDS
    t_first = 0.0
    first_nonce = -1
    nonce = 0
    latencies: list[float] = []
    while time.perf_counter() < deadline:
        book = await ex.watch_order_book(SYMBOL)
        now = time.perf_counter()
        now_us = time.time() * 1e6
        nonce = int(book["nonce"] or 0)
        if nonce < first_from:
            continue
        if first_nonce < 0:
            t_first, first_nonce = now, nonce
        if mode == "rate" and book["timestamp"]:
            latencies.append(now_us - int(book["timestamp"]))
        if nonce >= last_from:
            break
    else:
        raise TimeoutError(f"watch_order_book: nonce {nonce}, waiting for {last_from}")
    if mode == "rate":
        return {"latencies_us": latencies}
    frames = (last_from - first_nonce) // k
    return {"frames": frames, "seconds": now - t_first, "fps": frames / (now - t_first)}


async def run_e2e(cmd: dict[str, Any]) -> dict[str, Any]:
    ex = make_exchange(cmd["rest_url"], cmd["ws_url"])
    try:
        await ex.load_markets()
        if cmd["kind"] == "deals":
            return await e2e_trades(ex, cmd["info"], cmd["mode"])
        return await e2e_depth(ex, cmd["info"], cmd["mode"])
    finally:
        await ex.close()


async def run_rest(cmd: dict[str, Any]) -> dict[str, Any]:
    ex = make_exchange(cmd["rest_url"], cmd["rest_url"].replace("http", "ws") + "/ws")
    number = int(cmd["number"])
    try:
        await ex.load_markets()
        if cmd["what"] == "depth":

            async def call() -> Any:
                return await ex.fetch_order_book(SYMBOL, 100)
        else:

            async def call() -> Any:
                return await ex.create_order(SYMBOL, "limit", "buy", 0.001, 40000.5)

        for _ in range(min(50, number)):  # warm-up: connection, caches
            await call()
        start = time.perf_counter()
        for _ in range(number):
            await call()
        return {"per_request_s": (time.perf_counter() - start) / number}
    finally:
        await ex.close()


def hello() -> dict[str, Any]:
    try:
        from google.protobuf import __version__ as pb_version
    except ImportError:  # pragma: no cover - ccxt installs protobuf
        pb_version = "not installed"
    return {"ccxt": ccxt.__version__, "python": platform.python_version(), "protobuf": pb_version}


async def serve() -> None:
    """Read commands line by line until ``quit`` or EOF; answer each with one JSON line."""
    loop = asyncio.get_running_loop()
    for _ in range(100_000):  # bounded: far more commands than any bench sends
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = json.loads(line)
        name = cmd.get("cmd")
        if name == "quit":
            return
        try:
            if name == "hello":
                result = hello()
            elif name == "e2e":
                result = await run_e2e(cmd)
            elif name == "rest":
                result = await run_rest(cmd)
            else:
                raise ValueError(f"unknown command {name!r}")
            result["ok"] = True
        except Exception as exc:
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve())
