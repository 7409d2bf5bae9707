"""JSON/text control frames: acks, PONG, Blocked refusals, invalid listen key (API.md §1, §6, §9.3)."""

from __future__ import annotations

import msgspec

from exchanges.metrics import MetricsRegistry
from exchanges_mexc.parsing import ControlMessage, MexcFrameDecoder, control_from_json
from exchanges_mexc.symbols import MexcSymbolMapper


def _one(frame: bytes | str) -> ControlMessage:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    (event,) = decoder.decode(frame)
    assert isinstance(event, ControlMessage)
    assert decoder.json_count == 1
    return event


def test_subscription_ack_bytes_and_text() -> None:
    channel = "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
    for frame in (
        msgspec.json.encode({"id": 0, "code": 0, "msg": channel}),
        f'{{"id":7,"code":0,"msg":"{channel}"}}',
    ):
        msg = _one(frame)
        assert msg.channels == (channel,)
        assert msg.ok
        assert not msg.is_pong
        assert not msg.blocked


def test_multi_channel_ack_is_split() -> None:
    msg = _one(
        '{"id":3,"code":0,"msg":"spot@public.kline.v3.api.pb@BTCUSDT@Min1,spot@public.limit.depth.v3.api.pb@BTCUSDT@5"}'
    )
    assert msg.id == 3
    assert msg.channels == (
        "spot@public.kline.v3.api.pb@BTCUSDT@Min1",
        "spot@public.limit.depth.v3.api.pb@BTCUSDT@5",
    )


def test_pong() -> None:
    msg = _one(b'{"id":0,"code":0,"msg":"PONG"}')
    assert msg.is_pong
    assert msg.ok
    assert msg.channels == ()


def test_blocked_channel_exact_server_text() -> None:
    text = "Not Subscribed successfully! [spot@public.deals.v3.api@BTCUSDT].  Reason： Blocked! "
    msg = _one(msgspec.json.encode({"id": 0, "code": 0, "msg": text}))
    assert msg.blocked == ("spot@public.deals.v3.api@BTCUSDT",)
    assert msg.reason == "Blocked!"
    assert msg.code == 0
    assert not msg.ok
    assert msg.is_error
    assert msg.channels == ()


def test_blocked_with_ascii_colon_and_several_channels() -> None:
    msg = control_from_json(
        {"id": 1, "code": 0, "msg": "Not Subscribed successfully! [a@b,c@d]. Reason: Blocked!"}
    )
    assert msg.blocked == ("a@b", "c@d")
    assert msg.reason == "Blocked!"


def test_invalid_listen_key_text_frame_and_bytes() -> None:
    for frame in ("Invalid listen key", b"Invalid listen key"):
        msg = _one(frame)
        assert msg.invalid_listen_key
        assert not msg.ok


def test_error_code() -> None:
    msg = _one('{"id":0,"code":1,"msg":"Invalid parameter"}')
    assert msg.code == 1
    assert msg.is_error
    assert msg.reason == "Invalid parameter"


def test_legacy_json_push_is_unknown_not_control() -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    assert (
        decoder.decode('{"c":"spot@public.deals.v3.api@BTCUSDT","d":{"deals":[]},"s":"BTCUSDT","t":1}') == []
    )
    assert decoder.unknown_count == 1
    assert decoder.decode(b"{not json") == []
    assert decoder.error_count == 1
