"""The MEXC plugin fills the core's strategy hooks with its own implementations."""

from __future__ import annotations

from exchanges.compat import MessageParsingStrategy
from exchanges.config import ExchangeConfig
from exchanges.metrics import MetricsRegistry
from exchanges.strategies import ConnectionStrategy
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws.strategy import MexcConnectionStrategy


def test_frame_decoder_is_a_message_parsing_strategy() -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    assert isinstance(decoder, MessageParsingStrategy)
    strategy: MessageParsingStrategy[object] = decoder  # and statically (mypy --strict checks this file)
    assert list(strategy.decode(b"\x00\xff garbage")) == []  # bad input: no events, no exception


def test_connection_strategy_is_a_connection_strategy() -> None:
    config = ExchangeConfig(name="mexc_spot", rest_url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1/ws")
    assert isinstance(MexcConnectionStrategy(config), ConnectionStrategy)
