"""Rate limits (slowapi): one budget per caller — a token's subject, else the address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.routing import Route
from tests.unit.api.api_kit import ApiEnv, api_env

from apps.api.auth import Role


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with (
        pytest.MonkeyPatch.context() as mp,
        api_env(tmp_path_factory.mktemp("limits"), mp, api={"rate_limit": "3/minute"}) as e,
    ):
        yield e


def test_the_fourth_request_of_one_token_within_the_window_is_429(env: ApiEnv) -> None:
    headers = env.auth(Role.VIEWER, "alice")

    codes = [env.client.get(path, headers=headers).status_code for path in
             ("/flags", "/positions", "/orders", "/flags")]  # fmt: skip

    assert codes == [200, 200, 200, 429]
    limited = env.client.get("/status", headers=headers)
    assert limited.status_code == 429
    assert limited.json()["error"].startswith("Rate limit exceeded: 3 per 1 minute")
    assert limited.headers["retry-after"]


def test_tokens_of_different_subjects_have_their_own_budgets(env: ApiEnv) -> None:
    alice, bob = env.auth(Role.VIEWER, "alice"), env.auth(Role.VIEWER, "bob")
    for _ in range(3):
        assert env.client.get("/flags", headers=alice).status_code == 200

    assert env.client.get("/flags", headers=alice).status_code == 429
    assert env.client.get("/flags", headers=bob).status_code == 200


def test_two_tokens_of_one_subject_share_a_budget(env: ApiEnv) -> None:
    for _ in range(3):
        assert env.client.get("/flags", headers=env.auth(Role.VIEWER, "carol")).status_code == 200

    assert env.client.get("/flags", headers=env.auth(Role.ADMIN, "carol")).status_code == 429


def test_requests_without_a_valid_token_are_limited_by_address(env: ApiEnv) -> None:
    garbage = {"Authorization": "Bearer garbage"}
    codes = [env.client.get("/status", headers=garbage).status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]
    assert env.client.get("/status").status_code == 429
    assert env.client.get("/status", headers=env.auth(Role.VIEWER)).status_code == 200


def test_the_health_probes_are_not_limited(env: ApiEnv) -> None:
    codes = {env.client.get("/health/live").status_code for _ in range(10)}
    codes |= {env.client.get("/health/ready").status_code for _ in range(10)}

    assert codes == {200}


def test_every_route_is_registered_on_the_app_where_the_limiter_finds_it(env: ApiEnv) -> None:
    # include_router would add one lazy entry without an endpoint (FastAPI 0.165), and
    # slowapi's middleware silently skips requests whose endpoint it cannot find.
    assert all(isinstance(route, Route) for route in env.app.routes)
