"""The core ``withdrawal_allowlist`` key: every layer gives the same typed allowlist, and anything
that is not clearly a list of addresses is a ConfigurationError (a typo must never mean "no list")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.config import ExchangeConfig, WithdrawalAllowlist, load_exchange_config
from exchanges.errors import ConfigurationError

DEFAULT = ExchangeConfig(name="toy", rest_url="https://api.example", ws_url="wss://ws.example")


def load(**layers: object) -> ExchangeConfig:
    env = layers.pop("env", {})
    document = layers.pop("document", {})
    assert isinstance(env, dict)
    assert isinstance(document, dict)
    return load_exchange_config(DEFAULT, env=env, document=document, overrides=layers or None)


def test_absent_means_no_allowlist() -> None:
    assert load().withdrawal_allowlist is None


def test_every_layer_gives_the_same_allowlist() -> None:
    table = {"usdt": ["TGood"], "BTC": "bc1qgood"}
    from_toml = load(document={"toy": {"withdrawal_allowlist": table}}).withdrawal_allowlist
    from_env = load(
        env={"EXCHANGES_TOY_WITHDRAWAL_ALLOWLIST": '{"usdt": ["TGood"], "BTC": "bc1qgood"}'}
    ).withdrawal_allowlist
    from_override = load(withdrawal_allowlist=table).withdrawal_allowlist
    assert from_toml == from_env == from_override
    assert from_toml is not None
    assert from_toml.allows("USDT", "TGood")
    assert from_toml.allows("btc", "bc1qgood")
    assert not from_toml.allows("USDT", "bc1qgood")
    assert not from_toml.allows("ETH", "TGood"), "an asset the table does not name cannot be withdrawn"
    assert from_toml.addresses_for("usdt") == frozenset({"TGood"})


def test_a_list_applies_to_every_asset_and_env_text_may_be_a_comma_list() -> None:
    allowlist = load(env={"EXCHANGES_TOY_WITHDRAWAL_ALLOWLIST": " TGood , 0xabc "}).withdrawal_allowlist
    assert allowlist == WithdrawalAllowlist(any_asset=frozenset({"TGood", "0xabc"}))
    assert allowlist.allows("USDT", "0xabc")
    assert not allowlist.allows("USDT", "0xABC"), "addresses match exactly"


def test_an_empty_list_allows_nothing() -> None:
    allowlist = load(withdrawal_allowlist=[]).withdrawal_allowlist
    assert allowlist is not None
    assert not allowlist.allows("USDT", "TGood")


def test_the_override_layer_wins_and_configs_stay_hashable() -> None:
    config = load(document={"toy": {"withdrawal_allowlist": ["A"]}}, withdrawal_allowlist=["B"])
    assert config.withdrawal_allowlist == WithdrawalAllowlist(any_asset=frozenset({"B"}))
    assert hash(config) == hash(config.with_overrides(max_retries=config.max_retries))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (3, "got int 3"),
        ([1], "an address must be a string"),
        (["  "], "must not be empty"),
        (["a\tb"], "must not contain spaces"),
        ({"": ["a"]}, "an asset must be a name"),
        ({"USDT": {"nested": "a"}}, "addresses must be a string or a list"),
        ("   ", "empty text"),
        ("{oops", "not valid JSON"),
        ('{"USDT": [1]}', "an address must be a string"),
    ],
)
def test_bad_values_raise_configuration_errors_naming_the_key(value: object, problem: str) -> None:
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist") as caught:
        load(withdrawal_allowlist=value)
    assert problem in str(caught.value)
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist"):
        ExchangeConfig(name="toy", rest_url="r", ws_url="w", withdrawal_allowlist=value)


def test_the_untyped_extra_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no longer read"):
        load(extra={"withdrawal_allowlist": ["TGood"]})


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=8,
    )
)
def test_any_value_is_an_allowlist_or_a_configuration_error(value: object) -> None:
    try:
        allowlist = WithdrawalAllowlist.parse(value)
    except ConfigurationError:
        return
    assert allowlist is None or isinstance(allowlist, WithdrawalAllowlist)
