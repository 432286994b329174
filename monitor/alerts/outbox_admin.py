"""The operator's view of the outbox: list alerts, put dead or failed ones back in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.errors import BadInput, NotFound
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow, EmployeeRow


@dataclass(frozen=True)
class AlertLine:
    """One alert as ``alerts list`` shows it."""

    id: int
    email: str
    kind: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


def list_alerts(engine: Engine, status: str | None = None) -> list[AlertLine]:
    """Every alert (only those of ``status``, if given), oldest first, with its recipient."""
    query = select(AlertRow, EmployeeRow.email).join(EmployeeRow).order_by(col(AlertRow.id))
    if status:
        query = query.where(AlertRow.status == status)
    with session_scope(engine) as session:
        return [AlertLine(a.id or 0, mail, a.kind, a.channel, a.status, a.attempts,
                          a.next_attempt_at, a.last_error)
                for a, mail in session.exec(query)]


def requeue(engine: Engine, alert_id: int | None, now: datetime) -> int:
    """Queue alert ``alert_id`` (dead or failed), or every dead one (None), again from now
    with its attempts reset; returns how many. Raises NotFound, or BadInput for an alert
    that is neither dead nor failed."""
    query = sa.update(AlertRow).values(status="queued", attempts=0, next_attempt_at=now)
    with session_scope(engine) as session:
        if alert_id is None:
            return session.execute(  # type: ignore[attr-defined]
                query.where(col(AlertRow.status) == "dead")).rowcount
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id}")
        if alert.status not in ("dead", "failed"):
            raise BadInput(f"alert {alert_id} is {alert.status}; only dead or failed "
                           "alerts can be retried")
        return session.execute(  # type: ignore[attr-defined]
            query.where(col(AlertRow.id) == alert_id)).rowcount
