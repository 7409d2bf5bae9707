"""``exchanges.sync`` from a plain script (no asyncio in sight), run in a subprocess against the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from exchanges_mexc.sim import MexcSimulator, SimAccount

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from decimal import Decimal
    from exchanges.config import Credentials
    from exchanges.errors import ExchangeClosedError
    from exchanges.models import KlineInterval, Side, Symbol
    from exchanges.sync import FullExchangeFactory

    BTC = Symbol("BTC", "USDT")
    overrides = {"rest_url": os.environ["SIM_REST"], "ws_url": os.environ["SIM_WS"]}
    credentials = Credentials(os.environ["SIM_KEY"], os.environ["SIM_SECRET"])

    with FullExchangeFactory(config={}, env={}) as factory:
        public = factory.create_public_exchange("mexc_spot", [BTC], environment="sim", overrides=overrides)
        private = factory.create_private_exchange(
            "mexc_spot", credentials, environment="sim", overrides=overrides
        )
        print("ticker", public.get_ticker(BTC).symbol)
        print("tickers", len(public.get_tickers()))
        print("usdt", private.get_asset_balance("USDT").free)
        order = private.place_limit_order(BTC, Side.BUY, "0.001", "30000")
        print("open", [o.order_id for o in private.get_open_orders()] == [order.order_id])
        public.start_trades_stream([BTC])
        trades = public.iter_trades()
        first = next(trades)
        trades.close()
        print("trade", first.symbol)
        since = public.get_server_time() - 6 * 3600_000
        candles = list(public.iter_kline_history(BTC, KlineInterval.HOUR_1, since))
        print("candles", len(candles) >= 5)
        private.close()
        try:
            private.get_balances()
        except ExchangeClosedError:
            print("closed", "ok")
    try:
        public.get_ticker(BTC)
    except ExchangeClosedError:
        print("factory closed", "ok")
    """
)


async def test_plain_script_uses_the_sync_factory(
    sim: MexcSimulator, account: SimAccount, tmp_path: Path
) -> None:
    assert "asyncio" not in SCRIPT
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "SIM_REST": sim.rest_url,
        "SIM_WS": sim.ws_url,
        "SIM_KEY": account.api_key,
        "SIM_SECRET": account.secret_key,
        "PYTHONWARNINGS": "default",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "ticker BTC/USDT" in text
    assert "tickers 2" in text
    assert "usdt 100000" in text
    assert "open True" in text
    assert "trade BTC/USDT" in text
    assert "candles True" in text
    assert "closed ok" in text
    assert "factory closed ok" in text
    assert "Unclosed" not in err.decode()
    assert "Traceback" not in err.decode()


EXIT_SCRIPT = textwrap.dedent(
    """
    import os
    from exchanges.models import Symbol
    from exchanges.sync import FullExchangeFactory

    overrides = {"rest_url": os.environ["SIM_REST"], "ws_url": os.environ["SIM_WS"]}
    factory = FullExchangeFactory(config={}, env={})
    public = factory.create_public_exchange("mexc_spot", ["BTC/USDT"], environment="sim", overrides=overrides)
    public.start_trades_stream([Symbol("BTC", "USDT")])
    print("price", public.get_ticker(Symbol("BTC", "USDT")).last_price > 0)
    # A dropped factory closes its exchanges and stops its loop (the same finalizer runs at exit).
    dropped = FullExchangeFactory(config={}, env={})
    orphan = dropped.create_public_exchange("mexc_spot", [], environment="sim", overrides=overrides)
    del dropped
    try:
        orphan.ping()
    except Exception as error:
        print("dropped", type(error).__name__)
    # no close() for `factory`: it closes its exchanges and its loop at interpreter exit
    """
)


async def test_sync_factory_closes_at_exit(sim: MexcSimulator, tmp_path: Path) -> None:
    script = tmp_path / "exit_script.py"
    script.write_text(EXIT_SCRIPT)
    env = {**os.environ, "SIM_REST": sim.rest_url, "SIM_WS": sim.ws_url, "PYTHONWARNINGS": "default"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert out.decode().split() == ["price", "True", "dropped", "ExchangeClosedError"]
    assert err.decode() == "", err.decode()


INTERRUPT_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal
    from exchanges.models import Symbol
    from exchanges.sync import FullExchangeFactory

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, interrupt)
    overrides = {"rest_url": os.environ["SIM_REST"], "ws_url": os.environ["SIM_WS"]}
    with FullExchangeFactory(config={}, env={}) as factory:
        public = factory.create_public_exchange("mexc_spot", [], environment="sim", overrides=overrides)
        trades = public.iter_trades()  # no stream started: next() waits until interrupted
        signal.alarm(1)
        try:
            next(trades)
        except KeyboardInterrupt:
            print("interrupted")

        async def abandoned_calls():
            # The interrupted next() must not keep running on the loop (it would take the next trade).
            for _ in range(200):
                calls = [t for t in asyncio.all_tasks() if "_LoopThread.run" in t.get_coro().__qualname__]
                if not calls:
                    return 0
                await asyncio.sleep(0.01)
            return len(calls)

        loop = factory._runner.loop
        print("abandoned", asyncio.run_coroutine_threadsafe(abandoned_calls(), loop).result(30))
    """
)


async def test_an_interrupted_blocking_call_stops_on_the_loop(sim: MexcSimulator, tmp_path: Path) -> None:
    """Ctrl-C during ``next(iterator)`` cancels the call on the loop: no orphan consumes the next item,
    nothing is destroyed pending at exit."""
    script = tmp_path / "interrupt_script.py"
    script.write_text(INTERRUPT_SCRIPT)
    env = {**os.environ, "SIM_REST": sim.rest_url, "SIM_WS": sim.ws_url, "PYTHONWARNINGS": "default"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert out.decode().split() == ["interrupted", "abandoned", "0"]
    assert err.decode() == "", err.decode()
