def test_every_rule_name_is_a_valid_rule_check_rule() -> None:
    # Every rule name must satisfy RuleCheck.rule (the hot path builds checks from them).
    from quorum.domain import RuleCheck
    from quorum.risk import Rule
    from quorum.risk.money import passed

    for rule in Rule:
        built = passed(rule, "1", "2")
        assert RuleCheck.model_validate(built.model_dump()) == built
