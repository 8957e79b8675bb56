"""With real Redis: the rate-limit budget is shared by every API process, and the
readiness probe PINGs the Celery broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.api.api_kit import api_env

from apps.api.auth import Role

pytestmark = pytest.mark.integration


def test_two_api_processes_share_one_callers_budget_through_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_redis: str
) -> None:
    limits = {"rate_limit": "4/minute", "rate_limit_storage_url": clean_redis}
    with (
        api_env(tmp_path / "a", monkeypatch, api=limits) as first,
        api_env(tmp_path / "b", monkeypatch, api=limits) as second,
    ):
        codes = [
            client.get("/flags", headers=env.auth(Role.VIEWER, "alice")).status_code
            for env, client in ((first, first.client), (second, second.client)) * 3
        ]
        other = second.client.get("/flags", headers=second.auth(Role.VIEWER, "bob"))

    assert codes == [200, 200, 200, 200, 429, 429]
    assert other.status_code == 200


def test_ready_pings_the_configured_celery_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_redis: str
) -> None:
    with api_env(tmp_path, monkeypatch, broker_url=clean_redis) as env:
        response = env.client.get("/health/ready")

    probes = {p["name"]: p for p in response.json()["probes"]}
    assert response.status_code == 200
    assert (probes["broker"]["status"], probes["broker"]["detail"]) == ("ok", "redis PONG")
