"""Bearer auth over HTTP: 401 without a valid token, 403 below the route's role, and
every mutating route behind auth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from tests.unit.api.api_kit import ApiEnv, api_env

from apps.api.auth import Role, build_token_authority
from apps.api.security import authenticated
from quorum.clock import ReplayClock
from quorum.config import EnvSecrets
from quorum.config.settings.api import ApiSettings

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
OPEN = {"/health/live", "/health/ready"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with pytest.MonkeyPatch.context() as mp, api_env(tmp_path_factory.mktemp("auth"), mp) as e:
        yield e


def _routes(env: ApiEnv) -> list[APIRoute]:
    routes = [
        r for r in iter_route_contexts(env.app.routes) if isinstance(r.original_route, APIRoute)
    ]
    return [r.original_route for r in routes]  # type: ignore[misc]


def _dependencies(route: APIRoute) -> set[object]:
    seen: set[object] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        seen.add(dep.call)
        stack.extend(dep.dependencies)
    return seen


def _sample_path(route: APIRoute) -> str:
    return route.path.replace("{name}", "analysis.enabled")


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(env: ApiEnv) -> None:
    response = env.client.get("/status")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "missing bearer token"}


def test_a_token_with_another_scheme_or_garbage_is_401(env: ApiEnv) -> None:
    basic = env.client.get("/flags", headers={"Authorization": "Basic YWxpY2U6eA=="})
    garbage = env.client.get("/flags", headers={"Authorization": "Bearer not.a.jwt"})

    assert (basic.status_code, garbage.status_code) == (401, 401)
    assert garbage.json()["detail"].startswith("invalid token")


def test_an_expired_token_is_401(env: ApiEnv) -> None:
    past = ReplayClock(env.runtime.clock.now() - timedelta(hours=2))
    old = build_token_authority(env.runtime.settings.api, env.runtime.secrets, past)
    token = old.mint("alice", Role.ADMIN, timedelta(hours=1))

    response = env.client.get("/status", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == {"detail": "token expired"}


def test_a_token_signed_with_another_key_is_401(env: ApiEnv, tmp_path: Path) -> None:
    other = build_token_authority(
        ApiSettings(local_key_path=str(tmp_path / "other.key")), EnvSecrets({}), env.runtime.clock
    )
    token = other.mint("mallory", Role.ADMIN, timedelta(hours=1))

    response = env.client.get("/status", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "Signature verification failed" in response.json()["detail"]


def test_a_viewer_may_read_but_not_flip_a_flag_403(env: ApiEnv) -> None:
    read = env.get("/flags")
    flip = env.client.put(
        "/flags/analysis.enabled",
        json={"value": False, "reason": "test"},
        headers=env.auth(Role.VIEWER),
    )

    assert read.status_code == 200
    assert flip.status_code == 403
    assert flip.json()["detail"] == (
        "this endpoint needs role operator; token of 'alice' has viewer"
    )


def test_every_mutating_route_requires_a_token_and_refuses_a_viewer(env: ApiEnv) -> None:
    mutating = [(r, m) for r in _routes(env) for m in sorted(r.methods & MUTATING)]
    assert {(r.path, m) for r, m in mutating} == {
        ("/flags/{name}", "PUT"),
        ("/kill-switch", "POST"),
    }, "a new mutating route: check its role and add it here"
    for route, method in mutating:
        assert authenticated in _dependencies(route), route.path
        path = _sample_path(route)
        anonymous = env.client.request(method, path, json={})
        viewer = env.client.request(method, path, json={}, headers=env.auth(Role.VIEWER))
        assert anonymous.status_code == 401, (method, path)
        assert viewer.status_code == 403, (method, path)
    assert env.journal("flag_change") == []
    assert env.journal("kill_switch") == []


def test_every_route_but_the_health_probes_requires_a_token(env: ApiEnv) -> None:
    for route in _routes(env):
        if route.path in OPEN or route.path.startswith(("/docs", "/redoc", "/openapi")):
            assert authenticated not in _dependencies(route), route.path
            continue
        assert authenticated in _dependencies(route), route.path
        for method in route.methods:
            response = env.client.request(method, _sample_path(route), json={})
            assert response.status_code == 401, (method, route.path)


def test_the_health_probes_answer_without_a_token(env: ApiEnv) -> None:
    assert env.client.get("/health/live").status_code == 200
    assert env.client.get("/health/ready").status_code == 200
