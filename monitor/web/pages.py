"""The signed-in employee's pages: open flags, one flag, history, settings, data export.

Every handler takes the employee id from the session (:func:`signed_in`) and passes it to
:mod:`monitor.review.flags`, which only reaches rows through that employee's own accounts.
"""

from __future__ import annotations

import json
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.errors import BadInput
from monitor.review import flags, own
from monitor.storage.db import session_scope
from monitor.web.context import ctx, render, require_csrf, see_other, signed_in
from monitor.web.security import session_of

router = APIRouter()
Employee = Annotated[int, Depends(signed_in)]
Csrf = Annotated[str, Form()]
# Row ids are 64-bit: a larger number is no flag (404), never an overflow in the database.
FindingId = Annotated[int, Path(ge=1, le=2**63 - 1)]

DONE = {
    "deleted": "Thanks. The flag is closed; the next check confirms the deletion.",
    "edited": "Thanks. The flag is closed; the next check looks at the new wording.",
    "apologized": "Thanks for setting it right. The flag is closed.",
    "not_a_problem": "Noted. This post will not be flagged for this rule again.",
    "remind_later": "We will show it again tomorrow.",
    "settings": "Your settings are saved.",
    "paused": "Monitoring is paused. Nothing is read until you resume it.",
    "resumed": "Monitoring is on again.",
}
# The time-zone picker: IANA names grouped by region ("Europe/Paris" under Europe), the
# legacy aliases ("US/Eastern", "GB") left out; UTC on its own.
_ZONES: list[tuple[str, list[str]]] = [("UTC", ["UTC"])] + [
    (region, sorted(z for z in available_timezones() if z.startswith(region + "/")))
    for region in ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                   "Australia", "Europe", "Indian", "Pacific")
]
_ZONE_NAMES = frozenset(z for _, names in _ZONES for z in names)


def _zones_for(current: str) -> list[tuple[str, list[str]]]:
    """The picker, with the employee's own zone first if it is an alias the list leaves out
    (saving the form must never change it silently)."""
    return _ZONES if current in _ZONE_NAMES else [("Current", [current]), *_ZONES]


@router.get("/", response_class=HTMLResponse)
def review_page(request: Request, employee_id: Employee, done: str = "") -> HTMLResponse:
    web = ctx(request)
    now = web.clock()
    with session_scope(web.app.engine) as db:
        me = own.me(db, employee_id)
        cards = flags.list_open(db, web.app.config, employee_id, now)
        snoozed = flags.snoozed_count(db, employee_id, now)
    return render(request, "review.html", {
        "me": me, "flags": cards, "snoozed": snoozed, "actions": flags.ACTIONS,
        "message": DONE.get(done, ""), "page": "review",
    })


@router.get("/flags/{finding_id}", response_class=HTMLResponse)
def flag_page(request: Request, finding_id: FindingId, employee_id: Employee) -> HTMLResponse:
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        flag = flags.get_flag(db, web.app.config, employee_id, finding_id)
        me = own.me(db, employee_id)
    return render(request, "flag.html", {
        "me": me, "flag": flag, "actions": flags.ACTIONS, "page": "review",
    })


@router.post("/flags/{finding_id}")
def resolve_flag(
    request: Request,
    finding_id: FindingId,
    employee_id: Employee,
    csrf_token: Csrf,
    action: Annotated[str, Form()],
    comment: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        flags.resolve(db, employee_id, finding_id, action, web.clock(), comment)
    return see_other(f"/?done={action}")


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, employee_id: Employee) -> HTMLResponse:
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        me = own.me(db, employee_id)
        items = flags.history(db, employee_id)
    return render(request, "history.html", {
        "me": me, "items": items, "actions": flags.ACTIONS, "page": "history",
    })


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, employee_id: Employee, done: str = "") -> HTMLResponse:
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        me = own.me(db, employee_id)
    return render(request, "settings.html", {
        "me": me, "zones": _zones_for(me.timezone), "message": DONE.get(done, ""),
        "page": "settings",
    })


@router.post("/settings")
def save_settings(
    request: Request,
    employee_id: Employee,
    csrf_token: Csrf,
    digest_hour: Annotated[int, Form()],
    timezone: Annotated[str, Form()],
    digest: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    web = ctx(request)
    try:
        with session_scope(web.app.engine) as db:
            own.update_settings(db, employee_id, digest_hour, timezone.strip(),
                                    digest == "on", web.clock())
    except BadInput as exc:
        with session_scope(web.app.engine) as db:
            me = own.me(db, employee_id)
        return render(request, "settings.html", {
            "me": me, "zones": _zones_for(me.timezone), "error": str(exc), "page": "settings",
        }, status=400)
    return see_other("/settings?done=settings")


@router.post("/settings/pause")
def pause(
    request: Request,
    employee_id: Employee,
    csrf_token: Csrf,
    paused: Annotated[str, Form()],
) -> Response:
    require_csrf(request, csrf_token)
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        own.set_paused(db, employee_id, paused == "yes", web.clock())
    return see_other("/settings?done=" + ("paused" if paused == "yes" else "resumed"))


@router.get("/opt-out", response_class=HTMLResponse)
def opt_out_page(request: Request, employee_id: Employee) -> HTMLResponse:
    with session_scope(ctx(request).app.engine) as db:
        me = own.me(db, employee_id)
    return render(request, "opt_out.html", {"me": me, "page": "settings"})


@router.post("/opt-out")
def opt_out(
    request: Request,
    employee_id: Employee,
    csrf_token: Csrf,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    if confirm != "yes":
        with session_scope(ctx(request).app.engine) as db:
            me = own.me(db, employee_id)
        return render(request, "opt_out.html", {
            "me": me, "page": "settings",
            "error": "Tick the box to confirm that your data will be erased.",
        }, status=400)
    with session_scope(ctx(request).app.engine) as db:
        own.opt_out(db, employee_id)
    session_of(request).sign_out()
    return render(request, "opted_out.html")


@router.get("/export")
def export(request: Request, employee_id: Employee) -> Response:
    web = ctx(request)
    with session_scope(web.app.engine) as db:
        data = own.export_data(db, employee_id, web.clock())
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="social-monitor-my-data.json"'},
    )


@router.post("/signout")
def signout(request: Request, csrf_token: Csrf) -> RedirectResponse:
    require_csrf(request, csrf_token)
    session = session_of(request)
    if session.employee_id is not None:
        web = ctx(request)
        with session_scope(web.app.engine) as db:
            own.end_sessions(db, session.employee_id, session.version, web.clock())
    session.sign_out()
    return see_other("/signin?signed_out=1")
