"""Checkpoints signed by Vault transit, against a loopback server speaking Vault's API.

The server implements ``POST /v1/transit/sign/<key>`` and ``GET /v1/transit/keys/<key>``
for an ``ed25519`` key with two versions, signs with a real Ed25519 key from
cryptography and answers in Vault's formats (``vault:v<N>:<base64>``).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import hvac
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import fill

from quorum.clock import ReplayClock
from quorum.errors import ConfigError
from quorum.journal import DirectoryCheckpointStore, Journal, VaultTransitSigner

TOKEN = "s.test-token"


class FakeTransit:
    def __init__(self) -> None:
        self.keys = {1: Ed25519PrivateKey.generate(), 2: Ed25519PrivateKey.generate()}
        self.key_type = "ed25519"
        self.signed: list[dict[str, Any]] = []

    def public(self, version: int) -> bytes:
        return (
            self.keys[version]
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def read_key(self) -> dict[str, Any]:
        keys = {
            str(v): {
                "name": "ed25519",
                "creation_time": "2025-01-01T00:00:00Z",
                "public_key": base64.b64encode(self.public(v)).decode(),
            }
            for v in self.keys
        }
        return {"data": {"type": self.key_type, "latest_version": max(self.keys), "keys": keys}}

    def sign(self, body: dict[str, Any]) -> dict[str, Any]:
        self.signed.append(body)
        version = int(body.get("key_version") or max(self.keys))
        signature = self.keys[version].sign(base64.b64decode(body["input"]))
        marshaled = f"vault:v{version}:{base64.b64encode(signature).decode()}"
        return {"data": {"signature": marshaled, "key_version": version}}


@pytest.fixture
def transit() -> Iterator[tuple[FakeTransit, str]]:
    fake = FakeTransit()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("X-Vault-Token") == TOKEN:
                return True
            self._answer(403, {"errors": ["permission denied"]})
            return False

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if self.path == "/v1/transit/keys/journal":
                self._answer(200, fake.read_key())
            else:
                self._answer(404, {"errors": []})

        def do_POST(self) -> None:
            if not self._authorised():
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/transit/sign/journal":
                self._answer(200, fake.sign(body))
            else:
                self._answer(404, {"errors": []})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client(url: str, token: str = TOKEN) -> hvac.Client:
    return hvac.Client(url=url, token=token)


def test_checkpoints_signed_through_vault_transit_verify(
    transit: tuple[FakeTransit, str], engine: Engine, clock: ReplayClock, tmp_path: Path
) -> None:
    fake, url = transit
    signer = VaultTransitSigner(client(url), "journal")
    journal = Journal(
        engine,
        clock,
        signer=signer,
        checkpoint_store=DirectoryCheckpointStore(tmp_path / "cps"),
        checkpoint_every_n=2,
    )
    fill(journal, 4, per_commit=1)

    report = journal.verify()

    assert report.ok
    assert report.checkpoints_checked == 2
    assert signer.public_key() == fake.public(2)
    assert base64.b64decode(fake.signed[0]["input"]).startswith(b"quorum.journal.checkpoint.v1")


def test_a_pinned_key_version_signs_with_that_version(transit: tuple[FakeTransit, str]) -> None:
    fake, url = transit
    signer = VaultTransitSigner(lambda: client(url), "journal", key_version=1)

    signed = signer.sign(b"message")

    assert signed.public_key == fake.public(1) == signer.public_key()
    assert fake.signed[-1]["key_version"] == 1


def test_a_refused_token_is_a_config_error_without_the_token(
    transit: tuple[FakeTransit, str],
) -> None:
    _, url = transit
    signer = VaultTransitSigner(client(url, token="s.wrong"), "journal")

    with pytest.raises(ConfigError, match="vault-transit:transit/journal: signing failed") as e:
        signer.sign(b"message")

    assert "s.wrong" not in str(e.value)


def test_a_key_that_is_not_ed25519_is_refused(transit: tuple[FakeTransit, str]) -> None:
    fake, url = transit
    fake.key_type = "ecdsa-p256"

    with pytest.raises(ConfigError, match="expected an ed25519 key"):
        VaultTransitSigner(client(url), "journal").public_key()
