"""What the employee does with their own account on the review page: settings, pause,
the digest, opting out (erasure) and downloading everything stored about them.

Scoped to one employee id; every change leaves an audit line with ids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.errors import BadInput, NotFound
from monitor.people import employees
from monitor.storage import audit
from monitor.storage.models import (
    AccountRow,
    AlertRow,
    AuditEventRow,
    EmployeeRow,
    FindingRow,
    PostRow,
    ReviewRow,
    SuppressionRow,
)


def actor_for(employee_id: int) -> str:
    """How an employee acting on the review page appears in the audit trail."""
    return f"employee:{employee_id}"


@dataclass(frozen=True)
class Me:
    """The signed-in employee's own settings."""

    id: int
    email: str
    name: str
    timezone: str
    digest_hour: int
    paused: bool
    digest_subscribed: bool
    opted_in: bool


def active_employee(session: Session, employee_id: int) -> EmployeeRow | None:
    """The employee if they may use the page (exists and has not opted out)."""
    emp = session.get(EmployeeRow, employee_id)
    if emp is None or emp.opted_out_at is not None:
        return None
    return emp


def session_version(session: Session, employee_id: int) -> int | None:
    """The version the employee's page sessions must carry; None if they may not use the
    page (gone or opted out)."""
    emp = active_employee(session, employee_id)
    return None if emp is None else emp.session_version


def end_sessions(session: Session, employee_id: int, version: int, now: datetime) -> bool:
    """Sign-out: every session cookie carrying ``version`` (or older) stops working, and the
    audit trail says so.

    Only a session that is still current can end the others, so a replayed old cookie
    cannot sign a device out again and again.
    """
    emp = active_employee(session, employee_id)
    if emp is None or emp.session_version != version:
        return False
    emp.session_version = version + 1
    session.add(emp)
    audit.record(session, actor_for(employee_id), "web.signout", f"employee:{employee_id}",
                 at=now)
    return True


def me(session: Session, employee_id: int) -> Me:
    """The employee's settings. Raises NotFound if they are gone or opted out."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    return Me(
        id=emp.id or 0,
        email=emp.email,
        name=emp.name,
        timezone=emp.timezone,
        digest_hour=emp.digest_hour,
        paused=emp.paused,
        digest_subscribed=not emp.digest_unsubscribed,
        opted_in=emp.opted_in_at is not None,
    )


def update_settings(
    session: Session,
    employee_id: int,
    digest_hour: int,
    timezone: str,
    digest_subscribed: bool,
    now: datetime,
) -> Me:
    """Change the digest hour, time zone and digest subscription. Raises BadInput."""
    if not 0 <= digest_hour <= 23:
        raise BadInput(f"digest hour: {digest_hour} is not an hour (expected 0-23)")
    employees.check_timezone(timezone)
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    emp.digest_hour, emp.timezone = digest_hour, timezone
    emp.digest_unsubscribed = not digest_subscribed
    session.add(emp)
    audit.record(
        session,
        actor_for(employee_id),
        "settings.update",
        f"employee:{employee_id}",
        f"digest_hour={digest_hour} timezone={timezone} "
        f"digest={'on' if digest_subscribed else 'off'}",
        at=now,
    )
    return me(session, employee_id)


def set_paused(session: Session, employee_id: int, paused: bool, now: datetime) -> None:
    """Pause or resume monitoring (polling skips paused employees; nothing is erased)."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    emp.paused = paused
    session.add(emp)
    action = "employee.pause" if paused else "employee.resume"
    audit.record(session, actor_for(employee_id), action, f"employee:{employee_id}", at=now)


def unsubscribe_digest(session: Session, employee_id: int, now: datetime) -> None:
    """Stop the daily digest (immediate alerts for serious flags still arrive)."""
    emp = session.get(EmployeeRow, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    if not emp.digest_unsubscribed:
        emp.digest_unsubscribed = True
        session.add(emp)
    audit.record(
        session, actor_for(employee_id), "digest.unsubscribe", f"employee:{employee_id}", at=now
    )


def opt_out(session: Session, employee_id: int) -> dict[str, int]:
    """Stop monitoring and erase the employee's data.

    See :func:`monitor.people.employees.opt_out`.
    """
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    return employees.opt_out(session, emp.email, actor=actor_for(employee_id))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = _iso(value) if isinstance(value, datetime) else value
    return out


def export_data(session: Session, employee_id: int, now: datetime) -> dict[str, Any]:
    """Everything stored about the employee, as plain JSON-ready values (audited)."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    accounts = list(session.exec(select(AccountRow).where(AccountRow.employee_id == employee_id)))
    account_ids = [a.id for a in accounts]
    posts = list(session.exec(select(PostRow).where(col(PostRow.account_id).in_(account_ids))))
    post_ids = [p.id for p in posts]
    findings = list(session.exec(select(FindingRow).where(col(FindingRow.post_id).in_(post_ids))))
    subject = f"employee:{employee_id}"
    audit.record(session, actor_for(employee_id), "data.export", subject, at=now)
    session.flush()
    return {
        "exported_at": now.isoformat(),
        "employee": _row(emp, (
            "id", "email", "name", "timezone", "digest_hour", "digest_unsubscribed", "paused",
            "own_contacts", "opted_in_at", "opted_out_at", "created_at",
        )),
        "accounts": [_row(a, (
            "id", "network", "handle", "native_id", "status", "status_reason",
            "last_polled_at", "next_poll_at", "created_at",
        )) for a in accounts],
        "posts": [_row(p, (
            "id", "account_id", "network", "native_id", "url", "text", "language",
            "wording_assessed", "created_at", "edited_at", "deleted_at", "fetched_at", "read_notes",
        )) for p in posts],
        "findings": [_row(f, (
            "id", "post_id", "detector", "detector_version", "category", "kind", "rule",
            "start", "end", "masked", "score", "explanation", "decision", "status",
            "resolution", "resolved_at", "remind_after", "created_at",
        )) for f in findings],
        "reviews": [_row(r, ("id", "finding_id", "action", "comment", "created_at"))
                    for r in session.exec(select(ReviewRow).where(
                        ReviewRow.employee_id == employee_id))],
        "alerts": [_row(a, ("id", "finding_id", "kind", "channel", "status", "attempts",
                            "created_at", "sent_at"))
                   for a in session.exec(select(AlertRow).where(
                       AlertRow.employee_id == employee_id))],
        "suppressions": [_row(s, ("id", "content_hash", "rule", "category", "created_at"))
                         for s in session.exec(
                             select(SuppressionRow).where(
                                 SuppressionRow.employee_id == employee_id))],
        "audit": [_row(e, ("at", "actor", "action", "subject", "detail"))
                  for e in session.exec(
                      select(AuditEventRow)
                      .where(sa.or_(col(AuditEventRow.subject) == subject,
                                    col(AuditEventRow.actor) == actor_for(employee_id)))
                      .order_by(col(AuditEventRow.at)))],
    }


# --- the compliance view: aggregates only ------------------------------------------------


