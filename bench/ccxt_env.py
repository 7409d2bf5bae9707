"""The ccxt comparison's plumbing: a throwaway venv with ``ccxt==4.5.90`` and a line-JSON subprocess.

ccxt pins its own protobuf major (its generated MEXC modules need protobuf 5.x; we run 7.x), so it
cannot share our interpreter. :func:`ensure_venv` creates ``.bench-venvs/ccxt`` (``python -m venv`` +
``pip install ccxt==4.5.90 protobuf==5.29.5``) once and reuses it afterwards;
:class:`CcxtRunner` starts ``bench/ccxt_runner.py`` inside it and exchanges one JSON line per command.
Any failure (no network, pip error, crash) becomes a message the benches print instead of ccxt's
numbers: our own figures are still produced.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

CCXT_VERSION = "4.5.90"
PROTOBUF_PIN = "protobuf==5.29.5"
"""ccxt does not depend on protobuf but needs it for MEXC frames: the pin its own error message asks for."""
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-venvs" / "ccxt"
RUNNER = Path(__file__).resolve().parent / "ccxt_runner.py"
INSTALL_TIMEOUT = 900.0


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _installed_version(python: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import ccxt, ccxt.pro, google.protobuf; print(ccxt.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_venv(install: bool = True) -> tuple[Path | None, str]:
    """``(python of the ccxt venv, status message)``; ``None`` and the reason when unavailable."""
    python = _venv_python()
    if python.exists() and _installed_version(python) == CCXT_VERSION:
        return python, f"ccxt {CCXT_VERSION} (reused {VENV.relative_to(ROOT)})"
    if not install:
        return None, "ccxt venv absent and installation disabled (--no-ccxt-install)"
    print(f"[bench] installing ccxt=={CCXT_VERSION} into {VENV.relative_to(ROOT)} ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"ccxt=={CCXT_VERSION}",
            PROTOBUF_PIN,
        ],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"ccxt install failed: {' '.join(step[:4])}...: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return None, f"ccxt install failed (exit {done.returncode}): {' | '.join(tail)}"
    version = _installed_version(python)
    if version != CCXT_VERSION:
        return None, f"ccxt install finished but `import ccxt.pro, google.protobuf` gives {version!r}"
    return python, f"ccxt {CCXT_VERSION} (installed into {VENV.relative_to(ROOT)})"


class CcxtRunner:
    """A running ``ccxt_runner.py``; :meth:`call` sends one command and waits for its JSON answer."""

    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")  # EOF marker

    def call(self, cmd: dict[str, Any], timeout: float = 180.0) -> dict[str, Any]:
        """Send ``cmd``; return the answer (``ok`` False with ``error`` on failure, never raises)."""
        if self.proc.poll() is not None or self.proc.stdin is None:
            return {"ok": False, "error": f"ccxt runner exited with code {self.proc.returncode}"}
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            line = self._lines.get(timeout=timeout)
        except (OSError, queue.Empty) as exc:
            return {"ok": False, "error": f"ccxt runner did not answer: {type(exc).__name__}"}
        if not line:
            return {"ok": False, "error": "ccxt runner exited (see its stderr above)"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self) -> CcxtRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_runner(*, enabled: bool, install: bool) -> CcxtRunner | None:
    """The ccxt runner for a bench's ``--no-ccxt`` / ``--no-ccxt-install`` flags (None when skipped or
    unavailable); prints ``ccxt comparison: <status>``."""
    runner: CcxtRunner | None = None
    status = "skipped (--no-ccxt)"
    if enabled:
        python, status = ensure_venv(install=install)
        runner = CcxtRunner(python) if python is not None else None
    print(f"ccxt comparison: {status}", flush=True)
    return runner
