"""Times and ids are 64-bit on the wire: a finite but absurd number is a ProtocolError, not a record
(hypothesis found ``"time":"1e999"`` parsed into a 1000-digit timestamp)."""

from __future__ import annotations

import pytest

from exchanges.errors import ProtocolError
from exchanges.models import Symbol
from exchanges_mexc.parsing.account import parse_order_json
from exchanges_mexc.parsing.values import to_int_opt

ORDER = b'{"orderId":"7","side":"BUY","type":"LIMIT","price":"10","origQty":"1","time":%s}'


@pytest.mark.parametrize("time", [b'"1e999"', b'"1e999999999"', b"9223372036854775808", b'"-1e19"'])
def test_out_of_range_time_is_a_protocol_error(time: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_order_json(ORDER % time, Symbol("BTC", "USDT"), "order")


@pytest.mark.parametrize(
    ("wire", "value"), [("1700000000000", 1700000000000), ("1.7e12", 1700000000000), (2**63 - 1, 2**63 - 1)]
)
def test_in_range_values_still_parse(wire: object, value: int) -> None:
    assert to_int_opt(wire) == value
