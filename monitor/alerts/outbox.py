"""The alert outbox: queue, deliver with retries, never twice.

Every message is a row with a unique dedupe key (finding or digest day, channel, kind). The
attempt is claimed with one conditional update (``status`` from pending to ``sending``, row
count checked) before the message leaves, with a stable Message-ID, so two processes on one
database never both send it. A row still ``sending`` after its lease means the process died
between sending and recording: it becomes ``unconfirmed`` and is not sent again (a second
e-mail is worse than none here); the flag stays open, so the review page and the next
digest still list it, and ``alerts list --status unconfirmed`` says why.

An unreachable mail server (refused, timeout, a 4xx answer) is the transport's trouble, not
the message's: the e-mail is retried with capped back-off for as long as it takes and the
operator is told (an ERROR line ``alert_transport_unavailable`` per delivery run). Only a
permanent answer for that message (5xx) makes an e-mail dead. Chat/push rows become dead
after ``alerts.max_attempts`` failures (apprise cannot tell the two apart).

Rows of channel ``email`` go through the SMTP transport; the others are chat/push channels
(:mod:`monitor.alerts.channels`), one row per channel, so a failing channel blocks nothing else.
A failure that is the operator's to fix (:class:`~monitor.errors.OperatorSendError`: login
refused, TLS certificate not trusted) is retried with back-off but never makes an alert
dead, and is logged as an error once per delivery run.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.channels import (
    AppriseTransport,
    ChannelMessage,
    ChannelSender,
    compose_channel,
    configured_channels,
)
from monitor.alerts.digest import compose_digest
from monitor.alerts.links import review_link
from monitor.alerts.mailer import (
    build_message,
    items_for,
    subject_for_post,
)
from monitor.backoff import backoff
from monitor.clock import utcnow
from monitor.config import AppConfig
from monitor.errors import OperatorSendError, PermanentSendError, TransientSendError
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, EmployeeRow, FindingRow, PostRow

log = logging.getLogger("monitor.outbox")

PENDING = ("queued", "failed")


class Sender(Protocol):
    """What the outbox needs of a transport: raise Permanent/TransientSendError on failure."""

    def send(self, msg: EmailMessage) -> None: ...


def message_id(alert: AlertRow, domain: str = "social-monitor") -> str:
    digest = hashlib.sha256(alert.dedupe_key.encode()).hexdigest()[:16]
    return f"<alert-{alert.id}.{digest}@{domain}>"


def enqueue_immediate(
    session: Session, app: AppConfig, employee_id: int, finding_id: int, now: datetime
) -> bool:
    """Queue an immediate alert unless the employee's hourly budget is spent (then: digest).

    One row for the e-mail and one per configured chat/push channel. Immediate alerts do not
    look at ``digest_unsubscribed``: leaving the digest never silences them.
    """
    limit = app.settings.alerts.immediate_per_hour
    recent = session.exec(
        select(sa.func.count())
        .select_from(AlertRow)
        .where(
            AlertRow.employee_id == employee_id,
            AlertRow.kind == "immediate",
            AlertRow.channel == "email",
            col(AlertRow.created_at) >= now - timedelta(hours=1),
        )
    ).one()
    if recent >= limit:
        return False
    key = f"finding:{finding_id}:email:immediate"
    if session.exec(select(AlertRow.id).where(AlertRow.dedupe_key == key)).first() is not None:
        return False
    for channel in ["email", *configured_channels(app)]:
        session.add(
            AlertRow(
                employee_id=employee_id,
                finding_id=finding_id,
                kind="immediate",
                channel=channel,
                dedupe_key=f"finding:{finding_id}:{channel}:immediate",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return True


def cancel_for_finding(session: Session, finding_id: int) -> None:
    """A resolved flag cancels its pending alerts."""
    session.execute(
        sa.update(AlertRow)
        .where(col(AlertRow.finding_id) == finding_id, col(AlertRow.status).in_(PENDING))
        .values(status="cancelled")
    )


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    unconfirmed: int = 0
    errors: list[str] = field(default_factory=list)
    # Problems the operator must fix (login refused, ...): retried, never dead.
    operator_errors: list[str] = field(default_factory=list)
    # The mail server unreachable or deferring (refused, timeout, 4xx): retried, never dead.
    transport_errors: list[str] = field(default_factory=list)


# Builds the message for one alert from current state; None means nothing to send any more.
Composer = Callable[[Session, AppConfig, AlertRow, datetime], EmailMessage | None]


def compose_immediate(
    session: Session, app: AppConfig, alert: AlertRow, now: datetime
) -> EmailMessage | None:
    finding = session.get(FindingRow, alert.finding_id) if alert.finding_id else None
    employee = session.get(EmployeeRow, alert.employee_id)
    if finding is None or employee is None or finding.status != "open":
        return None
    post = session.get(PostRow, finding.post_id)
    if post is None or post.deleted_at is not None:
        return None
    # One post, one alert: every open finding of the post, however many there are.
    findings = session.exec(
        select(FindingRow).where(FindingRow.post_id == post.id, FindingRow.status == "open")
    ).all()
    [item] = items_for(app, [(f, post) for f in findings])
    return build_message(
        app, employee, [item], subject_for_post(item), review_link(app, employee.id or 0),
        alert.message_id, now,
    )


# One composer per alert kind: builds the message from current state (None: nothing to send).
COMPOSERS: Mapping[str, Composer] = {"immediate": compose_immediate, "digest": compose_digest}

UNCONFIRMED = ("delivery unconfirmed: the process stopped while sending; not sent again, "
               "the flag stays on the review page and in the next digest")


def recover_unconfirmed(engine: Engine, now: datetime) -> int:
    """Rows left ``sending`` past their lease: the process died mid-send. They become
    ``unconfirmed`` (never resent); returns how many."""
    with session_scope(engine) as session:
        result = session.execute(
            sa.update(AlertRow)
            .where(col(AlertRow.status) == "sending", col(AlertRow.next_attempt_at) <= now)
            .values(status="unconfirmed", last_error=UNCONFIRMED)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.warning("alerts with unconfirmed delivery", extra={"count": count})
    return count


def _claim(session: Session, alert_id: int, now: datetime, lease: timedelta) -> bool:
    """Take one due alert for sending: a conditional update, so of two processes (or two
    daemons by mistake) only one ever gets it."""
    result = session.execute(
        sa.update(AlertRow)
        .where(col(AlertRow.id) == alert_id, col(AlertRow.status).in_(PENDING),
               col(AlertRow.next_attempt_at) <= now)
        .values(status="sending", attempts=AlertRow.attempts + 1, next_attempt_at=now + lease)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


@dataclass(frozen=True, kw_only=True)
class Outbox:
    """Delivery, wired once (``App.outbox()``): the engine, the settings, the mail sender,
    the chat channels and one composer per alert kind.

    Every kind has its composer (``COMPOSERS`` unless given); a row of a kind with none is
    made dead with that reason, never silently cancelled.
    """

    engine: Engine
    config: AppConfig
    sender: Sender
    composers: Mapping[str, Composer] = field(default_factory=lambda: dict(COMPOSERS))
    channels: ChannelSender | None = None

    def deliver_due(
        self, *, now: datetime | None = None, limit: int = 500, rng: random.Random | None = None
    ) -> DeliveryReport:
        """Send every alert that is due. One failing alert never blocks the others.

        E-mail rows go to ``sender``; chat/push rows to ``channels`` (default: apprise with
        the configured channel URLs).
        """
        return _deliver_due(self, now or utcnow(), limit, rng)


def _deliver_due(box: Outbox, now: datetime, limit: int,
                 rng: random.Random | None) -> DeliveryReport:
    engine, app, sender, composers = box.engine, box.config, box.sender, box.composers
    channels = box.channels or AppriseTransport(app)
    report = DeliveryReport(unconfirmed=recover_unconfirmed(engine, now))
    a = app.settings.alerts
    lease = timedelta(seconds=app.settings.smtp.timeout_seconds * 3 + 30)
    with session_scope(engine) as session:
        due = list(
            session.exec(
                select(AlertRow.id)
                .where(col(AlertRow.status).in_(PENDING), col(AlertRow.next_attempt_at) <= now)
                .order_by(col(AlertRow.next_attempt_at))
                .limit(limit)
            )
        )
    for alert_id in due:
        # 1. Claim the attempt and record it before anything leaves.
        with session_scope(engine) as session:
            if alert_id is None or not _claim(session, alert_id, now, lease):
                continue  # another process took it, or it is no longer due
            alert = session.get(AlertRow, alert_id)  # a fresh session: loads the claimed row
            if alert is None:
                continue
            alert.message_id = alert.message_id or message_id(alert)
            channel = alert.channel
            msg: EmailMessage | ChannelMessage | None
            try:
                if channel != "email":
                    msg = compose_channel(session, app, alert, now)
                else:
                    composer = composers.get(alert.kind)
                    if composer is None:
                        raise PermanentSendError(f"no composer for alerts of kind {alert.kind!r}")
                    msg = composer(session, app, alert, now)
            except PermanentSendError as exc:
                msg = None
                alert.status, alert.last_error = "dead", str(exc)[:500]
                report.dead += 1
                report.errors.append(f"alert {alert_id}: {exc}")
            else:
                if msg is None:
                    alert.status = "cancelled"
                    report.cancelled += 1
            session.add(alert)
        if msg is None:
            continue
        # 2. Send; 3. record the outcome.
        error: str | None = None
        permanent = operator = False
        try:
            if isinstance(msg, EmailMessage):
                sender.send(msg)
            else:
                channels.send(channel, msg)
        except PermanentSendError as exc:
            error, permanent = str(exc), True
        except OperatorSendError as exc:
            error, operator = str(exc), True
        except TransientSendError as exc:
            error = str(exc)
            if channel == "email" and error not in report.transport_errors:
                report.transport_errors.append(error)
        with session_scope(engine) as session:
            alert = session.get(AlertRow, alert_id)
            if alert is None or alert.status != "sending":
                continue  # erased meanwhile (opt-out), or recovered by another process
            # An e-mail is never dead for an unreachable server, only for its own 5xx.
            gives_up = channel != "email" and alert.attempts >= a.max_attempts
            if error is None:
                alert.status, alert.sent_at, alert.last_error = "sent", now, ""
                report.sent += 1
            elif permanent or (gives_up and not operator):
                alert.status, alert.last_error = "dead", error[:500]
                report.dead += 1
                report.errors.append(f"alert {alert_id}: {error}")
            else:
                alert.status, alert.last_error = "failed", error[:500]
                delay = backoff(alert.attempts, a.retry_base_seconds, a.retry_cap_seconds, rng=rng)
                alert.next_attempt_at = now + timedelta(seconds=delay)
                report.failed += 1
                if operator and error not in report.operator_errors:
                    report.operator_errors.append(error)
            session.add(alert)
    for problem in report.operator_errors:
        log.error("alerts held back by a configuration problem; they are retried",
                  extra={"event": "alert_transport_misconfigured", "error": problem[:300]})
    if report.transport_errors:
        log.error("mail server unavailable; alerts wait and are retried until it answers",
                  extra={"event": "alert_transport_unavailable", "failed": report.failed,
                         "error": report.transport_errors[0][:300]})
    return report
