"""A real third-party plugin: build and install tests/plugins/toy_exchange into a throwaway venv.

Proves discovery goes through entry points of an installed distribution, not through sys.path
tricks: a subprocess in that venv picks ``toy`` by config string and sees ``mexc_spot`` next to it.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

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


def _clean_env() -> dict[str, str]:
    drop = ("EXCHANGES_", "PYTHONPATH", "VIRTUAL_ENV", "PIP_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.mark.slow
def test_installed_toy_plugin_is_discovered(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    created = subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if created.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {created.stderr.strip()[:200]}")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # --system-site-packages exposes the base interpreter's packages; when the tests themselves run in
    # a venv, also expose this venv's site-packages (incl. the editable `exchanges` install and pip).
    site_dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    Path(purelib, "_outer_site.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs)
    )
    build_dir = tmp_path / "src"  # build from a copy: keep build/ and *.egg-info out of the repo
    subprocess.run(["cp", "-r", str(TOY_DIR), str(build_dir)], check=True, timeout=60)
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            str(build_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    run = subprocess.run(
        [str(python), "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_clean_env(),
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
    assert Path(result["toy_location"]).resolve().is_relative_to(venv.resolve())  # installed copy
    listing = subprocess.run(
        [str(python), "-m", "exchanges.cli", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "Toy Exchange" in listing.stdout
    assert "mexc_spot" in listing.stdout
