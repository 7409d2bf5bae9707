"""The manifest of a recording: ``manifest.json`` beside its segments.

It says what the recording is (format version, exchange, symbols, channels, the schema hash of the
plugin's wire definitions, e.g. MEXC's ``.proto`` files) and when it started and ended. It is
rewritten atomically (temporary file + rename) when the recording starts, at each rotation and at
the end; ``ended_ns`` stays null for a recording whose writer died (the segments are the truth:
readers list the segment files themselves, so a segment opened after the last manifest write is
still read).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

import attrs

from exchanges.recording.blocks import FORMAT_VERSION
from exchanges.recording.errors import RecordingError

__all__ = [
    "MANIFEST_NAME",
    "SEGMENT_GLOB",
    "Manifest",
    "read_manifest",
    "segment_name",
    "segment_paths",
    "write_manifest",
]

MANIFEST_NAME: Final = "manifest.json"
SEGMENT_GLOB: Final = "seg-*.xrec"


def segment_name(number: int) -> str:
    return f"seg-{number:06d}.xrec"


@attrs.frozen(slots=True)
class Manifest:
    exchange: str
    symbols: tuple[str, ...]
    channels: tuple[str, ...]
    schema_hash: str
    started_ns: int
    ended_ns: int | None = None
    format_version: int = FORMAT_VERSION
    segments: tuple[str, ...] = ()
    environment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "exchange": self.exchange,
            "environment": self.environment,
            "symbols": list(self.symbols),
            "channels": list(self.channels),
            "schema_hash": self.schema_hash,
            "started_ns": self.started_ns,
            "ended_ns": self.ended_ns,
            "segments": list(self.segments),
        }

    @classmethod
    def from_json(cls, data: Any, path: str) -> Manifest:
        try:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise RecordingError(f"{path}: format version {version}, this reader knows {FORMAT_VERSION}")
            ended = data.get("ended_ns")
            return cls(
                exchange=str(data["exchange"]),
                symbols=tuple(str(s) for s in data["symbols"]),
                channels=tuple(str(c) for c in data["channels"]),
                schema_hash=str(data["schema_hash"]),
                started_ns=int(data["started_ns"]),
                ended_ns=None if ended is None else int(ended),
                format_version=version,
                segments=tuple(str(s) for s in data.get("segments", ())),
                environment=str(data.get("environment", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordingError(f"{path}: not a valid manifest ({type(exc).__name__}: {exc})") from None


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace ``manifest.json`` atomically (a crash leaves the old or the new one, never half)."""
    target = directory / MANIFEST_NAME
    temporary = directory / (MANIFEST_NAME + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(manifest.to_json(), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{directory}: no {MANIFEST_NAME}: not a recording directory") from None
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{path}: cannot read the manifest ({type(exc).__name__})") from None
    return Manifest.from_json(data, str(path))


def segment_paths(directory: Path) -> list[Path]:
    """Every segment file of the recording, in order (by name: numbers are zero-padded)."""
    return sorted(directory.glob(SEGMENT_GLOB))
