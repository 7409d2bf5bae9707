"""A real third-party plugin: build and install tests/plugins/toy_exchange into a throwaway venv.

Proves discovery goes through entry points of an installed distribution, not through sys.path
tricks: a subprocess in that venv picks ``toy`` by config string and sees ``mexc_spot`` next to it.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

TOY_DIR = Path(__file__).parent / "toy_exchange"

SCRIPT = textwrap.dedent(
    """
    import asyncio, json
    from exchanges import FullExchangeFactory, Symbol

    async def main():
        factory = FullExchangeFactory()
        names = factory.available_exchanges()
        exchange = await factory.create_public_exchange("toy", [Symbol("BTC", "USDT")], environment="sim")
        book = await exchange.get_orderbook(Symbol("BTC", "USDT"))
        await exchange.close()
        import toy_exchange
        print(json.dumps({
            "names": names,
            "class": type(exchange).__name__,
            "rest_url": exchange.config.rest_url,
            "best_bid": book.bids[0].price,
            "toy_location": toy_exchange.__file__,
            "failures": factory.plugin_manager.failures,
        }))

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_installed_toy_plugin_is_discovered(tmp_path: Path, fresh_venv: Any) -> None:
    python = fresh_venv.python
    build_dir = tmp_path / "src"  # build from a copy: keep build/ and *.egg-info out of the repo
    subprocess.run(["cp", "-r", str(TOY_DIR), str(build_dir)], check=True, timeout=60)
    fresh_venv.install(build_dir, tmp_path)
    run = subprocess.run(
        [str(python), "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=fresh_venv.env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "toy" in result["names"]
    assert "mexc_spot" in result["names"]
    assert result["class"] == "ToyExchange"
    assert result["rest_url"] == "memory://toy-sim"
    assert result["best_bid"] > 0
    assert result["failures"] == {}
    assert Path(result["toy_location"]).resolve().is_relative_to(fresh_venv.root.resolve())  # installed copy
    listing = subprocess.run(
        [str(python), "-m", "exchanges.cli", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=fresh_venv.env,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "Toy Exchange" in listing.stdout
    assert "mexc_spot" in listing.stdout
