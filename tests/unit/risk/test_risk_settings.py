"""Risk settings: the documented defaults, strict keys and validated combinations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from quorum.risk import RiskSettings


def test_defaults_are_the_documented_limits() -> None:
    s = RiskSettings()
    assert (s.sizing.min_risk_fraction, s.sizing.max_risk_fraction) == (
        Decimal("0.0025"),
        Decimal("0.02"),
    )
    assert (s.sizing.kelly_fraction, s.sizing.kelly_max_fraction) == (
        Decimal("0.25"),
        Decimal("0.10"),
    )
    assert (s.stops.min_stop_fraction, s.stops.max_stop_fraction) == (
        Decimal("0.001"),
        Decimal("0.10"),
    )
    assert s.stops.min_reward_risk == Decimal("1.5")
    p = s.portfolio
    assert (p.max_position_risk_fraction, p.max_position_notional_fraction) == (
        Decimal("0.02"),
        Decimal("0.20"),
    )
    assert p.max_total_exposure_fraction == Decimal("0.20")
    assert p.correlation_limit == 0.7
    assert (p.max_leverage, p.margin_buffer) == (Decimal(3), Decimal("1.1"))
    d = s.drawdown
    assert (d.daily_drawdown_fraction, d.monthly_drawdown_fraction) == (
        Decimal("0.08"),
        Decimal("0.20"),
    )
    assert (d.loss_streak_count, d.loss_streak_fraction) == (3, Decimal("0.05"))
    m = s.monitor
    assert (m.margin_alert_usage, m.margin_reduce_usage) == (Decimal("0.8"), Decimal("0.9"))


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        RiskSettings.model_validate({"sizing": {"max_risk": "0.02"}})


def test_settings_reject_a_risk_floor_above_the_cap() -> None:
    with pytest.raises(ValidationError, match="min_risk_fraction: must be <= max_risk_fraction"):
        RiskSettings.model_validate(
            {"sizing": {"min_risk_fraction": "0.03", "max_risk_fraction": "0.02"}}
        )


def test_settings_reject_leverage_above_ten() -> None:
    with pytest.raises(ValidationError, match="max_leverage"):
        RiskSettings.model_validate({"portfolio": {"max_leverage": "11"}})


def test_settings_reject_an_unknown_time_zone() -> None:
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        RiskSettings.model_validate({"account": {"timezone": "Europe/Atlantis"}})


def test_settings_reject_cooldown_tiers_out_of_order() -> None:
    tiers = [
        {"min_loss_fraction": "0.02", "pause": "PT1H"},
        {"min_loss_fraction": "0.01", "pause": "PT2H"},
    ]
    with pytest.raises(ValidationError, match="strictly increasing"):
        RiskSettings.model_validate({"account": {"cooldown_tiers": tiers}})


def test_settings_reject_closing_one_position_for_an_account_wide_rule() -> None:
    with pytest.raises(ValidationError, match="cannot close a single position"):
        RiskSettings.model_validate({"account": {"daily_realized_loss_action": "close_position"}})


def test_settings_are_frozen() -> None:
    s = RiskSettings()
    with pytest.raises(ValidationError, match="frozen"):
        s.sizing.max_risk_fraction = Decimal("0.5")  # type: ignore[misc]
