"""`quorum api`: serve binds uvicorn to the settings' host (loopback by default); `token`
mints a JWT with the requested role, subject and expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from apps.cli.commands import api as api_cli

runner = CliRunner()
SECRET = "s" * 40  # pragma: allowlist secret


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    monkeypatch.chdir(tmp_path)
    calls: list[dict[str, Any]] = []

    def fake_run(app: object, **kw: Any) -> None:
        calls.append({"app": app, **kw})

    def fake_logging(level: str, json: bool) -> None:
        # the real one would leave a root handler on CliRunner's (soon closed) stderr
        calls.append({"logging": (level, json)})

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setattr("quorum.telemetry.configure_logging", fake_logging)
    return calls


def test_serving_binds_to_loopback_port_8000_by_default(served: list[dict[str, Any]]) -> None:
    result = runner.invoke(api_cli.app, [])

    assert result.exit_code == 0, result.output
    logging_call, call = served
    assert logging_call == {"logging": ("INFO", False)}  # our handler, before uvicorn starts
    assert (call["host"], call["port"]) == ("127.0.0.1", 8000)
    assert type(call["app"]).__name__ == "FastAPI"
    assert call["log_config"] is None  # uvicorn's loggers propagate to ours


def test_serving_uses_the_configured_host_and_port(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUORUM_API__HOST", "0.0.0.0")
    monkeypatch.setenv("QUORUM_API__PORT", "9100")

    result = runner.invoke(api_cli.app, ["serve"])

    assert result.exit_code == 0, result.output
    assert (served[1]["host"], served[1]["port"]) == ("0.0.0.0", 9100)


def test_token_prints_a_jwt_with_the_role_subject_and_ttl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_API__TOKEN_SECRET_REF", "env:QUORUM_API_TOKEN_SECRET")
    monkeypatch.setenv("QUORUM_API_TOKEN_SECRET", SECRET)

    result = runner.invoke(
        api_cli.app, ["token", "--role", "operator", "--ttl", "1h", "--subject", "alice"]
    )

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"], issuer="quorum")
    assert (claims["sub"], claims["role"]) == ("alice", "operator")
    assert claims["exp"] - claims["iat"] == 3600


def test_token_without_a_reference_creates_the_local_key_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(api_cli.app, ["token", "--role", "viewer", "--subject", "bob"])

    assert result.exit_code == 0, result.output
    key = (tmp_path / "var" / "api-token.key").read_text().strip()
    assert jwt.decode(result.output.strip(), key, algorithms=["HS256"])["role"] == "viewer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "root", "--subject", "x"], "role: expected one of viewer, operator, admin"),
        (["--role", "admin", "--subject", "x", "--ttl", "soon"], "ttl: expected a positive"),
        (["--role", "admin", "--subject", "x", "--ttl", "365d"], "api.max_token_ttl_s"),
    ],
)
def test_token_refuses_bad_input_with_exit_2_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(api_cli.app, ["token", *args])

    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
