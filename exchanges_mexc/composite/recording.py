"""Recording and replay for the public composite: open the recording to replay, start the recorder."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from exchanges.config import ExchangeConfig
from exchanges.errors import ConfigurationError
from exchanges.models import Symbol
from exchanges.recording import Recorder, ReplaySource
from exchanges_mexc.ws.recording import schema_hash

logger = logging.getLogger("exchanges.mexc.exchange.public")


def open_replay(config: ExchangeConfig) -> ReplaySource | None:
    """The recording to replay when ``environment="replay"`` (ConfigurationError when unusable)."""
    if config.environment != "replay" and not config.replay_path:
        return None
    if not config.replay_path:
        raise ConfigurationError("environment 'replay' needs replay_path (a recording directory)")
    source = ReplaySource(
        config.replay_path, speed=config.replay_speed, skip_corrupt=config.replay_skip_corrupt
    )
    if source.manifest.exchange != config.name:
        raise ConfigurationError(
            f"{config.replay_path} is a recording of {source.manifest.exchange!r}, not {config.name!r}"
        )
    if source.manifest.schema_hash != schema_hash():
        logger.warning("%s was recorded with other protobuf definitions than ours", config.replay_path)
    return source


def start_recorder(config: ExchangeConfig, symbols: Sequence[Symbol]) -> Recorder:
    """Start recording the public streams into ``config.record_path`` (must run on the event loop)."""
    recorder = Recorder.create(
        config.record_path,
        exchange=config.name,
        environment=config.environment,
        symbols=[str(symbol) for symbol in symbols],
        schema_hash=schema_hash(),
    )
    recorder.start()
    logger.info("recording %s public streams into %s", config.name, config.record_path)
    return recorder
