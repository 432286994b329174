"""Erasure of stored content: opt-out, unlink, retention. One place, explicit deletes."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.storage.models import (
    AccountRow,
    AlertRow,
    AuditEventRow,
    EmployeeRow,
    FindingRow,
    PostRow,
    ReviewRow,
    SuppressionRow,
    UsedTokenRow,
)


def erase_posts(session: Session, post_ids: Sequence[int]) -> None:
    """Delete posts with their findings, reviews and alerts (children first)."""
    if not post_ids:
        return
    finding_ids = select(FindingRow.id).where(col(FindingRow.post_id).in_(post_ids))
    session.execute(sa.delete(ReviewRow).where(col(ReviewRow.finding_id).in_(finding_ids)))
    session.execute(sa.delete(AlertRow).where(col(AlertRow.finding_id).in_(finding_ids)))
    session.execute(sa.delete(FindingRow).where(col(FindingRow.post_id).in_(post_ids)))
    session.execute(sa.delete(PostRow).where(col(PostRow.id).in_(post_ids)))


def erase_accounts(session: Session, account_ids: Sequence[int]) -> None:
    if not account_ids:
        return
    of_accounts = select(PostRow.id).where(col(PostRow.account_id).in_(account_ids))
    post_ids = list(session.exec(of_accounts))
    erase_posts(session, [p for p in post_ids if p is not None])


def _count(session: Session, model: type, *where: sa.ColumnElement[bool]) -> int:
    return int(session.exec(select(sa.func.count()).select_from(model).where(*where)).one())


def erase_employee(session: Session, employee: EmployeeRow) -> dict[str, int]:
    """Delete everything stored about one person, the employee row included; return counts.

    Deleted: their accounts, posts, findings, reviews, alerts, suppressions, spent sign-in
    links, the employee row, and the audit lines that name them (as subject or actor:
    ``employee:ID``, their e-mail, their accounts' and findings' ids). Nothing here writes
    the audit line of the erasure itself: the caller writes one with these counts only.
    Children are deleted before parents, so this does not depend on the database
    enforcing the foreign keys' ``ON DELETE CASCADE``.
    """
    emp_id = employee.id or 0
    account_ids = [i for i in session.exec(
        select(AccountRow.id).where(AccountRow.employee_id == emp_id)) if i is not None]
    post_ids = [i for i in session.exec(
        select(PostRow.id).where(col(PostRow.account_id).in_(account_ids))) if i is not None]
    finding_ids = [i for i in session.exec(
        select(FindingRow.id).where(col(FindingRow.post_id).in_(post_ids))) if i is not None]
    subjects = (
        [f"employee:{emp_id}", employee.email]
        + [f"account:{i}" for i in account_ids]
        + [f"finding:{i}" for i in finding_ids]
    )
    actors = [f"employee:{emp_id}", employee.email]
    names_them = sa.or_(col(AuditEventRow.subject).in_(subjects),
                        col(AuditEventRow.actor).in_(actors))
    reviews = sa.or_(col(ReviewRow.employee_id) == emp_id,
                     col(ReviewRow.finding_id).in_(finding_ids))
    alerts = sa.or_(col(AlertRow.employee_id) == emp_id, col(AlertRow.finding_id).in_(finding_ids))
    counts = {
        "accounts": len(account_ids),
        "posts": len(post_ids),
        "findings": len(finding_ids),
        "reviews": _count(session, ReviewRow, reviews),
        "alerts": _count(session, AlertRow, alerts),
        "suppressions": _count(session, SuppressionRow, col(SuppressionRow.employee_id) == emp_id),
        "used_tokens": _count(session, UsedTokenRow, col(UsedTokenRow.employee_id) == emp_id),
        "employees": 1,
        "audit_events": _count(session, AuditEventRow, names_them),
    }
    session.execute(sa.delete(ReviewRow).where(reviews))
    session.execute(sa.delete(AlertRow).where(alerts))
    erase_posts(session, post_ids)
    session.execute(sa.delete(SuppressionRow).where(col(SuppressionRow.employee_id) == emp_id))
    session.execute(sa.delete(UsedTokenRow).where(col(UsedTokenRow.employee_id) == emp_id))
    session.execute(sa.delete(AccountRow).where(col(AccountRow.employee_id) == emp_id))
    session.execute(sa.delete(AuditEventRow).where(names_them))
    session.execute(sa.delete(EmployeeRow).where(col(EmployeeRow.id) == emp_id))
    session.expunge(employee)
    return counts
