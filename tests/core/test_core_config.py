"""Config layering (defaults < TOML < env < overrides), environments, type conversion, credentials."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import attrs
import pytest

from exchanges.config import Credentials, ExchangeConfig, load_credentials, load_exchange_config
from exchanges.errors import ConfigurationError

DEFAULT = ExchangeConfig(name="mexc_spot", rest_url="https://api.example", ws_url="wss://ws.example")
SIM_PROFILE = {"sim": {"environment": "sim", "rest_url": "http://builtin-sim"}}
SECRET = "s3cr3t-VALUE-never-shown-0123456789"
API_KEY = "mx0vglABCDEFGHIJab12"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exchanges.toml"
    path.write_text(text)
    return path


def test_defaults_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./exchanges.toml
    config = load_exchange_config(DEFAULT, env={})
    assert config == DEFAULT


def test_precedence_defaults_toml_env_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[mexc_spot]
request_timeout = 3
order_timeout = 4
max_retries = 5
connect_timeout = 7
""",
    )
    env = {"EXCHANGES_MEXC_SPOT_ORDER_TIMEOUT": "2.5", "EXCHANGES_MEXC_SPOT_MAX_RETRIES": "1"}
    config = load_exchange_config(DEFAULT, path=path, env=env, overrides={"max_retries": 0})
    assert config.connect_timeout == 7.0  # toml over default
    assert config.request_timeout == 3.0  # toml, int converted to float
    assert isinstance(config.request_timeout, float)
    assert config.order_timeout == 2.5  # env over toml
    assert config.max_retries == 0  # override over env
    assert config.ws_url == DEFAULT.ws_url  # untouched default


