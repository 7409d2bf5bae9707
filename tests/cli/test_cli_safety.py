"""The CLI's safety and scripting features in real subprocesses against a simulator on loopback:
environment banner, confirmation before real-money orders, --yes, --dry-run, --json, true order
status, every open order without a symbol, quiet exit on a closed pipe, 80x24 live view."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from exchanges_mexc.sim import MexcSimulator, SimAccount

from .cli_runner import TIMEOUT, clean_env, run_cli

ORDER_POST = ("POST", "/api/v3/order")


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
def keys(account: SimAccount) -> dict[str, str]:
    return {"MEXC_API_KEY": account.api_key, "MEXC_SECRET_KEY": account.secret_key}


@pytest.fixture
def sim_target(sim: MexcSimulator) -> list[str]:
    return ["--env", "sim", "--set", f"rest_url={sim.rest_url}", "--set", f"ws_url={sim.ws_url}"]


@pytest.fixture
def production_target(sim: MexcSimulator) -> list[str]:
    """The production profile (real-money rules) pointed at the simulator's URLs."""
    return ["--set", f"rest_url={sim.rest_url}", "--set", f"ws_url={sim.ws_url}"]


def order_posts(sim: MexcSimulator) -> int:
    return sum(1 for entry in sim.request_log if entry == ORDER_POST)


PLACE = ("order", "place", "mexc_spot", "BTC/USDT", "buy", "0.001", "--price", "30000")


async def test_every_output_names_the_environment(
    tmp_path: Path, sim_target: list[str], production_target: list[str], keys: dict[str, str]
) -> None:
    sim_balances, prod_balances, book = await asyncio.gather(
        run_cli("balances", "mexc_spot", *sim_target, cwd=tmp_path, env=keys),
        run_cli("balances", "mexc_spot", *production_target, cwd=tmp_path, env=keys),
        run_cli("book", "mexc_spot", "BTC/USDT", "--depth", "3", *sim_target, cwd=tmp_path),
    )
    assert sim_balances.out.splitlines()[0] == "mexc_spot · SIMULATOR", sim_balances
    assert prod_balances.out.splitlines()[0] == "mexc_spot · PRODUCTION", prod_balances
    assert book.out.splitlines()[0] == "mexc_spot · SIMULATOR", book


async def test_production_order_asks_and_respects_no(
    tmp_path: Path, sim: MexcSimulator, production_target: list[str], keys: dict[str, str]
) -> None:
    declined = await run_cli(*PLACE, *production_target, cwd=tmp_path, env=keys, stdin="n\n")
    assert declined.code == 1, declined
    assert "PRODUCTION (real money)? [y/N]" in declined.err
    assert "BUY 0.001 BTC on BTC/USDT LIMIT @ 30000" in declined.err
    assert "declined" in declined.err
    assert order_posts(sim) == 0
    no_answer = await run_cli(*PLACE, *production_target, cwd=tmp_path, env=keys, stdin="")
    assert no_answer.code == 1, no_answer
    assert order_posts(sim) == 0


async def test_production_order_placed_after_yes_or_with_flag(
    tmp_path: Path, sim: MexcSimulator, production_target: list[str], keys: dict[str, str]
) -> None:
    answered = await run_cli(*PLACE, *production_target, cwd=tmp_path, env=keys, stdin="y\n")
    assert answered.code == 0, answered
    assert "mexc_spot · PRODUCTION" in answered.out
    assert "NEW" in answered.out
    flagged = await run_cli(*PLACE, "--yes", *production_target, cwd=tmp_path, env=keys)
    assert flagged.code == 0, flagged
    assert "[y/N]" not in flagged.err
    assert order_posts(sim) == 2


async def test_simulator_orders_need_no_confirmation(
    tmp_path: Path, sim: MexcSimulator, sim_target: list[str], keys: dict[str, str]
) -> None:
    placed = await run_cli(*PLACE, *sim_target, cwd=tmp_path, env=keys)
    assert placed.code == 0, placed
    assert placed.err == ""
    assert order_posts(sim) == 1


async def test_dry_run_uses_the_order_test(
    tmp_path: Path, sim: MexcSimulator, production_target: list[str], keys: dict[str, str]
) -> None:
    dry = await run_cli(*PLACE, "--dry-run", *production_target, cwd=tmp_path, env=keys)
    assert dry.code == 0, dry
    assert "DRY RUN" in dry.out
    assert "PRODUCTION" in dry.out
    assert ("POST", "/api/v3/order/test") in sim.request_log
    assert order_posts(sim) == 0
    refused = await run_cli(
        "order", "place", "mexc_spot", "BTC/USDT", "buy", "0.001", "--price", "30000.001", "--dry-run",
        *production_target, cwd=tmp_path, env=keys,
    )  # fmt: skip
    assert refused.code == 1, refused
    assert len(refused.err.strip().splitlines()) == 1, refused
    assert refused.err.startswith("exchanges: error:")


