"""MEXC signing: the documented test vectors and a property over arbitrary parameters."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, unquote

from hypothesis import given
from hypothesis import strategies as st

from exchanges_mexc.auth import MexcSigner, _hmac_hex
from exchanges_mexc.constants import API_KEY_HEADER

DOC_SECRET = "45d0b3c26f2644f19bfb98b07741b2f5"


def test_doc_vector_query_only() -> None:
    # The documented request with its own recvWindow: the signer sends it as given, signed as documented.
    signer = MexcSigner("mx0vglkey123456", DOC_SECRET, recv_window_ms=1000, clock=lambda: 1644489390087)
    params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("quantity", "1"),
        ("price", "11"),
        ("recvWindow", "5000"),
    ]
    query, _ = signer.sign("POST", "/api/v3/order", params)
    assert query == (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
        "&signature=fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    )


def test_doc_vector_mixed_query_and_body() -> None:
    # We never split query and body, but the HMAC the signer uses must match MEXC's mixed vector too.
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT"
    body = "quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    assert (
        _hmac_hex(DOC_SECRET.encode(), query + body)
        == "d1a676610ceb39174c8039b3f548357994b2a34139a8addd33baadba65684592"
    )


def test_signer_reproduces_doc_request() -> None:
    signer = MexcSigner("mx0vglkey123456", DOC_SECRET, recv_window_ms=5000, clock=lambda: 1644489390087)
    params = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("quantity", "1"), ("price", "11")]
    query, headers = signer.sign("POST", "/api/v3/order", params)
    assert query == (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
        "&signature=fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    )
    assert headers == {API_KEY_HEADER: "mx0vglkey123456"}


def test_signer_keeps_caller_recv_window_and_replaces_stale_timestamp() -> None:
    signer = MexcSigner("key123456789", "secret", recv_window_ms=5000, clock=lambda: 42)
    query, _ = signer.sign("GET", "/x", [("recvWindow", "10000"), ("timestamp", "1"), ("signature", "zz")])
    assert query.startswith("recvWindow=10000&timestamp=42&signature=")


def test_batch_json_is_encoded_with_uppercase_hex() -> None:
    batch = '[{"type":"LIMIT","price":"1.5","quantity":"2"},{"side":"BUY"}]'
    signer = MexcSigner("key123456789", "secret", recv_window_ms=5000, clock=lambda: 42)
    query, _ = signer.sign("POST", "/api/v3/batchOrders", [("batchOrders", batch)])
    encoded, _, rest = query.partition("&recvWindow=")
    assert encoded.startswith("batchOrders=%5B%7B%22type%22%3A%22LIMIT%22%2C")
    assert unquote(encoded) == f"batchOrders={batch}"
    assert rest.startswith("5000&timestamp=42&signature=")
    assert not re.search(r"%[0-9A-F]?[a-f]", encoded)


def test_secret_never_in_repr() -> None:
    signer = MexcSigner("mx0vABCDEFGHIJ", "topsecretvalue")
    text = repr(signer)
    assert "topsecretvalue" not in text
    assert "mx0v...GHIJ" in text


_keys = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=12)
_values = st.text(min_size=0, max_size=30)


@given(params=st.lists(st.tuples(_keys, _values), max_size=10), now=st.integers(0, 2**45))
def test_signature_verifies_over_exactly_the_sent_query(params: list[tuple[str, str]], now: int) -> None:
    params = [(k, v) for k, v in params if k not in ("timestamp", "signature", "recvWindow")]
    signer = MexcSigner("apikey-1234", "s3cr3t", recv_window_ms=7000, clock=lambda: now)
    query, _ = signer.sign("POST", "/api/v3/order", params)
    prefix, _, signature = query.rpartition("&signature=")
    expected = hmac.new(b"s3cr3t", prefix.encode(), hashlib.sha256).hexdigest()
    assert signature == expected
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    # The query carries exactly our params, then recvWindow, then timestamp, all decodable.
    decoded = [tuple(unquote(part) for part in item.split("=", 1)) for item in prefix.split("&")]
    assert decoded == [*params, ("recvWindow", "7000"), ("timestamp", str(now))]
    # Only unreserved characters and upper-case escapes are on the wire.
    assert re.fullmatch(r"(?:[A-Za-z0-9_.~=&-]|%[0-9A-F]{2})*", prefix)


@given(params=st.lists(st.tuples(_keys, _values), max_size=10))
def test_signed_query_fast_path_equals_quoting_everything(params: list[tuple[str, str]]) -> None:
    # Unreserved-only text skips quote(); the sent query must be what quoting every key and value gives.
    params = [(k, v) for k, v in params if k not in ("timestamp", "signature", "recvWindow")]
    signer = MexcSigner("apikey-1234", "s3cr3t", recv_window_ms=7000, clock=lambda: 99)
    query, _ = signer.sign("POST", "/api/v3/batchOrders", params)
    reference = "&".join(
        [*(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params), "recvWindow=7000", "timestamp=99"]
    )
    assert (
        query
        == f"{reference}&signature={hmac.new(b's3cr3t', reference.encode(), hashlib.sha256).hexdigest()}"
    )
