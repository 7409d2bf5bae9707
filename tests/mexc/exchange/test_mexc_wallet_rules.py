"""The withdrawal pre-send rules as pure logic: edges (amount == min, == max, == fee) and an oracle.

``check_withdrawal`` must return a plan exactly when every rule holds, and otherwise refuse with the first
broken rule, in Decimal (never a float, never a rounded remainder, never an untyped decimal error).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import WithdrawalRefused
from exchanges.models import AssetName, NetworkInfo, WithdrawalRequest
from exchanges_mexc.composite.wallet import check_withdrawal

ASSET = AssetName("USDT")


def network(
    fee: str = "1",
    minimum: str = "10",
    maximum: str | None = "1000",
    step: str | None = "0.01",
    memo: bool = False,
) -> NetworkInfo:
    return NetworkInfo(
        asset=ASSET,
        network="TRX",
        name="Tron(TRC20)",
        deposit_enabled=True,
        withdraw_enabled=True,
        withdraw_fee=Decimal(fee),
        withdraw_min=Decimal(minimum),
        withdraw_max=None if maximum is None else Decimal(maximum),
        withdraw_multiple=None if step is None else Decimal(step),
        memo_required=memo,
    )


def request(amount: str | Decimal, memo: str | None = None) -> WithdrawalRequest:
    return WithdrawalRequest(asset=ASSET, amount=Decimal(amount), address="TAddr", network="TRX", memo=memo)


def refused_rule(amount: str, net: NetworkInfo) -> str:
    with pytest.raises(WithdrawalRefused) as caught:
        check_withdrawal(request(amount), net, None)
    return caught.value.rule


def test_amount_equal_to_minimum_and_maximum_pass() -> None:
    net = network()
    assert check_withdrawal(request("10"), net, None).receive_amount == Decimal("9")
    assert check_withdrawal(request("1000"), net, None).receive_amount == Decimal("999")
    assert check_withdrawal(request("10.00"), net, None).params[2] == ("amount", "10")


def test_one_step_outside_the_bounds_is_refused() -> None:
    net = network()
    assert refused_rule("9.99", net) == "below_minimum"
    assert refused_rule("1000.01", net) == "above_maximum"


def test_amount_equal_to_the_fee_is_refused_one_step_above_passes() -> None:
    net = network(fee="5", minimum="1")
    assert refused_rule("5", net) == "not_above_fee"
    assert check_withdrawal(request("5.01"), net, None).receive_amount == Decimal("0.01")


def test_precision_beyond_the_step_is_refused_exactly() -> None:
    net = network(step="0.000001", maximum=None)
    assert check_withdrawal(request("10.000001"), net, None).amount == Decimal("10.000001")
    assert check_withdrawal(request("10.0000010000"), net, None).amount == Decimal("10.000001")
    assert refused_rule("10.0000001", net) == "amount_multiple"
    assert refused_rule("123456789012345678901234567.0000001", net) == "amount_multiple"


def test_an_amount_too_large_for_the_default_decimal_context_is_a_typed_refusal() -> None:
    """1e30 % 0.000001 raises decimal.InvalidOperation in a 28-digit context: it must not escape."""
    net = network(step="0.000001", maximum=None)
    assert check_withdrawal(request("1e30"), net, None).amount == Decimal("1e30")
    assert refused_rule("1e200", net) == "amount_multiple"


def test_zero_or_absent_maximum_and_step_mean_no_rule() -> None:
    assert check_withdrawal(request("123456.789"), network(maximum="0", step="0"), None)
    assert check_withdrawal(request("123456.789"), network(maximum=None, step=None), None)


def test_blank_memo_counts_as_missing() -> None:
    net = network(memo=True)
    with pytest.raises(WithdrawalRefused) as caught:
        check_withdrawal(request("20", memo="  "), net, None)
    assert caught.value.rule == "memo_required"
    assert check_withdrawal(request("20", memo="12345"), net, None).memo == "12345"


CENTS = st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n).scaleb(-4))


@given(
    amount=CENTS,
    fee=CENTS,
    minimum=CENTS,
    maximum=CENTS,
    step=st.sampled_from(["0.01", "0.0001", "0.5", "5"]),
)
def test_plan_exactly_when_every_rule_holds(
    amount: Decimal, fee: Decimal, minimum: Decimal, maximum: Decimal, step: str
) -> None:
    net = network(fee=str(fee), minimum=str(minimum), maximum=str(maximum), step=step)
    expected = [
        rule
        for rule, broken in (
            ("below_minimum", amount < minimum),
            ("above_maximum", amount > maximum),
            ("not_above_fee", amount <= fee),
            ("amount_multiple", (amount / Decimal(step)) != (amount / Decimal(step)).to_integral_value()),
        )
        if broken
    ]
    if not expected:
        plan = check_withdrawal(request(amount), net, None)
        assert plan.receive_amount == amount - fee > 0
        assert Decimal(dict(plan.params)["amount"]) == amount
    else:
        with pytest.raises(WithdrawalRefused) as caught:
            check_withdrawal(request(amount), net, None)
        assert caught.value.rule == expected[0]