def test_sim_environment_layers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[mexc_spot]
request_timeout = 3
rest_url = "https://file-url"
[mexc_spot.environments.sim]
ws_url = "ws://127.0.0.1:9/ws"
request_timeout = 1
""",
    )
    prod = load_exchange_config(DEFAULT, path=path, env={}, environments=SIM_PROFILE)
    assert prod.environment == "production"
    assert prod.rest_url == "https://file-url"
    assert prod.ws_url == DEFAULT.ws_url
    sim = load_exchange_config(DEFAULT, path=path, env={}, environments=SIM_PROFILE, environment="sim")
    assert sim.environment == "sim"
    assert sim.rest_url == "https://file-url"  # user's file beats the plugin's built-in profile
    assert sim.ws_url == "ws://127.0.0.1:9/ws"
    assert sim.request_timeout == 1.0
    via_env = load_exchange_config(
        DEFAULT, path=path, env={"EXCHANGES_MEXC_SPOT_ENVIRONMENT": "sim"}, environments=SIM_PROFILE
    )
    assert via_env == sim


def test_builtin_profile_applies_without_file() -> None:
    config = load_exchange_config(DEFAULT, document={}, env={}, environments=SIM_PROFILE, environment="sim")
    assert config.rest_url == "http://builtin-sim"


def test_unknown_environment_lists_known() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown environment 'moon'.*production.*sim"):
        load_exchange_config(DEFAULT, document={}, env={}, environments=SIM_PROFILE, environment="moon")


def test_config_env_var_and_cwd_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.toml"
    other.write_text("[mexc_spot]\nmax_retries = 9\n")
    assert load_exchange_config(DEFAULT, env={"EXCHANGES_CONFIG": str(other)}).max_retries == 9
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[mexc_spot]\nmax_retries = 4\n")
    assert load_exchange_config(DEFAULT, env={}).max_retries == 4


def test_unknown_toml_key_names_key_and_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "[mexc_spot]\nrequest_timout = 3\n")
    with pytest.raises(ConfigurationError, match="request_timout") as info:
        load_exchange_config(DEFAULT, path=path, env={})
    assert "request_timeout" in str(info.value)  # the valid keys are listed


def test_unknown_env_var_and_override() -> None:
    with pytest.raises(ConfigurationError, match="EXCHANGES_MEXC_SPOT_BOGUS"):
        load_exchange_config(DEFAULT, document={}, env={"EXCHANGES_MEXC_SPOT_BOGUS": "1"})
    with pytest.raises(ConfigurationError, match="'bogus'"):
        load_exchange_config(DEFAULT, document={}, env={}, overrides={"bogus": 1})
    with pytest.raises(ConfigurationError, match="'bogus'"):
        DEFAULT.with_overrides(bogus=1)


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("enable_symbol_caching", "false", False),
        ("enable_symbol_caching", "YES", True),
        ("max_retries", "3", 3),
        ("retry_delay", "0.5", 0.5),
        ("ws_overflow_policy", "block", "block"),
    ],
)
def test_env_values_are_converted(field: str, text: str, expected: object) -> None:
    env = {f"EXCHANGES_MEXC_SPOT_{field.upper()}": text}
    assert getattr(load_exchange_config(DEFAULT, document={}, env=env), field) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_retries", "two"),
        ("max_retries", 1.5),
        ("enable_symbol_caching", "maybe"),
        ("ws_overflow_policy", "x"),
    ],
)
def test_bad_values_raise(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        DEFAULT.with_overrides(**{field: value})


def test_missing_config_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_exchange_config(DEFAULT, path=tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_exchange_config(DEFAULT, path=write(tmp_path, "[mexc_spot\n"), env={})


def test_extra_tables_merge() -> None:
    doc = {"mexc_spot": {"extra": {"a": 1}, "environments": {"sim": {"extra": {"b": 2}}}}}
    config = load_exchange_config(
        DEFAULT, document=doc, env={}, environment="sim", overrides={"extra": {"c": 3}}
    )
    assert config.extra == {"a": 1, "b": 2, "c": 3}


def test_with_overrides_and_hashable() -> None:
    changed = DEFAULT.with_overrides(request_timeout="2", environment="sim")
    assert changed.request_timeout == 2.0
    assert changed.environment == "sim"
    assert DEFAULT.request_timeout == 10.0
    assert hash(changed) != hash(DEFAULT)


# -- credentials ---------------------------------------------------------------------------------


def test_credentials_from_env() -> None:
    creds = Credentials.from_env("MEXC", env={"MEXC_API_KEY": API_KEY, "MEXC_SECRET_KEY": SECRET})
    assert creds.api_key == API_KEY
    assert creds.secret_key == SECRET


def test_missing_credentials_names_env_vars() -> None:
    with pytest.raises(ConfigurationError) as info:
        Credentials.from_env("MEXC", env={})
    assert "MEXC_API_KEY" in str(info.value)
    assert "MEXC_SECRET_KEY" in str(info.value)
    with pytest.raises(ConfigurationError, match="MEXC_SECRET_KEY is not set"):
        Credentials.from_env("MEXC", env={"MEXC_API_KEY": API_KEY})


def test_credentials_file(tmp_path: Path) -> None:
    file = tmp_path / "creds.toml"
    file.write_text(f'api_key = "{API_KEY}"\nsecret_key = "{SECRET}"\n')
    creds = Credentials.from_env("MEXC", env={"MEXC_CREDENTIALS_FILE": str(file)})
    assert creds == Credentials(API_KEY, SECRET)
    file.write_text(f'api_key = "{API_KEY}"\n')
    with pytest.raises(ConfigurationError, match="api_key and secret_key"):
        Credentials.from_env("MEXC", env={"MEXC_CREDENTIALS_FILE": str(file)})


def test_secret_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    creds = load_credentials("MEXC", {"MEXC_API_KEY": API_KEY, "MEXC_SECRET_KEY": SECRET})
    texts = [repr(creds), str(creds), f"{creds}", f"{creds!r}", repr([creds]), repr({"c": creds})]
    assert repr(creds) == "Credentials(api_key='mx0v...ab12', secret_key='***')"
    # a broken credentials file that contains the secret: the error must not quote it
    bad = tmp_path / "bad.toml"
    bad.write_text(f'secret_key = "{SECRET}" oops\n')
    with pytest.raises(ConfigurationError) as info:
        Credentials.from_env("MEXC", env={"MEXC_CREDENTIALS_FILE": str(bad)})
    texts += [str(info.value), repr(info.value), caplog.text]
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    for text in texts:
        assert SECRET not in text
    assert API_KEY not in repr(creds)  # the key itself is masked too


def test_short_api_key_fully_masked() -> None:
    assert repr(Credentials("abc", "def")) == "Credentials(api_key='***', secret_key='***')"


# -- a plugin's typed settings ------------------------------------------------------------------------


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class ToySettings:
    """What a plugin declares: its own knobs, typed, with defaults and validators."""

    pool_weight: int = attrs.field(default=100, validator=_positive)
    interval: str = "1s"
    turbo: bool = False


TOY = ExchangeConfig(name="toy", rest_url="https://toy", ws_url="wss://toy", settings=ToySettings())


def test_plugin_settings_are_layered_like_core_keys() -> None:
    """defaults < TOML < TOML environment < env vars < overrides, for plugin keys too."""
    doc = {"toy": {"pool_weight": 200, "interval": "5s", "environments": {"sim": {"interval": "9s"}}}}
    assert load_exchange_config(TOY, document={}, env={}).settings_of(ToySettings) == ToySettings()
    from_toml = load_exchange_config(TOY, document=doc, env={})
    assert from_toml.settings_of(ToySettings) == ToySettings(pool_weight=200, interval="5s")
    env = {"EXCHANGES_TOY_POOL_WEIGHT": "300", "EXCHANGES_TOY_TURBO": "yes"}
    layered = load_exchange_config(
        TOY, document=doc, env=env, environment="sim", overrides={"pool_weight": 400}
    )
    assert layered.settings_of(ToySettings) == ToySettings(pool_weight=400, interval="9s", turbo=True)
    assert TOY.with_overrides(turbo="on").settings_of(ToySettings).turbo is True


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ({"overrides": {"pool_weight": 0}}, "pool_weight"),
        ({"env": {"EXCHANGES_TOY_POOL_WEIGHT": "many"}}, "pool_weight"),
        ({"document": {"toy": {"turbo": "maybe"}}}, "turbo"),
        ({"overrides": {"interval": 5}}, "interval"),
    ],
)
def test_bad_plugin_settings_raise_naming_the_key(source: dict[str, Any], key: str) -> None:
    kwargs: dict[str, Any] = {"document": {}, "env": {}, **source}
    with pytest.raises(ConfigurationError, match=key):
        load_exchange_config(TOY, **kwargs)


def test_unknown_keys_list_the_plugin_keys_too() -> None:
    with pytest.raises(ConfigurationError, match="pool_weight") as info:
        TOY.with_overrides(pool_wieght=1)
    assert "pool_wieght" in str(info.value)
    with pytest.raises(ConfigurationError, match="EXCHANGES_TOY_POOL_WEIGHT"):
        load_exchange_config(TOY, document={}, env={"EXCHANGES_TOY_BOGUS": "1"})
    with pytest.raises(ConfigurationError, match="'pool_weight'"):
        DEFAULT.with_overrides(pool_weight=1)  # a config without these settings does not know the key


def test_settings_of_checks_the_type_and_defaults_when_absent() -> None:
    assert DEFAULT.settings_of(ToySettings) == ToySettings()

    @attrs.frozen
    class Other:
        x: int = 1

    with pytest.raises(ConfigurationError, match="expected Other"):
        TOY.settings_of(Other)
    with pytest.raises(ConfigurationError, match="attrs record"):
        ExchangeConfig(name="toy", rest_url="r", ws_url="w", settings={"pool_weight": 1})
