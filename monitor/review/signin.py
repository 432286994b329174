"""Sign-in by e-mailed link: single-use tokens and the "send me a fresh link" e-mail.

Links (``monitor.alerts.links``) are signed and expire. Using one for sign-in spends it: the
SHA-256 of its nonce goes into ``used_token`` (never the token itself), so a copied or
forwarded link works once. Spent rows older than the link lifetime are purged, since the
signature alone refuses those links by then.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.alerts.links import read_token, review_link
from monitor.alerts.outbox import Sender
from monitor.config import AppConfig
from monitor.errors import BadInput, BadLink, MonitorError, PermanentSendError, TransientSendError
from monitor.people.employees import check_email
from monitor.review.own import active_employee, actor_for
from monitor.storage import audit
from monitor.storage.db import session_scope
from monitor.storage.models import EmployeeRow, UsedTokenRow

log = logging.getLogger("monitor.web")


def nonce_hash(purpose: str, nonce: str) -> str:
    return hashlib.sha256(f"{purpose}:{nonce}".encode()).hexdigest()


@dataclass(frozen=True)
class LinkOwner:
    """The employee a valid sign-in link is for."""

    employee_id: int
    email: str
    session_version: int


def check_signin(engine: Engine, config: AppConfig, token: str) -> LinkOwner:
    """The employee a sign-in link is for, without spending it. Raises BadLink."""
    employee_id, nonce = read_token(config, token, "signin")
    with session_scope(engine) as session:
        if session.exec(
            select(UsedTokenRow.id).where(UsedTokenRow.nonce_hash == nonce_hash("signin", nonce))
        ).first():
            raise BadLink("this link has already been used; ask for a fresh one")
        emp = active_employee(session, employee_id)
        if emp is None:
            raise BadLink("this link is not valid")
        return LinkOwner(emp.id or 0, emp.email, emp.session_version)


def spend_signin(
    engine: Engine, config: AppConfig, token: str, now: datetime
) -> tuple[int, int]:
    """Spend a sign-in link: (employee id, their session version). Raises BadLink (bad,
    expired, used)."""
    owner = check_signin(engine, config, token)
    employee_id, version = owner.employee_id, owner.session_version
    _, nonce = read_token(config, token, "signin")
    ttl = timedelta(hours=config.settings.review.link_ttl_hours)
    try:
        with session_scope(engine) as session:
            session.execute(
                sa.delete(UsedTokenRow).where(col(UsedTokenRow.used_at) < now - ttl - timedelta(
                    hours=1))
            )
            session.add(
                UsedTokenRow(
                    nonce_hash=nonce_hash("signin", nonce),
                    purpose="signin",
                    employee_id=employee_id,
                    used_at=now,
                )
            )
            audit.record(session, actor_for(employee_id), "web.signin",
                         f"employee:{employee_id}", at=now)
    except sa.exc.IntegrityError as exc:  # the same link used twice at the same moment
        raise BadLink("this link has already been used; ask for a fresh one") from exc
    return employee_id, version


def signin_message(
    config: AppConfig, employee: EmployeeRow, link: str, now: datetime) -> EmailMessage:
    """The fresh-link e-mail (plain text; the link is all it carries)."""
    hours = config.settings.review.link_ttl_hours
    msg = EmailMessage()
    msg["From"] = config.settings.smtp.sender
    msg["To"] = employee.email
    msg["Subject"] = "Your sign-in link for social-monitor"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="social-monitor")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Hello {employee.name or employee.email},\n\n"
        f"Here is your link to the review page:\n\n{link}\n\n"
        f"It works once and expires in {hours} hours. If you did not ask for it, "
        "you can ignore this e-mail.\n"
    )
    return msg


def send_fresh_link(
    engine: Engine, config: AppConfig, sender: Sender, email: str, now: datetime
) -> bool:
    """E-mail a sign-in link if ``email`` is a monitored employee; True when one was sent.

    Never raises for an unknown address or a mail failure (the page answers the same
    either way); failures are logged with the employee id only.
    """
    try:
        with session_scope(engine) as session:
            emp = session.exec(select(EmployeeRow).where(EmployeeRow.email == check_email(
                email))).first()
            if emp is None or active_employee(session, emp.id or 0) is None:
                return False
            employee_id = emp.id or 0
            msg = signin_message(config, emp, review_link(config, employee_id), now)
    except BadInput:
        return False
    try:
        sender.send(msg)
    except (PermanentSendError, TransientSendError, MonitorError) as exc:
        log.warning("sign-in link not sent to employee %s: %s", employee_id, type(exc).__name__)
        return False
    with session_scope(engine) as session:
        audit.record(session, "web", "web.link_sent", f"employee:{employee_id}", at=now)
    return True
