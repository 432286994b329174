"""The compliance view: aggregates only, behind a link made with `social-monitor compliance-link`.

The link carries a signed token with purpose ``compliance`` that expires like any review
link (``review.link_ttl_hours``). Opening it moves the token into an HttpOnly cookie
scoped to ``/compliance`` and redirects, so the token leaves the address bar at once.
Employees' sessions give no access here, and this token gives none to employee pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from monitor import reviews
from monitor.db import session_scope
from monitor.links import BadLink, read_token
from monitor.web.context import ctx, render, see_other
from monitor.web.security import is_https

router = APIRouter()
COOKIE = "sm_compliance"


@router.get("/compliance", response_class=HTMLResponse)
def compliance(request: Request, token: str = "") -> Response:
    web = ctx(request)
    config = web.app.config
    if token:
        try:
            read_token(config, token, "compliance")
        except BadLink as exc:
            return render(request, "compliance_denied.html", {"error": str(exc)}, status=403)
        response = see_other("/compliance")
        response.set_cookie(
            COOKIE, token, max_age=config.settings.review.link_ttl_hours * 3600,
            path="/compliance", httponly=True, samesite="strict",
            secure=is_https(request.scope, config.settings.review.base_url),
        )
        return response
    try:
        _, nonce = read_token(config, request.cookies.get(COOKIE, ""), "compliance")
    except BadLink as exc:
        return render(request, "compliance_denied.html", {"error": str(exc)}, status=403)
    with session_scope(web.app.engine) as db:
        summary = reviews.compliance_summary(db, config, web.clock(), f"compliance:{nonce}")
    return render(request, "compliance.html", {"s": summary, "page": "compliance"})
