"""Plugin discovery and the registry: pluggy objects, entry points, failures, duplicates, disabling."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from exchanges.capabilities import ALL_CAPABILITIES
from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import ConfigurationError, ExchangeNotFound, PluginError
from exchanges.factory import FullExchangeFactory
from exchanges.hookspecs import hookimpl
from exchanges.plugins import ExchangesPluginManager
from exchanges.registry import ExchangeRegistry, ExchangeSpec


def make_spec(name: str, **kwargs: Any) -> ExchangeSpec:
    def create_public(config: ExchangeConfig, symbols: Sequence[object]) -> Any:
        raise NotImplementedError

    return ExchangeSpec(
        name=name,
        title=name.title(),
        default_config=ExchangeConfig(name=name, rest_url="http://x", ws_url="ws://x"),
        create_public=create_public,
        create_private=None,
        **{"credential_env_prefix": name.upper().replace("-", "_"), **kwargs},
    )


class FakePlugin:
    """A pluggy-style plugin object registering any number of exchanges."""

    def __init__(self, *names: str) -> None:
        self.names = names

    @hookimpl
    def exchanges_register_exchanges(self, registry: ExchangeRegistry) -> None:
        for name in self.names:
            registry.register(make_spec(name))


class HalfBrokenPlugin:
    @hookimpl
    def exchanges_register_exchanges(self, registry: ExchangeRegistry) -> None:
        registry.register(make_spec("half_one"))
        raise RuntimeError("boom after one registration")


def manager(*plugins: object) -> ExchangesPluginManager:
    return ExchangesPluginManager(load_entry_points=False, plugins=plugins)


def test_pluggy_style_registration() -> None:
    pm = manager(FakePlugin("alpha", "beta"))
    assert pm.registry.names() == ["alpha", "beta"]
    assert pm.registry.get("alpha").title == "Alpha"
    assert FullExchangeFactory(plugin_manager=pm).available_exchanges() == ["alpha", "beta"]


def test_plugin_registered_later_is_seen() -> None:
    pm = manager(FakePlugin("alpha"))
    assert pm.registry.names() == ["alpha"]
    pm.register(FakePlugin("gamma"), name="gamma-plugin")
    assert pm.registry.names() == ["alpha", "gamma"]
    assert pm.registry.owner("gamma") == "gamma-plugin"


def test_unknown_name_lists_installed() -> None:
    pm = manager(FakePlugin("alpha", "beta"))
    with pytest.raises(ExchangeNotFound, match=r"'nope'.*alpha, beta"):
        pm.registry.get("nope")
    with pytest.raises(ExchangeNotFound, match="alpha, beta"):
        FullExchangeFactory(plugin_manager=pm).get_spec("nope")


def test_duplicate_registration_names_both_plugins(caplog: pytest.LogCaptureFixture) -> None:
    registry = ExchangeRegistry()
    registry.register(make_spec("alpha"), plugin="first")
    with pytest.raises(PluginError, match=r"'first'.*'second'"):
        registry.register(make_spec("alpha"), plugin="second")
    pm = ExchangesPluginManager(load_entry_points=False)
    pm.register(FakePlugin("alpha"), name="plugin_one")
    pm.register(FakePlugin("alpha", "other"), name="plugin_two")
    assert pm.registry.names() == ["alpha"]  # the second plugin is all-or-nothing
    assert "plugin_one" in pm.failures["plugin_two"]
    assert "plugin_two" in pm.failures["plugin_two"]
    assert "plugin_two" in caplog.text


def test_failing_hook_is_isolated_and_rolled_back() -> None:
    pm = manager(HalfBrokenPlugin(), FakePlugin("alpha"))
    assert pm.registry.names() == ["alpha"]
    (name,) = pm.failures
    assert "boom after one registration" in pm.failures[name]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"public_capabilities": ("teleport",)}, "teleport"),
        ({"private_capabilities": ("trading",)}, "no create_private"),
    ],
)
def test_invalid_specs_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PluginError, match=message):
        ExchangeRegistry().register(make_spec("alpha", **kwargs))
    with pytest.raises(PluginError, match="invalid exchange name"):
        ExchangeRegistry().register(make_spec("Bad-Name"))


def test_spec_requires_a_credential_prefix() -> None:
    """No default prefix: a plugin that forgets it fails at import, never reads another exchange's keys."""
    spec = make_spec("alpha")
    with pytest.raises(TypeError, match="credential_env_prefix"):
        ExchangeSpec(  # type: ignore[call-arg]
            name="alpha",
            title="A",
            default_config=spec.default_config,
            create_public=spec.create_public,
            create_private=None,
        )


@pytest.mark.parametrize("prefix", ["", "toy", "1TOY", "TOY-X"])
def test_spec_rejects_a_malformed_credential_prefix(prefix: str) -> None:
    with pytest.raises(PluginError, match="credential_env_prefix"):
        ExchangeRegistry().register(make_spec("alpha", credential_env_prefix=prefix))


