"""The committed generated code matches proto/mexc/*.proto and imports with the installed runtime."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from google.protobuf import __version__ as runtime_version

ROOT = Path(__file__).resolve().parents[3]


def test_generated_code_is_fresh() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen_proto.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_gencode_major_matches_runtime() -> None:
    text = (ROOT / "exchanges_mexc" / "_proto" / "PushDataV3ApiWrapper_pb2.py").read_text()
    match = re.search(r"# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", text)
    assert match is not None
    assert int(match.group(1)) == int(runtime_version.split(".")[0])
    assert "from . import PublicAggreDealsV3Api_pb2" in text  # package-relative cross-imports


def test_every_body_field_number() -> None:
    from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
    from exchanges_mexc.parsing import BODY_FIELDS

    fields = PushDataV3ApiWrapper.DESCRIPTOR.oneofs_by_name["body"].fields
    assert {f.number: f.name for f in fields} == BODY_FIELDS
    numbers = {f.name: f.number for f in PushDataV3ApiWrapper.DESCRIPTOR.fields}
    assert (
        numbers["channel"],
        numbers["symbol"],
        numbers["symbolId"],
        numbers["createTime"],
        numbers["sendTime"],
    ) == (1, 3, 4, 5, 6)
