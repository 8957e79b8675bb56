"""Mutations: flag flips and the kill switch — validated, role-checked, and journaled with
the caller before they act."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.api.api_kit import SYMBOL, ApiEnv, api_env

from apps.api.auth import Role
from quorum.execution.paper.faults import Faults


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiEnv]:
    with api_env(tmp_path, monkeypatch) as e:
        yield e


def _put(env: ApiEnv, name: str, body: object, role: Role = Role.OPERATOR) -> object:
    return env.client.put(f"/flags/{name}", json=body, headers=env.auth(role))


def test_flags_list_every_declared_flag_with_value_default_source_and_version(
    env: ApiEnv,
) -> None:
    body = env.get("/flags").json()

    flags = {f["name"]: f for f in body["flags"]}
    assert set(flags) == {
        "analysis.enabled",
        "kill_switch",
        "llm.allow_paid",
        "trading.live_confirm",
        "trading.mode",
    }
    assert flags["trading.mode"] == {
        "name": "trading.mode",
        "value": "paper",
        "default": "paper",
        "source": "default",
    }
    assert body["version"] == env.runtime.flags.version()


def test_an_operator_flips_a_flag_and_the_request_is_journaled_before_the_flip(
    env: ApiEnv,
) -> None:
    response = env.client.put(
        "/flags/analysis.enabled",
        json={"value": False, "reason": "maintenance window"},
        headers=env.auth(Role.OPERATOR, "alice"),
    )

    assert response.status_code == 200
    change = response.json()
    assert (change["name"], change["old"], change["new"]) == ("analysis.enabled", True, False)
    assert change["actor"] == "api:alice"
    assert env.runtime.flags.get("analysis.enabled") is False
    requested, flipped = env.journal("flag_change")
    assert requested.seq < flipped.seq
    assert requested.actor == flipped.actor == "api:alice"
    assert requested.payload == {
        "via": "api",
        "role": "operator",
        "phase": "requested",
        "request": "PUT /flags/analysis.enabled",
        "name": "analysis.enabled",
        "value": False,
        "reason": "maintenance window",
    }
    assert flipped.payload["new"] is False


def test_a_value_outside_the_flag_schema_is_422_naming_the_field_and_nothing_is_written(
    env: ApiEnv,
) -> None:
    wrong_type = _put(env, "analysis.enabled", {"value": "maybe", "reason": "x"})
    not_allowed = _put(env, "trading.mode", {"value": "yolo", "reason": "x"})

    for response in (wrong_type, not_allowed):
        assert response.status_code == 422  # type: ignore[attr-defined]
        [error] = response.json()["detail"]  # type: ignore[attr-defined]
        assert error["loc"] == ["body", "value"]
    assert "expected a boolean" in wrong_type.json()["detail"][0]["msg"]  # type: ignore[attr-defined]
    assert "one of 'paper', 'live'" in not_allowed.json()["detail"][0]["msg"]  # type: ignore[attr-defined]
    assert env.journal("flag_change") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": False}, "reason"),
        ({"value": False, "reason": "   "}, "reason"),
        ({"reason": "why"}, "value"),
        ({"value": False, "reason": "why", "extra": 1}, "extra"),
        ({"value": 1, "reason": "why"}, "value"),
    ],
)
def test_a_malformed_flag_body_is_422_naming_the_field(
    env: ApiEnv, body: dict[str, object], field: str
) -> None:
    response = _put(env, "analysis.enabled", body)

    assert response.status_code == 422  # type: ignore[attr-defined]
    fields = {e["loc"][1] for e in response.json()["detail"]}  # type: ignore[attr-defined]
    assert field in fields
    assert env.journal("flag_change") == []


def test_an_unknown_flag_is_404_listing_the_known_ones(env: ApiEnv) -> None:
    response = _put(env, "trading.turbo", {"value": True, "reason": "x"})

    assert response.status_code == 404  # type: ignore[attr-defined]
    assert "known are analysis.enabled" in response.json()["detail"]  # type: ignore[attr-defined]


def test_the_kill_switch_flag_is_refused_in_favour_of_the_kill_switch_endpoint(
    env: ApiEnv,
) -> None:
    response = _put(env, "kill_switch", {"value": True, "reason": "x"})

    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "POST /kill-switch" in response.json()["detail"]  # type: ignore[attr-defined]
    assert env.runtime.flags.get("kill_switch") is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("trading.mode", "live"), ("trading.live_confirm", True), ("llm.allow_paid", True)],
)
def test_a_flip_that_can_increase_risk_needs_an_admin(
    env: ApiEnv, name: str, value: object
) -> None:
    response = _put(env, name, {"value": value, "reason": "x"}, Role.OPERATOR)

    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "needs role admin" in response.json()["detail"]  # type: ignore[attr-defined]
    assert env.journal("flag_change") == []


def test_an_admin_may_allow_paid_models_and_an_operator_may_turn_it_back_off(
    env: ApiEnv,
) -> None:
    on = _put(env, "llm.allow_paid", {"value": True, "reason": "eval"}, Role.ADMIN)
    off = _put(env, "llm.allow_paid", {"value": False, "reason": "done"}, Role.OPERATOR)

    assert (on.status_code, off.status_code) == (200, 200)  # type: ignore[attr-defined]
    assert env.runtime.flags.get("llm.allow_paid") is False


def test_going_live_without_confirmation_is_refused_409_and_the_refusal_is_journaled(
    env: ApiEnv,
) -> None:
    response = _put(env, "trading.mode", {"value": "live", "reason": "go"}, Role.ADMIN)

    assert response.status_code == 409  # type: ignore[attr-defined]
    assert env.runtime.flags.get("trading.mode") == "paper"
    requested, refused = env.journal("flag_change")
    assert requested.payload["phase"] == "requested"
    assert refused.payload["phase"] == "refused"
    assert refused.payload["requested_seq"] == requested.seq
    assert refused.payload["error"] == response.json()["detail"]  # type: ignore[attr-defined]
    assert refused.actor == "api:alice"


def test_an_operator_engages_the_kill_switch_which_flattens_the_open_position(
    env: ApiEnv,
) -> None:
    env.filled_order(1, quantity=Decimal("0.5"))

    response = env.client.post(
        "/kill-switch",
        json={"state": "on", "reason": "venue incident"},
        headers=env.auth(Role.OPERATOR, "bob"),
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["engaged"], body["by"], body["reason"]) == (True, "api:bob", "venue incident")
    assert [f["symbol"] for f in body["result"]["flattened"]] == [SYMBOL]
    assert env.pipeline.deps.execution.positions()[0].quantity == 0
    view = env.get("/kill-switch").json()
    assert (view["engaged"], view["by"]) == (True, "api:bob")
    assert view["state"] == "halted"  # flat after the flatten: reducing, then halted
    (flag,) = [f for f in env.get("/flags").json()["flags"] if f["name"] == "kill_switch"]
    assert flag["value"] is True
    assert flag["source"].startswith("trading_state (halted)")
    entries = env.journal("kill_switch")
    assert entries[0].seq == body["journal_seq"]
    assert entries[0].payload["phase"] == "requested"
    assert entries[0].actor == "api:bob"
    exit_id = body["result"]["flattened"][0]["client_order_id"]
    exit_entries = [e for e in env.journal() if e.payload.get("client_order_id") == exit_id]
    assert exit_entries
    assert all(e.seq > body["journal_seq"] for e in exit_entries)


def test_lifting_the_kill_switch_needs_an_admin(env: ApiEnv) -> None:
    on = env.client.post(
        "/kill-switch", json={"state": "on", "reason": "drill"}, headers=env.auth(Role.OPERATOR)
    )
    by_operator = env.client.post(
        "/kill-switch",
        json={"state": "off", "reason": "drill over"},
        headers=env.auth(Role.OPERATOR),
    )
    by_admin = env.client.post(
        "/kill-switch",
        json={"state": "off", "reason": "drill over"},
        headers=env.auth(Role.ADMIN, "root"),
    )

    assert (on.status_code, by_operator.status_code, by_admin.status_code) == (200, 403, 200)
    assert by_admin.json()["engaged"] is False
    assert env.get("/kill-switch").json()["engaged"] is False
    assert env.runtime.flags.get("kill_switch") is False
    requests = [e for e in env.journal("kill_switch") if e.payload.get("phase") == "requested"]
    assert [(e.actor, e.payload["engaged"]) for e in requests] == [
        ("api:alice", True),
        ("api:root", False),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "maybe", "reason": "x"}, "state"),
        ({"state": "on"}, "reason"),
        ({"state": "on", "reason": ""}, "reason"),
    ],
)
def test_a_malformed_kill_switch_body_is_422_naming_the_field(
    env: ApiEnv, body: dict[str, object], field: str
) -> None:
    response = env.client.post("/kill-switch", json=body, headers=env.auth(Role.ADMIN))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert env.journal("kill_switch") == []


def test_a_kill_switch_whose_flatten_fails_answers_502_and_stays_reducing(
    env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.filled_order(1, quantity=Decimal("0.5"))
    monkeypatch.setattr(Faults, "down", property(lambda self: True))

    response = env.client.post(
        "/kill-switch",
        json={"state": "on", "reason": "venue incident"},
        headers=env.auth(Role.OPERATOR, "bob"),
    )

    assert response.status_code == 502, response.text
    body = response.json()
    assert body["complete"] is False
    assert body["result"]["state"] == "reducing"
    (item,) = body["result"]["flattened"]
    assert item["filled"] is False
    assert item["error"]
    assert body["result"]["failures"]
    assert env.get("/kill-switch").json()["state"] == "reducing"
