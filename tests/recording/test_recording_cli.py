"""The recording commands end to end: record the simulator, kill -9 a recorder, verify, export, report."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import pytest

from exchanges.cli import main
from exchanges.recording import (
    CheckpointRecord,
    RecordingReader,
    RecordingWriter,
    read_manifest,
)

from .sim_session import record_sim, replay

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "rec"
    asyncio.run(record_sim(directory, seconds=3.0, count=3))
    return directory


def test_replay_verify_prints_the_checkpoints_and_exits_zero(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(recording), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "mismatches 0" in out
    checked = int(out.split("checkpoints ")[1].split(",")[0])
    assert checked >= 3


def test_replay_verify_exits_non_zero_when_a_book_differs(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = tmp_path / "tampered"
    writer = RecordingWriter.create(tampered, read_manifest(recording))
    changed = False
    for record in RecordingReader(recording):
        if isinstance(record, CheckpointRecord) and not changed:
            record = attrs.evolve(record, checksum=record.checksum ^ 1)
            changed = True
        writer.append(record)
    writer.close()
    assert changed
    assert main(["replay", str(tampered), "--verify"]) == 1
    assert "mismatches 1" in capsys.readouterr().out


def test_export_writes_parquet_holding_the_replayed_values(recording: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    assert main(["export", str(recording), "--format", "parquet", "--out", str(out), "--top", "3"]) == 0
    replayed, _ = asyncio.run(replay(recording))
    trades = pq.read_table(out / "trades.parquet").to_pylist()
    assert [(t["symbol"], t["price"], t["quantity"], t["side"], t["timestamp"]) for t in trades] == [
        (str(t.symbol), t.price, t.quantity, t.side.value, t.timestamp) for t in replayed.trades
    ]
    tops = pq.read_table(out / "book_tops.parquet")
    assert "ask_sz_3" in tops.column_names
    assert "bid_px_4" not in tops.column_names
    rows = tops.to_pylist()
    assert len(rows) == len(replayed.books) > 0
    first, book = rows[0], replayed.books[0]
    assert (first["symbol"], first["version"]) == (str(book.symbol), book.version)
    assert (first["bid_px_1"], first["ask_px_1"]) == (book.bids[0][0], book.asks[0][0])
    tickers = pq.read_table(out / "tickers.parquet").to_pylist()
    assert [t["last_price"] for t in tickers] == [t.last_price for t in replayed.tickers]


def test_report_draws_a_png_of_every_symbol(recording: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "report.png"
    assert main(["report", str(recording), "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000
    assert height >= 3 * 150  # one row per symbol
    assert len(data) > 20_000


def test_a_bad_recording_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path), "--verify"]) == 1
    assert "not a recording directory" in capsys.readouterr().err


def test_record_command_records_the_simulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec"
    code = main(
        ["record", "mexc_spot", "BTC/USDT", "ETH/USDT", "--sim", "--out", str(out), "--duration", "2"]
    )
    assert code == 0
    assert "recorded" in capsys.readouterr().out
    reader = RecordingReader(out)
    assert reader.finished
    assert set(reader.manifest.symbols) == {"BTC/USDT", "ETH/USDT"}
    assert len(reader.manifest.channels) == 10  # 5 channels x 2 symbols
    assert sum(1 for _ in reader) > 0


def _wait_for_blocks(segment: Path, process: subprocess.Popen[bytes], minimum: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        if segment.exists() and segment.stat().st_size >= minimum:
            return
        time.sleep(0.2)
    raise AssertionError("the recorder wrote nothing in time")


def test_kill_9_loses_at_most_the_last_unflushed_block(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    command = [sys.executable, "-m", "exchanges.cli", "record", "mexc_spot", "BTC/USDT", "ETH/USDT"]
    process = subprocess.Popen(
        [*command, "MX/USDT", "--sim", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        _wait_for_blocks(out / "seg-000001.xrec", process, 600)  # a first block, within a second or so
        time.sleep(5.0)  # several flush intervals later, mid-run: a block being filled
        killed_ns = time.time_ns()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    reader = RecordingReader(out)
    assert not reader.finished
    records = list(reader)  # no error: everything written reads back
    frames = [r for r in records if hasattr(r, "received_ns")]
    assert frames
    lost_seconds = (killed_ns - max(getattr(r, "received_ns", 0) for r in records)) / 1e9
    # at most the last flush interval (1 s) is lost; the margin is for a loaded test machine
    assert lost_seconds < 1.0 + 3.0, lost_seconds
    assert main(["replay", str(out), "--verify"]) == 0


def test_replay_speed_paces_records_by_their_recorded_times(recording: Path) -> None:
    from exchanges.recording.records import record_time_ns

    times = [record_time_ns(record) for record in RecordingReader(recording)]
    span = (max(times) - min(times)) / 1e9
    speed = 4.0
    started = time.monotonic()
    replayed, result = asyncio.run(replay(recording, speed=speed))
    elapsed = time.monotonic() - started
    assert result.ok
    assert replayed.trades
    assert elapsed >= span / speed * 0.95  # never ahead of the recorded clock (a lower bound only)


def test_record_exits_non_zero_when_the_disk_fails(tmp_path: Path) -> None:
    """A recorder whose writes fail (here: a 64 KiB file-size limit, EFBIG) stops and says so in one
    line with exit 1, instead of reporting a recording it did not make."""
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    out = tmp_path / "rec"
    command = [sys.executable, "-m", "exchanges.cli", "record", "mexc_spot", "BTC/USDT", "ETH/USDT"]
    result = subprocess.run(
        [*command, "--sim", "--out", str(out), "--duration", "120"],
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=limit_file_size,
        env={**os.environ, "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "recording into" in result.stderr
    assert "stopped" in result.stderr
    assert "recorded" not in result.stdout


def test_ctrl_c_ends_a_recording_cleanly(tmp_path: Path) -> None:
    """``record`` without ``--duration`` runs until Ctrl-C, which ends it like a duration does: the
    recording is closed (manifest finished), the summary printed, exit 0."""
    out = tmp_path / "rec"
    command = [sys.executable, "-m", "exchanges.cli", "record", "mexc_spot", "BTC/USDT", "ETH/USDT"]
    process = subprocess.Popen(
        [*command, "--sim", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        _wait_for_blocks(out / "seg-000001.xrec", process, 600)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"recorded" in stdout
    reader = RecordingReader(out)
    assert reader.finished
    assert sum(1 for _ in reader) > 0
