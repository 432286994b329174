"""What every route needs: the application, the clock, templates, and the access checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.alerts.links import safe_url
from monitor.alerts.mailer import network_label
from monitor.alerts.outbox import Sender
from monitor.app import App
from monitor.review.own import session_version
from monitor.storage.db import session_scope
from monitor.web.security import RateLimiter, SessionCodec, WebSession, session_of

CATEGORY_WORDS = {
    "harmful": "Hurtful wording",
    "personal_data": "Personal data",
    "credentials": "Password or access key",
    "confidential": "Confidential work information",
    "legal": "Comment on a legal matter",
}


# What a detector found, as the page names it (kinds within a category).
KIND_WORDS = {
    "health_data": "health data",
    "health_id": "health record number",
    "location": "home address or location",
    "bank_account": "account number",
    "iban": "bank account number",
    "credit_card": "card number",
    "one_time_code": "one-time code",
    "date_of_birth": "date of birth",
    "national_id": "national ID number",
    "device_id": "device identifier",
    "email": "e-mail address",
    "phone": "phone number",
    "ip_address": "IP address",
    "password_hint": "how a password is made",
    "session_token": "session token",
    "secret_client": "a client who wants secrecy",
    "project_code_name": "project code name",
    "internal_event": "internal event",
    "url_password": "password in an address",
}


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, kind.replace("_", " "))


def when(value: datetime | None, tz: str = "UTC") -> str:
    """A time as the employee reads it: in their own time zone."""
    if value is None:
        return ""
    try:
        local = value.astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        local = value
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["safe_url"] = safe_url
    env.filters["when"] = when
    env.filters["network_label"] = network_label
    env.filters["kind_words"] = kind_words
    env.filters["category_words"] = lambda c: CATEGORY_WORDS.get(c, c.replace("_", " "))
    return env


@dataclass
class WebContext:
    """Shared by all routes through ``request.app.state.web``."""

    app: App
    codec: SessionCodec
    clock: Callable[[], datetime]
    sender: Sender
    link_limiter: RateLimiter
    templates: Jinja2Templates

    @classmethod
    def build(
        cls,
        app: App,
        secret: str,
        clock: Callable[[], datetime],
        sender: Sender,
        link_limiter: RateLimiter,
    ) -> WebContext:
        return cls(app, SessionCodec(secret), clock, sender, link_limiter,
                   Jinja2Templates(env=_environment()))


def ctx(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


class SignInRequired(Exception):
    """Raised by :func:`signed_in`; answered with a redirect to the sign-in page."""


def signed_in(request: Request) -> int:
    """Dependency: the signed-in employee's id; anyone else is sent to the sign-in page.

    The employee is looked up on every request, so an opt-out ends the session at once, and
    a session older than the employee's last sign-out (an older session version) is over.
    """
    session = session_of(request)
    if session.employee_id is None:
        raise SignInRequired()
    with session_scope(ctx(request).app.engine) as db:
        if session_version(db, session.employee_id) != session.version:
            session.sign_out()
            raise SignInRequired()
    return session.employee_id


def require_csrf(request: Request, token: str) -> None:
    """Refuse a form post whose CSRF token does not match the session (403)."""
    if not ctx(request).codec.csrf_ok(session_of(request), token):
        raise HTTPException(403, "This form has expired. Go back, reload the page and retry.")


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the CSRF token and whether someone is signed in."""
    session: WebSession = session_of(request)
    web = ctx(request)
    full = {
        "csrf_token": web.codec.csrf_token(session),
        "signed_in": session.employee_id is not None,
        **(context or {}),
    }
    return web.templates.TemplateResponse(request, name, full, status_code=status)


def see_other(url: str) -> RedirectResponse:
    """The answer to a successful form post (POST/redirect/GET)."""
    return RedirectResponse(url, status_code=303)
