"""Validators a row's match must also pass (the row's ``check`` names one in :data:`CHECKS`):
a checksum, a structure, or a password that is not a default. Each says True (confirmed),
False (ruled out) or None (undecided: the entropy floor decides).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable

from classifiers.leak_text import looks_like_placeholder

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(n: int, width: int = 6) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _B62[r] + out
    return out.rjust(width, "0")


def crc32_base62(value: str) -> bool | None:
    """GitHub's and npm's token checksum: the last 6 characters are the base62 CRC32 of the
    characters between the prefix and them. A valid checksum confirms a token of any length;
    a wrong one rules out a token of the documented length (30 random + 6 checksum); other
    lengths are left to the entropy floor (None)."""
    body = value.split("_", 1)[-1]
    if len(body) < 12:
        return None
    if _base62(zlib.crc32(body[:-6].encode())) == body[-6:]:
        return True
    return False if len(body) == 36 else None


def _b64json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def jwt(value: str) -> bool | None:
    """A JWT's header is base64url JSON naming its algorithm; its payload is JSON too."""
    header, payload, _ = value.split(".", 2)
    head = _b64json(header)
    if head is None:
        return None  # cut or mangled in the post: the entropy floor decides
    return isinstance(head, dict) and "alg" in head and _b64json(payload) is not None


# Default or documentation passwords: a connection string holding one leaks nothing.
_DEFAULT_PASSWORDS = frozenset(
    (
        "password",
        "pass",
        "passwd",
        "pwd",
        "secret",
        "changeme",
        "guest",
        "admin",
        "root",
        "test",
        "user",
        "default",
        "postgres",
        "mysql",
        "redis",
        "mongo",
        "example",
        "mypassword",
        "yourpassword",
        "letmein",
        "1234",
        "12345",
        "123456",
    )
)
# Documentation names for a value: ``myPassword``, ``your_token``.
DOC_NAME = re.compile(r"^(?:my|your)[A-Z_\-]")


def _real_password(password: str) -> bool:
    if len(password) < 4 or password.lower() in _DEFAULT_PASSWORDS:
        return False
    return not (looks_like_placeholder(password) or DOC_NAME.match(password))


def url_password(value: str) -> bool | None:
    """``scheme://user:password@host``: the password must not be a default or placeholder."""
    userinfo = value.split("://", 1)[1].rsplit("@", 1)[0]
    return _real_password(userinfo.split(":", 1)[1]) and not DOC_NAME.match(userinfo)


def tail_password(value: str) -> bool | None:
    """``...;Password=value``: the value after the last ``=``."""
    return _real_password(value.rsplit("=", 1)[1])


CHECKS: dict[str, Callable[[str], bool | None]] = {
    "crc32_base62": crc32_base62,
    "jwt": jwt,
    "url_password": url_password,
    "tail_password": tail_password,
}
