"""Sessions, CSRF tokens, security headers, request logging and rate limits.

The session is a signed cookie (``itsdangerous``, keyed with ``monitor.alerts.links.secret_key``):
HttpOnly, SameSite=Lax, and Secure whenever the page is served over HTTPS. It carries a
random session id and, once signed in, the employee id and their session version; nothing
else. The version is checked against ``EmployeeRow.session_version`` on every request, and
sign-out bumps it, so a cookie copied before sign-out opens nothing afterwards (on any
device: signing out signs that employee out everywhere). Every visitor gets
one, so forms shown before sign-in carry a CSRF token too. The CSRF token is an HMAC of
the session id: a page from another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("monitor.web")

SESSION_COOKIE = "sm_session"
SESSION_SCOPE_KEY = "social_monitor.session"
SESSION_MAX_AGE = 12 * 3600

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass
class WebSession:
    """The visitor's session; ``dirty`` makes the middleware send the cookie again."""

    sid: str
    employee_id: int | None = None
    version: int = 0
    dirty: bool = False

    def sign_in(self, employee_id: int, version: int) -> None:
        # A fresh id at sign-in: a session id planted before cannot be carried over.
        self.sid, self.employee_id, self.version = secrets.token_urlsafe(16), employee_id, version
        self.dirty = True

    def sign_out(self) -> None:
        self.sid, self.employee_id, self.version = secrets.token_urlsafe(16), None, 0
        self.dirty = True


class SessionCodec:
    """Signs and reads the session cookie."""

    def __init__(self, secret: str, max_age: int = SESSION_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="social-monitor.session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode()).digest()
        self.max_age = max_age

    def load(self, raw: str | None) -> WebSession | None:
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # forged, tampered or expired: start afresh
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        emp, version = data.get("e"), data.get("v")
        if not isinstance(emp, int) or not isinstance(version, int):
            return WebSession(sid=data["s"])
        return WebSession(sid=data["s"], employee_id=emp, version=version)

    def dump(self, session: WebSession) -> str:
        return self._serializer.dumps(
            {"s": session.sid, "e": session.employee_id, "v": session.version}
        )

    def csrf_token(self, session: WebSession) -> str:
        return hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: WebSession, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session), token or "")


def session_of(conn: HTTPConnection) -> WebSession:
    """The session the middleware attached to this request."""
    session: WebSession = conn.scope[SESSION_SCOPE_KEY]
    return session


def is_https(scope: Scope, base_url: str) -> bool:
    return scope.get("scheme") == "https" or base_url.startswith("https://")


class SessionMiddleware:
    """Attach a :class:`WebSession` to every request; (re)send the cookie when it changed."""

    def __init__(self, app: ASGIApp, codec: SessionCodec, base_url: str) -> None:
        self.app, self.codec, self.base_url = app, codec, base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        session = self.codec.load(conn.cookies.get(SESSION_COOKIE))
        if session is None:
            session = WebSession(sid=secrets.token_urlsafe(16), dirty=True)
        scope[SESSION_SCOPE_KEY] = session
        secure = is_https(scope, self.base_url)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.dirty:
                headers = MutableHeaders(scope=message)
                parts = [
                    f"{SESSION_COOKIE}={self.codec.dump(session)}",
                    "Path=/",
                    f"Max-Age={self.codec.max_age}",
                    "HttpOnly",
                    "SameSite=Lax",
                ]
                if secure:
                    parts.append("Secure")
                headers.append("set-cookie", "; ".join(parts))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class SecurityHeadersMiddleware:
    """Security headers on every response; private pages are never cached."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app, self.base_url = app, base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = is_https(scope, self.base_url)
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers[key] = value
                if https:
                    headers["strict-transport-security"] = "max-age=31536000"
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLogMiddleware:
    """One log line per request: method, path (never the query: it may hold a token), status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            log.info(
                "%s %s %s %.0fms",
                scope.get("method"),
                scope.get("path"),
                status["code"],
                (time.perf_counter() - started) * 1000,
            )


class RateLimiter:
    """At most ``limit`` events per key within ``window`` (in memory, per process).

    Keys are hashed so the limiter never holds an address in clear.
    """

    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime]) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; False when it is over the limit."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(digest, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True
