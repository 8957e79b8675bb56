"""The committed OpenAPI schema (docs/openapi.json) matches the app.

Stale? Regenerate it with ``.venv/bin/python -m apps.api.openapi``.
"""

from __future__ import annotations

import json

from apps.api.openapi import REGENERATE, SCHEMA_PATH, main, render, schema


def test_the_committed_openapi_schema_is_current() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""

    assert committed == render(schema()), (
        f"{SCHEMA_PATH} is stale; regenerate it with `{REGENERATE}`"
    )
    assert main(["--check"]) == 0


def test_the_schema_publishes_every_route_and_the_bearer_scheme() -> None:
    document = json.loads(render(schema()))

    assert set(document["paths"]) == {
        "/health/live",
        "/health/ready",
        "/status",
        "/positions",
        "/orders",
        "/signals",
        "/llm/spend",
        "/metrics",
        "/flags",
        "/flags/{name}",
        "/kill-switch",
    }
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A JWT minted by `quorum api token --role … --ttl … --subject …`.",
    }
    assert "security" not in document["paths"]["/health/live"]["get"]
    assert document["paths"]["/flags/{name}"]["put"]["security"] == [{"bearer": []}]