async def test_json_everywhere(tmp_path: Path, sim_target: list[str], keys: dict[str, str]) -> None:
    results = await asyncio.gather(
        run_cli("balances", "mexc_spot", "--json", *sim_target, cwd=tmp_path, env=keys),
        run_cli("book", "mexc_spot", "BTC/USDT", "--depth", "2", "--json", *sim_target, cwd=tmp_path),
        run_cli("ticker", "mexc_spot", "BTC/USDT", "--json", *sim_target, cwd=tmp_path),
        run_cli(*PLACE, "--json", *sim_target, cwd=tmp_path, env=keys),
        run_cli("list", "--json", cwd=tmp_path),
    )
    for result in results:
        assert result.code == 0, result
    balances, book, ticker, placed, _ = (json.loads(r.out) for r in results)
    assert balances["environment"] == "SIMULATOR"
    usdt = balances["data"]["USDT"]  # the order placed concurrently may already lock some
    assert Decimal(usdt["free"]) + Decimal(usdt["locked"]) == Decimal("50000")
    assert len(book["data"]["bids"]) == 2
    assert book["data"]["symbol"] == "BTC/USDT"
    assert ticker["data"]["ticker"]["symbol"] == "BTC/USDT"
    assert placed["data"][0]["status"] == "NEW"
    orders = await run_cli("orders", "mexc_spot", "--json", *sim_target, cwd=tmp_path, env=keys)
    assert [o["order_id"] for o in json.loads(orders.out)["data"]] == [placed["data"][0]["order_id"]]


async def test_filled_market_order_shows_filled_and_orders_lists_all_symbols(
    tmp_path: Path, sim_target: list[str], keys: dict[str, str]
) -> None:
    market = await run_cli(
        "order", "place", "mexc_spot", "BTC/USDT", "sell", "0.01", *sim_target, cwd=tmp_path, env=keys
    )
    assert market.code == 0, market
    assert re.search(r"\bFILLED\b", market.out), market
    assert not re.search(r"\bNEW\b", market.out), market
    for symbol, price in (("BTC/USDT", "30000"), ("ETH/USDT", "1000")):
        placed = await run_cli(
            "order",
            "place",
            "mexc_spot",
            symbol,
            "buy",
            "0.01",
            "--price",
            price,
            *sim_target,
            cwd=tmp_path,
            env=keys,
        )
        assert placed.code == 0, placed
    listed = await run_cli("orders", "mexc_spot", *sim_target, cwd=tmp_path, env=keys)
    assert listed.code == 0, listed
    assert "BTC/USDT" in listed.out
    assert "ETH/USDT" in listed.out
    assert all(len(line) <= 80 for line in listed.out.splitlines()), listed


async def test_closed_pipe_exits_quietly(tmp_path: Path, sim: MexcSimulator) -> None:
    env = clean_env({"EXCHANGES_MEXC_SPOT_REST_URL": sim.rest_url, "EXCHANGES_MEXC_SPOT_WS_URL": sim.ws_url})
    command = (
        f"{sys.executable} -m exchanges.cli watch mexc_spot BTC/USDT --env sim --duration 6 | head -n 1; "
        'echo "status=${PIPESTATUS[0]}"'
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert out.decode().splitlines()[-1] == "status=0", (out, err)
    assert err.decode() == "", err.decode()


async def test_watch_fits_80x24_and_shows_states(tmp_path: Path, sim: MexcSimulator) -> None:
    env = {"EXCHANGES_MEXC_SPOT_REST_URL": sim.rest_url, "EXCHANGES_MEXC_SPOT_WS_URL": sim.ws_url}
    result = await run_cli(
        "watch", "mexc_spot", "BTC/USDT", "--env", "sim", "--duration", "3", cwd=tmp_path, env=env
    )
    assert result.code == 0, result
    frames = [f for f in result.out.split("--- frame ")[1:] if f.strip()]
    assert frames, result
    last = frames[-1].splitlines()[1:]
    assert len(last) <= 24, "\n".join(last)
    assert all(len(line) <= 80 for line in last)
    assert "mexc_spot · SIMULATOR" in last[0]
    assert re.search(r"stream CONNECTED  book LIVE  Ctrl-C to quit", result.out), result


async def test_type_help_is_truthful(tmp_path: Path) -> None:
    result = await run_cli("order", "place", "--help", cwd=tmp_path)
    assert result.code == 0, result
    text = " ".join(result.out.split())
    assert "default: limit with --price, market without" in text
    assert "--dry-run" in text
    assert "--yes" in text
