"""Ways in without a session: the e-mailed sign-in link, a fresh link, one-click unsubscribe.

Opening a sign-in link shows a button; only pressing it (a POST) spends the link. Mail
scanners that fetch every link in an e-mail therefore cannot use it up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from monitor.alerts.links import read_token
from monitor.errors import BadLink, NotFound
from monitor.review import own
from monitor.review.signin import check_signin, send_fresh_link, spend_signin
from monitor.storage.db import session_scope
from monitor.web.context import ctx, render, require_csrf, see_other
from monitor.web.security import session_of

router = APIRouter()

LINK_SENT = (
    "If this address belongs to someone who is monitored, a sign-in link is on its way. "
    "It works once and expires; check your inbox."
)


@router.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    return "ok"


@router.get("/signin", response_class=HTMLResponse, response_model=None)
def signin_page(request: Request, token: str = "", signed_out: str = "") -> Response:
    if not token and session_of(request).employee_id is not None:
        return see_other("/")
    if not token:
        message = "You are signed out." if signed_out else ""
        return render(request, "signin.html", {"message": message})
    try:
        owner = check_signin(ctx(request).app.engine, ctx(request).app.config, token)
    except BadLink as exc:
        return render(request, "signin.html", {"error": str(exc)}, status=400)
    return render(request, "signin_confirm.html", {"token": token, "email": owner.email})


@router.post("/signin")
def signin(request: Request, csrf_token: Annotated[str, Form()],
           token: Annotated[str, Form()]) -> Response:
    require_csrf(request, csrf_token)
    web = ctx(request)
    try:
        employee_id, version = spend_signin(web.app.engine, web.app.config, token, web.clock())
    except BadLink as exc:
        return render(request, "signin.html", {"error": str(exc)}, status=400)
    session_of(request).sign_in(employee_id, version)
    return see_other("/")


@router.post("/link", response_class=HTMLResponse)
def request_link(
    request: Request,
    background: BackgroundTasks,
    csrf_token: Annotated[str, Form()],
    email: Annotated[str, Form()],
) -> HTMLResponse:
    """Always the same answer, whether or not the address is known or over its limit."""
    require_csrf(request, csrf_token)
    web = ctx(request)
    address = email.strip().lower()
    if address and web.link_limiter.allow(address):
        # After the response: the answer's timing says nothing about the address either.
        background.add_task(send_fresh_link, web.app.engine, web.app.config, web.sender,
                            address, web.clock())
    return render(request, "signin.html", {"message": LINK_SENT})


def _unsubscribe_employee(request: Request, token: str) -> int | None:
    try:
        employee_id, _ = read_token(ctx(request).app.config, token, "unsubscribe")
    except BadLink:
        return None
    return employee_id


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str = "") -> HTMLResponse:
    if _unsubscribe_employee(request, token) is None:
        return render(request, "unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "unsubscribe.html", {"token": token})


@router.post("/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str = "") -> HTMLResponse:
    """RFC 8058 one-click: the mail client POSTs here with the token and no session.

    The signed token is the authority (a CSRF token cannot exist in a mail client), and
    unsubscribing twice is harmless.
    """
    employee_id = _unsubscribe_employee(request, token)
    if employee_id is None:
        return render(request, "unsubscribe.html", {"invalid": True}, status=400)
    web = ctx(request)
    try:
        with session_scope(web.app.engine) as db:
            own.unsubscribe_digest(db, employee_id, web.clock())
    except NotFound:
        return render(request, "unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "unsubscribe.html", {"done": True})
