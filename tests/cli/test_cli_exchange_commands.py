"""The ``exchanges`` commands in real subprocesses, against a MEXC simulator on loopback.

The simulator runs in the test's event loop; each command is a separate ``python -m exchanges.cli``
process pointed at it with ``--env sim --set rest_url=...`` or ``EXCHANGES_MEXC_SPOT_*`` variables.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from exchanges_mexc.sim import MexcSimulator, SimAccount

from .cli_runner import TIMEOUT, Result, clean_env, run_cli


def assert_clean_failure(result: Result, *needles: str) -> None:
    """Exit 1, one clear line on stderr naming the problem, no traceback."""
    assert result.code == 1, result
    assert "Traceback" not in result.err, result
    lines = [line for line in result.err.splitlines() if line.startswith("exchanges: error:")]
    assert len(lines) == 1, result
    for needle in needles:
        assert needle in lines[0], result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(
        symbols=("BTCUSDT", "ETHUSDT"), seed=5, market_rate=40.0, ticker_interval=0.3
    ) as s:
        yield s


@pytest.fixture
def account(sim: MexcSimulator) -> SimAccount:
    return sim.create_account({"USDT": "50000", "BTC": "1"})


@pytest.fixture
def target(sim: MexcSimulator) -> list[str]:
    return ["--env", "sim", "--set", f"rest_url={sim.rest_url}", "--set", f"ws_url={sim.ws_url}"]


@pytest.fixture
def keys(account: SimAccount) -> dict[str, str]:
    return {"MEXC_API_KEY": account.api_key, "MEXC_SECRET_KEY": account.secret_key}


async def test_market_commands(tmp_path: Path, target: list[str], sim: MexcSimulator) -> None:
    book, ticker = await asyncio.gather(
        run_cli("book", "mexc_spot", "BTC/USDT", "--depth", "3", *target, cwd=tmp_path),
        run_cli("ticker", "mexc_spot", "ETH/USDT", *target, cwd=tmp_path),
    )
    assert book.code == 0, book
    assert "ORDER BOOK BTC/USDT" in book.out
    assert re.search(r"BID SIZE\s+BID\s+ASK\s+ASK SIZE", book.out)
    assert len([line for line in book.out.splitlines() if re.match(r"^\d", line)]) == 3
    assert ticker.code == 0, ticker
    assert "24H ETH/USDT" in ticker.out
    assert "best bid" in ticker.out


async def test_watch_prints_plain_frames_when_piped(tmp_path: Path, sim: MexcSimulator) -> None:
    env = {"EXCHANGES_MEXC_SPOT_REST_URL": sim.rest_url, "EXCHANGES_MEXC_SPOT_WS_URL": sim.ws_url}
    result = await run_cli(
        "watch", "mexc_spot", "BTC/USDT", "--env", "sim", "--duration", "2", cwd=tmp_path, env=env
    )
    assert result.code == 0, result
    assert "--- frame" in result.out
    assert "\x1b[" not in result.out, "no ANSI redraws when stdout is not a terminal"
    assert "ORDER BOOK BTC/USDT  [LIVE]" in result.out
    assert "RECENT TRADES" in result.out
    assert result.err == ""


async def test_account_commands(tmp_path: Path, target: list[str], keys: dict[str, str]) -> None:
    balances = await run_cli("balances", "mexc_spot", *target, cwd=tmp_path, env=keys)
    assert balances.code == 0, balances
    assert re.search(r"USDT\s+50000", balances.out)
    placed = await run_cli(
        "order",
        "place",
        "mexc_spot",
        "BTC/USDT",
        "buy",
        "0.01",
        "--price",
        "50000",
        *target,
        cwd=tmp_path,
        env=keys,
    )
    assert placed.code == 0, placed
    order_id = re.search(r"(C02__\d+)", placed.out)
    assert order_id, placed
    assert "NEW" in placed.out
    listed = await run_cli("orders", "mexc_spot", "BTC/USDT", *target, cwd=tmp_path, env=keys)
    assert order_id[1] in listed.out, listed
    canceled = await run_cli(
        "order", "cancel", "mexc_spot", "BTC/USDT", order_id[1], *target, cwd=tmp_path, env=keys
    )
    assert canceled.code == 0, canceled
    assert "CANCELED" in canceled.out
    market = await run_cli(
        "order", "place", "mexc_spot", "BTC/USDT", "sell", "0.01", *target, cwd=tmp_path, env=keys
    )
    assert market.code == 0, market
    assert "MARKET" in market.out
    history = await run_cli("orders", "mexc_spot", "BTC/USDT", "--history", *target, cwd=tmp_path, env=keys)
    assert history.code == 0, history
    assert "CANCELED" in history.out
    assert "FILLED" in history.out


async def test_error_messages(
    tmp_path: Path, target: list[str], keys: dict[str, str], account: SimAccount
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    (
        wrong_symbol,
        no_keys,
        unreachable,
        bad_secret,
        unknown_order,
        bad_format,
        no_exchange,
    ) = await asyncio.gather(
        run_cli("book", "mexc_spot", "FOO/USDT", *target, cwd=tmp_path),
        run_cli("balances", "mexc_spot", *target, cwd=tmp_path),
        run_cli("ticker", "mexc_spot", "BTC/USDT", "--env", "sim", "--set", f"rest_url={dead}", cwd=tmp_path),
        run_cli(
            "balances",
            "mexc_spot",
            *target,
            cwd=tmp_path,
            env={"MEXC_API_KEY": account.api_key, "MEXC_SECRET_KEY": "0" * 32},
        ),
        run_cli("order", "cancel", "mexc_spot", "BTC/USDT", "12345", *target, cwd=tmp_path, env=keys),
        run_cli("book", "mexc_spot", "BTCUSDT", *target, cwd=tmp_path),
        run_cli("book", "nosuch", "BTC/USDT", cwd=tmp_path),
    )
    assert_clean_failure(wrong_symbol, "unknown symbol FOO/USDT")
    assert_clean_failure(no_keys, "MEXC_API_KEY", "MEXC_SECRET_KEY")
    assert_clean_failure(unreachable, "cannot reach mexc_spot", dead)
    assert_clean_failure(bad_secret, "rejected the credentials")
    assert account.secret_key not in bad_secret.err
    assert_clean_failure(unknown_order, "order not found")
    assert_clean_failure(bad_format, "BASE/QUOTE")
    assert_clean_failure(no_exchange, "unknown exchange 'nosuch'", "mexc_spot")


async def test_sim_flag_runs_against_the_plugin_simulator(tmp_path: Path) -> None:
    book, balances, wrong = await asyncio.gather(
        run_cli("book", "mexc_spot", "BTC/USDT", "--sim", cwd=tmp_path),
        run_cli("balances", "mexc_spot", "--sim", cwd=tmp_path),
        run_cli("watch", "mexc_spot", "DOGE/USDT", "--sim", "--duration", "1", cwd=tmp_path),
    )
    assert book.code == 0, book
    assert "Using MEXC simulator" not in book.out  # only watch announces the simulator
    assert "ORDER BOOK BTC/USDT" in book.out
    assert balances.code == 0, balances
    assert re.search(r"USDT\s+100000", balances.out)
    assert_clean_failure(wrong, "unknown symbol DOGE/USDT")


async def test_sim_command_serves_until_interrupted(tmp_path: Path) -> None:
    accounts = tmp_path / "sim.toml"
    accounts.write_text(
        '[[account]]\napi_key = "mx0vfromfile"\nsecret_key = "filesecret"\n'
        'balances = { USDT = "5000", SOL = "3" }\n',
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exchanges.cli",
        "sim",
        "--port",
        "0",
        "--symbols",
        "BTC/USDT",
        "SOLUSDT",
        "--seed",
        "2",
        "--accounts",
        str(accounts),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        banner = ""
        while "secret_key=" not in banner:
            line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
            assert line, "exchanges sim exited before printing its URLs"
            banner += line.decode()
        rest = re.search(r"REST\s+(http://127\.0\.0\.1:\d+)", banner)
        ws = re.search(r"WS\s+(ws://127\.0\.0\.1:\d+/ws)", banner)
        api_key = re.search(r"api_key=(\S+)", banner)
        secret = re.search(r"secret_key=(\S+)", banner)
        assert rest, banner
        assert ws, banner
        assert api_key, banner
        assert secret, banner
        assert (api_key[1], secret[1]) == ("mx0vfromfile", "filesecret")  # the accounts file's account
        target = ["--env", "sim", "--set", f"rest_url={rest[1]}", "--set", f"ws_url={ws[1]}"]
        keys = {"MEXC_API_KEY": api_key[1], "MEXC_SECRET_KEY": secret[1]}
        book, balances = await asyncio.gather(
            run_cli("book", "mexc_spot", "SOL/USDT", *target, cwd=tmp_path),
            run_cli("balances", "mexc_spot", *target, cwd=tmp_path, env=keys),
        )
        assert book.code == 0, book
        assert "ORDER BOOK SOL/USDT" in book.out
        assert balances.code == 0, balances
        assert re.search(r"USDT\s+5000\b", balances.out), balances.out
        assert re.search(r"SOL\s+3\b", balances.out), balances.out
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), TIMEOUT)
        err = (await process.stderr.read()).decode()
    assert code == 0, err
    assert "Traceback" not in err
    assert "simulator stopped" in err


async def test_demo_finishes_cleanly(tmp_path: Path) -> None:
    result = await run_cli("demo", "--duration", "3", cwd=tmp_path)
    assert result.code == 0, result
    for needle in (
        "create_exchange_pair",
        "[LIVE]",
        "RECENT TRADES",
        "BALANCES BEFORE",
        "OPEN ORDERS",
        "CANCELED",
        "FILLS (from the user stream)",
        "BALANCES AFTER",
        "protobuf_messages_processed",
        "Demo finished",
    ):
        assert needle in result.out, needle
    assert "\x1b[" not in result.out
    assert result.err == "", result.err  # no warnings, no "Task was destroyed", no unclosed sessions


async def test_sim_command_reports_a_busy_port(tmp_path: Path, sim: MexcSimulator) -> None:
    result = await run_cli("sim", "--port", str(sim.port), cwd=tmp_path)
    assert_clean_failure(result, "cannot listen on", str(sim.port))