def test_spec_name_must_match_default_config() -> None:
    spec = make_spec("alpha")
    bad = ExchangeSpec(
        name="beta",
        title="B",
        default_config=spec.default_config,
        create_public=spec.create_public,
        create_private=None,
        credential_env_prefix="BETA",
    )
    with pytest.raises(PluginError, match=r"default_config\.name"):
        ExchangeRegistry().register(bad)


# -- real entry points from a fake distribution on sys.path ----------------------------------------


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A dist-info with three entry points: one good, one failing on import, one failing on register."""
    tag = f"t{abs(hash(tmp_path)) % 10**8}"
    dist = tmp_path / f"fake_plugins_{tag}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-plugins-{tag}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[exchanges]\ngood_{tag} = good_{tag}\nbroken_{tag} = broken_{tag}\nraising_{tag} = raising_{tag}\n"
    )
    (tmp_path / f"good_{tag}.py").write_text(
        textwrap.dedent(
            f"""
            from exchanges.config import ExchangeConfig
            from exchanges.hookspecs import hookimpl
            from exchanges.registry import ExchangeSpec

            @hookimpl
            def exchanges_register_exchanges(registry):
                registry.register(ExchangeSpec(
                    name="good_{tag}", title="Good",
                    default_config=ExchangeConfig(name="good_{tag}", rest_url="http://g", ws_url="ws://g"),
                    create_public=lambda config, symbols: None, create_private=None,
                    credential_env_prefix="GOOD"))
            """
        )
    )
    (tmp_path / f"broken_{tag}.py").write_text("raise ImportError('missing dependency: unobtainium')\n")
    (tmp_path / f"raising_{tag}.py").write_text(
        "from exchanges.hookspecs import hookimpl\n\n"
        "@hookimpl\ndef exchanges_register_exchanges(registry):\n    raise ValueError('cannot register')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tag
    for name in (f"good_{tag}", f"broken_{tag}", f"raising_{tag}"):
        sys.modules.pop(name, None)


def test_broken_plugin_does_not_hide_others(fake_distribution: str, caplog: pytest.LogCaptureFixture) -> None:
    tag = fake_distribution
    caplog.set_level(logging.ERROR, logger="exchanges.plugins")
    pm = ExchangesPluginManager(env={})
    names = pm.registry.names()
    assert f"good_{tag}" in names
    assert "mexc_spot" in names  # the real plugin still loads
    assert "unobtainium" in pm.failures[f"broken_{tag}"]
    assert "cannot register" in pm.failures[f"raising_{tag}"]
    assert f"broken_{tag}" in caplog.text
    assert f"raising_{tag}" in caplog.text
    with pytest.raises(ExchangeNotFound, match=f"failed to load: broken_{tag}"):
        FullExchangeFactory(plugin_manager=pm).get_spec("missing")


def test_disabled_plugins_are_skipped(fake_distribution: str) -> None:
    tag = fake_distribution
    pm = ExchangesPluginManager(env={"EXCHANGES_DISABLE_PLUGINS": f"broken_{tag}, mexc_spot"})
    assert "mexc_spot" not in pm.registry.names()
    assert f"good_{tag}" in pm.registry.names()
    assert f"broken_{tag}" not in pm.failures
    assert set(pm.disabled) == {f"broken_{tag}", "mexc_spot"}


def test_mexc_spec_is_registered() -> None:
    spec = ExchangesPluginManager(env={}).registry.get("mexc_spot")
    assert spec.title == "MEXC Spot"
    assert spec.default_config.rest_url == "https://api.mexc.com"
    assert spec.default_config.ws_url == "wss://wbs-api.mexc.com/ws"
    sim = spec.environments["sim"]
    assert sim["environment"] == "sim"
    # the sim profile must never fall through to the real exchange: its defaults are loopback URLs
    assert str(sim["rest_url"]).startswith("http://127.0.0.1:")
    assert str(sim["ws_url"]).startswith("ws://127.0.0.1:")
    assert {"orderbook_stream", "trade_stream", "ticker_stream", "all_tickers", "kline_history"} <= set(
        spec.public_capabilities
    )
    assert {"trading", "balance", "withdrawal", "user_stream", "safe_withdrawal", "transfer"} <= set(
        spec.private_capabilities
    )
    assert set(spec.public_capabilities) | set(spec.private_capabilities) <= set(ALL_CAPABILITIES)


async def test_mexc_private_without_credentials_names_env_vars() -> None:
    factory = FullExchangeFactory(config={}, env={})
    with pytest.raises(ConfigurationError, match="MEXC_API_KEY") as info:
        await factory.create_private_exchange("mexc_spot")
    assert "MEXC_SECRET_KEY" in str(info.value)
    with pytest.raises(ConfigurationError, match="MEXC_API_KEY"):
        await factory.create_exchange_pair("mexc_spot")


def test_credentials_type_is_exported() -> None:
    import exchanges

    assert exchanges.Credentials is Credentials
    assert exchanges.FullExchangeFactory is FullExchangeFactory
