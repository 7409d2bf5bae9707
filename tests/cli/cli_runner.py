"""Running ``python -m exchanges.cli`` as a real subprocess for the CLI tests (80x24 terminal size,
no inherited EXCHANGES_*/MEXC_* variables, optional stdin)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

TIMEOUT = 60.0


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out[-1500:]!r}, err={self.err[-800:]!r})"


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGES_", "MEXC_"))}
    env.update(extra or {})
    env["COLUMNS"], env["LINES"] = "80", "24"
    return env


async def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None, stdin: str = "") -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exchanges.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(env),
        cwd=cwd,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())
