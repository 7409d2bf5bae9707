"""SIGNED endpoint rules (API.md §2.2) checked with plain aiohttp requests and the docs' test vectors."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

import aiohttp

from exchanges_mexc.sim import MexcSimulator
from exchanges_mexc.sim.auth import sign

DOC_SECRET = "45d0b3c26f2644f19bfb98b07741b2f5"


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_doc_vectors_reproduced_by_sim_signer() -> None:
    total = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    assert sign(DOC_SECRET, total) == "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    mixed = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT" + "quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    )
    assert sign(DOC_SECRET, mixed) == "d1a676610ceb39174c8039b3f548357994b2a34139a8addd33baadba65684592"


async def _post(
    session: aiohttp.ClientSession, url: str, key: str, body: str | None = None
) -> tuple[int, dict[str, object]]:
    headers = {"X-MEXC-APIKEY": key}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    async with session.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_doc_example_params_accepted_query_only_and_mixed(sim: MexcSimulator) -> None:
    acct = sim.create_account({"USDT": "1000"}, api_key="mx0vdocs", secret_key=DOC_SECRET)
    async with aiohttp.ClientSession() as session:
        ts = sim.now_ms()
        query = f"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp={ts}"
        status, data = await _post(
            session, f"{sim.rest_url}/api/v3/order?{query}&signature={_hmac(DOC_SECRET, query)}", acct.api_key
        )
        assert status == 200, data
        assert data["symbol"] == "BTCUSDT"
        assert str(data["orderId"]).startswith("C02__")
        assert data["orderListId"] == -1
        assert "status" not in data
        # Example 3: part in the query, part in the body, signature over query + body with no '&'.
        q = "symbol=BTCUSDT&side=BUY&type=LIMIT"
        body = f"quantity=1&price=11&recvWindow=5000&timestamp={sim.now_ms()}"
        body_signed = f"{body}&signature={_hmac(DOC_SECRET, q + body)}"
        status, data = await _post(session, f"{sim.rest_url}/api/v3/order?{q}", acct.api_key, body_signed)
        assert status == 200, data
        # two resting buys of 1 @ 11: 22 USDT locked, 978 free
        assert sim.engine.balances_of(acct)["USDT"] == (Decimal(978), Decimal(22))


async def test_auth_errors(sim: MexcSimulator) -> None:
    acct = sim.create_account({"USDT": "1000"})
    async with aiohttp.ClientSession() as session:
        url = f"{sim.rest_url}/api/v3/account"

        async def get(query: str, key: str | None = acct.api_key) -> tuple[int, dict[str, object]]:
            headers = {"X-MEXC-APIKEY": key} if key else {}
            async with session.get(f"{url}?{query}", headers=headers) as resp:
                return resp.status, await resp.json(content_type=None)

        good = f"timestamp={sim.now_ms()}"
        assert await get(f"{good}&signature={'0' * 64}") == (
            400,
            {"code": 700002, "msg": "Signature for this request is not valid."},
        )
        old = f"timestamp={sim.now_ms() - 10_000}"
        status, data = await get(f"{old}&signature={_hmac(acct.secret_key, old)}")
        assert (status, data["code"]) == (400, 700003)
        future = f"timestamp={sim.now_ms() + 5_000}"
        assert (await get(f"{future}&signature={_hmac(acct.secret_key, future)}"))[1]["code"] == 700003
        wide = f"recvWindow=70000&timestamp={sim.now_ms()}"
        assert (await get(f"{wide}&signature={_hmac(acct.secret_key, wide)}"))[1]["code"] == 700005
        ok_window = f"recvWindow=60000&timestamp={sim.now_ms() - 30_000}"
        assert (await get(f"{ok_window}&signature={_hmac(acct.secret_key, ok_window)}"))[0] == 200
        assert (await get(good))[1]["code"] == 700004
        assert (await get(f"{good}&signature={_hmac(acct.secret_key, good)}", key="mx0vnope"))[1][
            "code"
        ] == 10072
        assert (await get(f"{good}&signature={_hmac(acct.secret_key, good)}"))[0] == 200


async def test_clock_offset_moves_server_time(sim: MexcSimulator) -> None:
    acct = sim.create_account({"USDT": "1"})
    sim.clock_offset_ms = 3000
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.rest_url}/api/v3/time") as resp:
            server = (await resp.json())["serverTime"]
        import time

        assert server - int(time.time() * 1000) >= 2900
        local = f"timestamp={int(time.time() * 1000) - 2500}"  # 5.5 s behind the server clock
        async with session.get(
            f"{sim.rest_url}/api/v3/account?{local}&signature={_hmac(acct.secret_key, local)}",
            headers={"X-MEXC-APIKEY": acct.api_key},
        ) as resp:
            assert (await resp.json())["code"] == 700003
