"""A loopback HTTP server speaking the Vault API paths hvac calls (a test double).

Routes, as Vault serves them:
  POST /v1/auth/<approle mount>/login   {"role_id","secret_id"} → {"auth": {client_token, …}}
  GET  /v1/auth/token/lookup-self       → {"data": {"ttl", "renewable", …}}
  POST /v1/auth/token/renew-self        → {"auth": {"lease_duration", "renewable", …}}
  GET  /v1/<kv mount>/data/<path>       → {"data": {"data": {…}, "metadata": {…}}}
Errors answer like Vault: a status code and {"errors": [...]}. Token expiry follows the
test's ReplayClock, so a test decides when a token runs low.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from quorum.clock import ReplayClock


@dataclass
class Token:
    expires_at: datetime | None
    renewable: bool
    ttl: int


class FakeVault:
    """State of the fake: secrets, issued tokens, AppRole credentials, request log."""

    def __init__(self, clock: ReplayClock, kv_mount: str = "secret") -> None:
        self.clock = clock
        self.kv_mount = kv_mount
        self.secrets: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.approle: tuple[str, str] | None = None
        self.approle_ttl = 600
        self.refuse_renewal = False
        self.renew_grant: int | None = None
        """Seconds a renewal grants (None: the token's own TTL), e.g. to mimic a max TTL."""
        self.requests: list[tuple[str, str]] = []
        self.namespaces: list[str | None] = []
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def issue_token(self, ttl: int, renewable: bool = True) -> str:
        token = f"hvs.test-token-{next(self._serial):04d}"
        expires = self.clock.now() + timedelta(seconds=ttl) if ttl > 0 else None
        self.tokens[token] = Token(expires, renewable, ttl)
        return token

    def count(self, method: str, path: str) -> int:
        return sum(1 for entry in self.requests if entry == (method, path))

    # -- request handling (called from the server thread) --

    def handle(self, method: str, path: str, token: str | None, body: Any) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((method, path))
            if method == "POST" and path.startswith("/v1/auth/") and path.endswith("/login"):
                return self._login(body)
            live = self._live(token)
            if live is None:
                return 403, {"errors": ["permission denied"]}
            if method == "GET" and path == "/v1/auth/token/lookup-self":
                return 200, self._lookup(token or "", live)
            if method == "POST" and path == "/v1/auth/token/renew-self":
                return self._renew(token or "", live)
            prefix = f"/v1/{self.kv_mount}/data/"
            if method == "GET" and path.startswith(prefix):
                return self._read(path.removeprefix(prefix))
            return 404, {"errors": []}

    def _live(self, token: str | None) -> Token | None:
        entry = self.tokens.get(token or "")
        if entry is None:
            return None
        if entry.expires_at is not None and self.clock.now() >= entry.expires_at:
            return None
        return entry

    def _remaining(self, entry: Token) -> int:
        if entry.expires_at is None:
            return 0
        return int((entry.expires_at - self.clock.now()).total_seconds())

    def _login(self, body: Any) -> tuple[int, Any]:
        credentials = (body.get("role_id"), body.get("secret_id"))
        if self.approle is None or credentials != self.approle:
            return 400, {"errors": ["invalid role or secret ID"]}
        token = self.issue_token(self.approle_ttl)
        return 200, {
            "request_id": "login",
            "lease_id": "",
            "renewable": False,
            "lease_duration": 0,
            "data": None,
            "wrap_info": None,
            "warnings": None,
            "auth": {
                "client_token": token,
                "accessor": f"accessor-{token}",
                "policies": ["default", "quorum"],
                "token_policies": ["default", "quorum"],
                "metadata": {"role_name": "quorum"},
                "lease_duration": self.approle_ttl,
                "renewable": True,
                "entity_id": "",
                "token_type": "service",
                "orphan": True,
            },
        }

    def _lookup(self, token: str, entry: Token) -> Any:
        return {
            "request_id": "lookup",
            "data": {
                "accessor": f"accessor-{token}",
                "creation_ttl": entry.ttl,
                "display_name": "approle",
                "expire_time": entry.expires_at.isoformat() if entry.expires_at else None,
                "explicit_max_ttl": 0,
                "id": token,
                "policies": ["default", "quorum"],
                "renewable": entry.renewable,
                "ttl": self._remaining(entry),
                "type": "service",
            },
        }

    def _renew(self, token: str, entry: Token) -> tuple[int, Any]:
        if self.refuse_renewal or not entry.renewable:
            return 403, {"errors": ["permission denied"]}
        granted = entry.ttl if self.renew_grant is None else self.renew_grant
        entry.expires_at = self.clock.now() + timedelta(seconds=granted)
        return 200, {
            "request_id": "renew",
            "auth": {
                "client_token": token,
                "accessor": f"accessor-{token}",
                "policies": ["default", "quorum"],
                "token_policies": ["default", "quorum"],
                "metadata": None,
                "lease_duration": granted,
                "renewable": True,
            },
        }

    def _read(self, path: str) -> tuple[int, Any]:
        data = self.secrets.get(path)
        if data is None:
            return 404, {"errors": []}
        return 200, {
            "request_id": "read",
            "lease_id": "",
            "renewable": False,
            "lease_duration": 0,
            "data": {
                "data": data,
                "metadata": {
                    "created_time": "2025-03-01T12:00:00.000000Z",
                    "custom_metadata": None,
                    "deletion_time": "",
                    "destroyed": False,
                    "version": 1,
                },
            },
            "wrap_info": None,
            "warnings": None,
            "auth": None,
        }


def _handler_for(vault: FakeVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            vault.namespaces.append(self.headers.get("X-Vault-Namespace"))
            path = self.path.split("?", 1)[0]
            status, payload = vault.handle(method, path, self.headers.get("X-Vault-Token"), body)
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
