"""The README's example program runs end to end against the simulator (so the README cannot rot)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_trading.py"


async def test_paper_trading_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("paper_trading_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main()
    out = capsys.readouterr().out
    assert "local book LIVE" in out
    assert "cancelled: CANCELED" in out
    assert "filled 0.01 BTC" in out
    assert "BTC balance: 1.00999" in out  # 1 BTC + 0.01 bought - taker fee in BTC


BLOCKING = EXAMPLE.parent / "blocking_script.py"


async def test_blocking_script_example_runs() -> None:
    """The blocking example (also checked by mypy --strict for its types) runs against the simulator."""
    from exchanges.config import Credentials
    from exchanges_mexc.sim import MexcSimulator

    spec = importlib.util.spec_from_file_location("blocking_script_example", BLOCKING)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    async with MexcSimulator(symbols=("BTCUSDT",), seed=7, market_rate=50) as sim:
        account = sim.create_account(balances={"USDT": "10000"})
        credentials = Credentials(account.api_key, account.secret_key)
        # The blocking API runs its own loop on a thread; this loop keeps serving the simulator.
        lines = await asyncio.to_thread(module.main, sim.rest_url, sim.ws_url, credentials)
    assert lines == [
        "last price True",
        "resting order open True",
        "canceled CANCELED",
        "first trade BTC/USDT",
        "candles True",
    ]
