def test_every_rule_name_is_a_valid_rule_check_rule() -> None:
    # Every rule name must satisfy RuleCheck.rule (the hot path builds checks from them).
    from quorum.domain import RuleCheck
    from quorum.risk import Rule
    from quorum.risk.money import passed

    for rule in Rule:
        built = passed(rule, "1", "2")
        assert RuleCheck.model_validate(built.model_dump()) == built


def test_floor_to_step_is_an_exact_step_multiple_past_the_default_precision() -> None:
    from decimal import Decimal, getcontext

    from quorum.risk.money import floor_to_step

    step = Decimal("0.000009377014187438391974667992267")  # 28 significant digits
    quantity = Decimal("14231638.83252687032591541069")
    floored = floor_to_step(quantity, step)
    assert floored % step == 0
    assert floored <= quantity < floored + step
    assert floor_to_step(Decimal("1e15"), Decimal("1e-12")) == Decimal("1e15")  # 10^27 steps
    assert getcontext().prec == 28  # the wider precision stayed local
