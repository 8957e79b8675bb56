"""Bearer tokens: JWTs (PyJWT) carrying a subject, a role and an expiry.

The signing key comes from the SecretsProvider (``api.token_secret_ref``): an HMAC secret
for HS256 or an Ed25519 private key (PEM) for EdDSA. Without a reference the embedded
default is a local key file created once with mode 0600 and reused, the way
``apps/bootstrap.py`` keeps the journal's checkpoint key. Expiry is checked against the
injected clock (replays and tests move time; PyJWT would read the wall clock).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from quorum.clock import Clock
from quorum.config.settings.api import ApiSettings
from quorum.errors import ConfigError
from quorum.ports import SecretsProvider

_REQUIRED = ["sub", "role", "iat", "exp", "iss"]
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Role(IntEnum):
    """Ordered: a role may do everything the roles below it may."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ConfigError(
                f"role: expected one of viewer, operator, admin (got {text!r})"
            ) from None


class TokenInvalid(Exception):
    """The bearer token is missing, malformed, badly signed or expired (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: the token's subject and role."""

    subject: str
    role: Role
    expires_at: datetime

    @property
    def actor(self) -> str:
        """How the journal names this caller."""
        return f"api:{self.subject}"


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``7d`` or plain seconds."""
    match = _TTL.match(text)
    if match is None or int(match.group(1)) <= 0:
        raise ConfigError(f"ttl: expected a positive duration like 15m, 1h or 7d (got {text!r})")
    return timedelta(seconds=int(match.group(1)) * _UNIT_S[match.group(2)])


class TokenAuthority:
    """Mints and verifies the API's bearer tokens."""

    def __init__(
        self,
        settings: ApiSettings,
        clock: Clock,
        signing_key: bytes | Ed25519PrivateKey,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._algorithm = settings.signing_algorithm
        self._signing_key = signing_key
        self._verify_key: bytes | Ed25519PublicKey = (
            signing_key.public_key() if isinstance(signing_key, Ed25519PrivateKey) else signing_key
        )

    def __repr__(self) -> str:
        return f"TokenAuthority(algorithm={self._algorithm!r})"

    def mint(self, subject: str, role: Role, ttl: timedelta) -> str:
        subject = subject.strip()
        if not subject or len(subject) > 100:
            raise ConfigError(f"subject: expected 1 to 100 characters (got {subject!r})")
        seconds = int(ttl.total_seconds())
        if not 0 < seconds <= self._settings.max_token_ttl_s:
            raise ConfigError(
                f"ttl: expected at most api.max_token_ttl_s={self._settings.max_token_ttl_s} "
                f"seconds (got {seconds})"
            )
        now = self._clock.now()
        claims = {
            "sub": subject,
            "role": role.label,
            "iss": self._settings.token_issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        return jwt.encode(claims, self._signing_key, algorithm=self._algorithm)

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self._algorithm],
                issuer=self._settings.token_issuer,
                options={
                    "require": _REQUIRED,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(f"invalid token: {exc}") from None
        try:
            role = Role.parse(str(claims["role"]))
            expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
        except (ConfigError, TypeError, ValueError) as exc:
            raise TokenInvalid(f"invalid token: {exc}") from None
        if expires <= self._clock.now():
            raise TokenInvalid("token expired")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise TokenInvalid("invalid token: sub must be a non-empty string")
        return Caller(subject=subject, role=role, expires_at=expires)


def build_token_authority(
    settings: ApiSettings, secrets_provider: SecretsProvider, clock: Clock
) -> TokenAuthority:
    """The key from ``api.token_secret_ref``, else the local key file (created once, 0600)."""
    if settings.token_secret_ref is not None:
        text = secrets_provider.get(settings.token_secret_ref).get_secret_value()
        where = f"api.token_secret_ref {settings.token_secret_ref}"
    else:
        path = Path(settings.local_key_path)
        text = path.read_text(encoding="ascii") if path.exists() else _create_key_file(settings)
        where = f"api.local_key_path {path}"
    return TokenAuthority(settings, clock, _signing_key(settings, text, where))


def _signing_key(settings: ApiSettings, text: str, where: str) -> bytes | Ed25519PrivateKey:
    if settings.signing_algorithm == "HS256":
        key = text.strip().encode()
        if len(key) < 32:
            raise ConfigError(f"{where}: an HS256 secret needs at least 32 bytes (got {len(key)})")
        return key
    try:
        loaded = serialization.load_pem_private_key(text.encode(), password=None)
    except ValueError:
        raise ConfigError(f"{where}: expected an Ed25519 private key in PEM") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigError(f"{where}: expected an Ed25519 private key, got {type(loaded).__name__}")
    return loaded


def _create_key_file(settings: ApiSettings) -> str:
    if settings.signing_algorithm == "HS256":
        text = secrets.token_hex(32)
    else:
        text = (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode("ascii")
        )
    path = Path(settings.local_key_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written in full to a private temp file, then published with link(): another process
    # sees either no key file or a complete one, and the first publisher wins.
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        try:
            os.link(temp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii")
    finally:
        temp.unlink(missing_ok=True)
    return text
