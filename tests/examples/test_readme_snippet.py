"""The README's Python snippets run as plain scripts against the simulator and exit with no warning
(unclosed sessions, tracebacks)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from exchanges_mexc.sim import MexcSimulator

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=4, market_rate=40.0) as simulator:
        yield simulator


async def run_snippet(code: str, sim: MexcSimulator, tmp_path: Path) -> tuple[int, str, str]:
    account = sim.create_account({"USDT": "10000", "BTC": "1"})
    script = tmp_path / "snippet.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGES_", "MEXC_"))}
    env.update(
        EXCHANGES_MEXC_SPOT_REST_URL=sim.rest_url,
        EXCHANGES_MEXC_SPOT_WS_URL=sim.ws_url,
        MEXC_API_KEY=account.api_key,
        MEXC_SECRET_KEY=account.secret_key,
        PYTHONWARNINGS="default",
    )
    env.pop("PYTHONASYNCIODEBUG", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_readme_async_snippet_runs_and_exits_clean(sim: MexcSimulator, tmp_path: Path) -> None:
    code = python_blocks()[0]
    assert "async with" in code
    status, out, err = await run_snippet(code, sim, tmp_path)
    assert status == 0, err
    assert err == "", err
    assert "local book LIVE" in out
    assert re.search(r"order \S+ CANCELED", out), out


async def test_readme_sync_snippet_runs_and_exits_clean(sim: MexcSimulator, tmp_path: Path) -> None:
    code = python_blocks()[1]
    assert "asyncio" not in code
    status, out, err = await run_snippet(code, sim, tmp_path)
    assert status == 0, err
    assert err == "", err
    assert float(out.strip()) > 0
