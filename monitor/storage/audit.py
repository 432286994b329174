"""Audit trail: who did what when. Ids and actions only, never post text."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from monitor.clock import utcnow
from monitor.storage.models import AuditEventRow


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> None:
    session.add(
        AuditEventRow(at=at or utcnow(), actor=actor, action=action, subject=subject, detail=detail)
    )
