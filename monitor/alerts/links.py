"""Links the service hands out: signed links to the review page, and the one rule for
showing a post's own address (page and e-mail alike). Tokens carry ids only, never post text.

A sign-in link expires after ``review.link_ttl_hours`` (and works once, see
``monitor.review.signin``). An unsubscribe link never expires: RFC 8058 asks that the link in an
old digest still works. Both stay unforgeable: they are signed with the secret key, and a
token made for one purpose is refused for the other.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from monitor.config import AppConfig
from monitor.errors import BadLink

_SALT = "social-monitor.review-link"


# Purposes whose links stay valid for good (their signature still has to check out).
NEVER_EXPIRE = frozenset({"unsubscribe"})


def safe_url(url: str) -> str:
    """``url`` if it is an http(s) address with a host, else "" (the link is not shown).

    A post's URL comes from the network or a feed, so it may be ``javascript:`` or
    ``data:``; control characters and spaces are refused too, because browsers and mail
    clients strip them before reading the scheme.
    """
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def secret_key(app: AppConfig) -> str:
    """The configured key, or one generated once and kept (0600) in the data directory."""
    if app.secrets.secret_key is not None:
        return app.secrets.secret_key.get_secret_value()
    path = Path(app.settings.storage.data_dir) / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _serializer(app: AppConfig) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(app), salt=_SALT)


def make_token(app: AppConfig, employee_id: int, purpose: str = "signin") -> str:
    return _serializer(app).dumps({"e": employee_id, "p": purpose, "n": secrets.token_hex(8)})


def read_token(app: AppConfig, token: str, purpose: str = "signin") -> tuple[int, str]:
    """Return (employee id, nonce). Raises :class:`BadLink` when forged, expired or misused."""
    max_age = None if purpose in NEVER_EXPIRE else app.settings.review.link_ttl_hours * 3600
    try:
        data = _serializer(app).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise BadLink("this link has expired; ask for a fresh one") from exc
    except BadSignature as exc:
        raise BadLink("this link is not valid") from exc
    if data.get("p") != purpose:
        raise BadLink("this link is not valid here")
    return int(data["e"]), str(data["n"])


def review_link(app: AppConfig, employee_id: int) -> str:
    base = app.settings.review.base_url.rstrip("/")
    return f"{base}/signin?token={make_token(app, employee_id)}"
