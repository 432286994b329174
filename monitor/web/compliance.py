"""The compliance view: aggregates only, behind a link made with `social-monitor compliance-link`.

Which links are valid is :mod:`monitor.review.compliance_links`' question, asked on every
request, so revoking a link also ends a session already opened with it (its cookie).
Opening it moves the token into an HttpOnly cookie scoped to ``/compliance`` and redirects,
so the token leaves the address bar at once. Employees' sessions give no access here, and
this token gives none to employee pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from monitor.errors import BadLink
from monitor.review import compliance as figures
from monitor.review.compliance_links import live_link
from monitor.storage.db import session_scope
from monitor.web.context import ctx, render, see_other
from monitor.web.security import is_https

router = APIRouter()
COOKIE = "sm_compliance"


def _denied(request: Request, exc: BadLink) -> Response:
    response = render(request, "compliance_denied.html", {"error": str(exc)}, status=403)
    response.delete_cookie(COOKIE, path="/compliance")
    return response


@router.get("/compliance", response_class=HTMLResponse)
def compliance(request: Request, token: str = "") -> Response:
    web = ctx(request)
    config = web.app.config
    if token:
        try:
            live_link(web.app.engine, config, token)
        except BadLink as exc:
            return _denied(request, exc)
        response = see_other("/compliance")
        response.set_cookie(
            COOKIE, token, max_age=config.settings.review.link_ttl_hours * 3600,
            path="/compliance", httponly=True, samesite="strict",
            secure=is_https(request.scope, config.settings.review.base_url),
        )
        return response
    try:
        link_id = live_link(web.app.engine, config, request.cookies.get(COOKIE, ""))
    except BadLink as exc:
        return _denied(request, exc)
    with session_scope(web.app.engine) as db:
        summary = figures.compliance_summary(db, config, web.clock(), f"compliance_link:{link_id}")
    return render(request, "compliance.html", {"s": summary, "page": "compliance"})
