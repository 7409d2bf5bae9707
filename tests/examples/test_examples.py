"""The README's example program runs end to end against the simulator (so the README cannot rot)."""

from __future__ import annotations

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
