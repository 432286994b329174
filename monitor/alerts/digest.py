"""The daily digest: one e-mail per employee at their local hour, only when something is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.links import make_token, review_link
from monitor.alerts.mailer import build_message, items_for
from monitor.config import AppConfig
from monitor.people.employees import EmployeeInfo
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, EmployeeRow, FindingRow, PostRow
from monitor.storage.queries import employee_findings


def _open_flags_query(employee_id: int, now: datetime) -> Any:
    """Open flags of one employee on posts still up, snoozed ones left out."""
    return (
        employee_findings(employee_id)
        .where(
            FindingRow.status == "open",
            col(PostRow.deleted_at).is_(None),
            sa.or_(col(FindingRow.remind_after).is_(None), col(FindingRow.remind_after) <= now),
        )
    )


def open_flags(
    session: Session, employee_id: int, now: datetime
) -> list[tuple[FindingRow, PostRow]]:
    """The employee's open flags on posts still up, newest first (snoozed ones left out)."""
    query = _open_flags_query(employee_id, now).order_by(
        col(FindingRow.created_at).desc(), col(FindingRow.id).desc()
    )
    return [(f, p) for f, p in session.exec(query).all()]


def has_open_flags(session: Session, employee_id: int, now: datetime) -> bool:
    return session.exec(_open_flags_query(employee_id, now).limit(1)).first() is not None


def subject_for(count_posts: int) -> str:
    if count_posts == 1:
        return "1 post needs your review"
    return f"{count_posts} posts need your review"


def compose_digest(
    session: Session, app: AppConfig, alert: AlertRow, now: datetime
) -> EmailMessage | None:
    employee = session.get(EmployeeRow, alert.employee_id)
    if employee is None or employee.digest_unsubscribed or employee.opted_out_at is not None:
        return None
    flags = open_flags(session, employee.id or 0, now)
    if not flags:
        return None
    posts = {p.id for _, p in flags}
    base = app.settings.review.base_url.rstrip("/")
    unsubscribe = f"{base}/unsubscribe?token={make_token(app, employee.id or 0, 'unsubscribe')}"
    return build_message(
        app,
        employee,
        items_for(app, flags),
        subject_for(len(posts)),
        review_link(app, employee.id or 0),
        alert.message_id,
        now,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def local_date(employee: EmployeeRow, now: datetime) -> tuple[str, int]:
    local = now.astimezone(ZoneInfo(employee.timezone))
    return local.date().isoformat(), local.hour


def enqueue_due_digests(
    engine: Engine, app: AppConfig, now: datetime, *, ignore_hour: bool = False
) -> int:
    """Queue today's digest for every employee whose local digest hour has come.

    ``ignore_hour`` queues it for everyone with something open (the demo does this).
    """
    queued = 0
    with session_scope(engine) as session:
        employees = session.exec(
            select(EmployeeRow).where(
                col(EmployeeRow.opted_in_at).is_not(None),
                col(EmployeeRow.opted_out_at).is_(None),
                col(EmployeeRow.digest_unsubscribed).is_(False),
            )
        ).all()
        for emp in employees:
            day, hour = local_date(emp, now)
            too_early = hour < emp.digest_hour and not ignore_hour
            if too_early or not has_open_flags(session, emp.id or 0, now):
                continue
            key = f"digest:{emp.id}:{day}:email"
            if session.exec(select(AlertRow.id).where(AlertRow.dedupe_key == key)).first():
                continue
            session.add(
                AlertRow(
                    employee_id=emp.id or 0,
                    kind="digest",
                    dedupe_key=key,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            queued += 1
    return queued


@dataclass(frozen=True)
class DigestDue:
    """One monitored employee as ``digest send --dry-run`` reports them."""

    email: str
    open_posts: int  # posts with open flags (a post with two findings counts once)
    due: bool


def due_report(engine: Engine, now: datetime) -> list[DigestDue]:
    """Whose digest is due now (local hour reached, something open, still subscribed)."""
    out = []
    with session_scope(engine) as session:
        for emp in session.exec(select(EmployeeRow).where(
                col(EmployeeRow.opted_in_at).is_not(None),
                col(EmployeeRow.opted_out_at).is_(None))):
            _day, hour = local_date(emp, now)
            posts = len({p.id for _, p in open_flags(session, emp.id or 0, now)})
            due = bool(posts and hour >= emp.digest_hour and not emp.digest_unsubscribed)
            out.append(DigestDue(emp.email, posts, due))
    return out


@dataclass(frozen=True)
class Preview:
    eml: Path
    html: Path
    subject: str


def preview(engine: Engine, app: AppConfig, employee: EmployeeInfo, out_dir: Path,
            now: datetime) -> Preview | None:
    """Write the digest the employee would get now as .eml and .html, without sending."""
    with session_scope(engine) as session:
        fake = AlertRow(id=0, employee_id=employee.id, kind="digest",
                     dedupe_key="preview", message_id="<digest-preview@social-monitor>")
        msg = compose_digest(session, app, fake, now)
    if msg is None:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{employee.email.replace('@', '_at_')}"
    eml, html = out_dir / f"{stem}.eml", out_dir / f"{stem}.html"
    eml.write_bytes(bytes(msg))
    body = msg.get_body(("html",))
    html.write_text(body.get_content() if body is not None else "", encoding="utf-8")
    return Preview(eml, html, str(msg["Subject"]))
