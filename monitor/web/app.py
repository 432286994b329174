"""Build the review page's ASGI application from a wired :class:`~monitor.app.App`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.alerts.links import secret_key
from monitor.alerts.outbox import Sender
from monitor.app import App
from monitor.clock import utcnow
from monitor.errors import BadInput, Conflict, MonitorError, NotFound, StorageUnavailable
from monitor.web import access, compliance, pages
from monitor.web.context import SignInRequired, WebContext, render, see_other
from monitor.web.security import (
    AccessLogMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    SessionMiddleware,
)

STATIC = Path(__file__).resolve().parent / "static"


# How each kind of MonitorError is answered (first match wins).
ERROR_STATUS: tuple[tuple[type[MonitorError], int], ...] = (
    (NotFound, 404),
    (BadInput, 400),
    (Conflict, 400),
    (StorageUnavailable, 503),
)


def create_app(
    app: App,
    *,
    clock: Callable[[], datetime] = utcnow,
    sender: Sender | None = None,
    links_per_hour: int = 3,
) -> FastAPI:
    """The review page for ``app``.

    ``sender`` defaults to the SMTP transport from the settings; ``clock`` is the time
    source (tests pass a fixed one); ``links_per_hour`` limits fresh-link e-mails per
    address.
    """
    secret = secret_key(app.config)
    web = WebContext.build(
        app,
        secret,
        clock,
        sender if sender is not None else app.transport(),
        RateLimiter(links_per_hour, timedelta(hours=1), clock),
    )
    api = FastAPI(
        title="social-monitor review", docs_url=None, redoc_url=None, openapi_url=None
    )
    api.state.web = web
    api.include_router(access.router)
    api.include_router(pages.router)
    api.include_router(compliance.router)
    api.mount("/static", StaticFiles(directory=STATIC), name="static")

    @api.exception_handler(SignInRequired)
    async def _signin(request: Request, exc: SignInRequired) -> Response:
        return see_other("/signin")

    @api.exception_handler(MonitorError)
    async def _refused(request: Request, exc: MonitorError) -> HTMLResponse:
        # The one place a service's error becomes a page: its status, its one-line message
        # (never post text), and nothing of the database's own words.
        status = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 500)
        if isinstance(exc, StorageUnavailable):
            message = "The service cannot reach its database right now; try again in a minute."
        elif status == 500:
            message = "Something went wrong on our side."
        else:
            text = str(exc).rstrip(".")
            message = text[:1].upper() + text[1:] + "."
        return render(request, "error.html", {"status": status, "message": message},
                      status=status)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else (
            "There is nothing here."
        )
        return render(request, "error.html", {"status": exc.status_code, "message": message},
                      status=exc.status_code)

    @api.exception_handler(RequestValidationError)
    async def _bad_form(request: Request, exc: RequestValidationError) -> HTMLResponse:
        if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # /flags/abc or an id past 64 bits names nothing that exists.
            return render(request, "error.html",
                          {"status": 404, "message": "There is nothing here."}, status=404)
        # Field names only: never echo the submitted values back.
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return render(request, "error.html", {
            "status": 400, "message": "Some fields were missing or invalid: " + ", ".join(fields),
        }, status=400)

    base_url = app.config.settings.review.base_url
    # Outermost last: the log sees every answer, headers go on error pages too.
    api.add_middleware(SessionMiddleware, codec=web.codec, base_url=base_url)
    api.add_middleware(SecurityHeadersMiddleware, base_url=base_url)
    api.add_middleware(AccessLogMiddleware)
    return api
