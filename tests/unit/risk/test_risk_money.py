def test_every_rule_name_is_a_valid_rule_check_rule_so_unvalidated_checks_stay_valid() -> None:
    # passed_once builds RuleChecks without validation; prove every rule name would pass it.
    from quorum.domain import RuleCheck
    from quorum.risk import Rule
    from quorum.risk.money import passed_once

    for rule in Rule:
        built = passed_once(rule.value, "1", "2")
        assert RuleCheck.model_validate(built.model_dump()) == built
