"""Hide credentials embedded in URLs (``postgresql://user:pw@host/db``) before they are shown."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "***"


def mask_url(value: str) -> str:
    """Return ``value`` with the password of a URL's user-info replaced by ``***``.

    Strings that are not URLs, or URLs without a password, are returned unchanged.
    """
    if "://" not in value or "@" not in value:
        return value
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return MASK
    if not password:
        return value
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostinfo}"))
