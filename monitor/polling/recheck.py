"""Re-check posts already stored: flagged ones (deletions and edits close their flags) and
recent unflagged ones on networks that page forward (an edit adding a leak is caught).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connectors.base import (
    AccountRef,
    AuthFailed,
    RateLimited,
)
from monitor.clock import utcnow
from monitor.config import AppConfig
from monitor.polling import failures, scheduling
from monitor.polling.report import PollReport
from monitor.polling.store import store_result
from monitor.settings import Settings
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, EmployeeRow, FindingRow, PostRow

if TYPE_CHECKING:  # the poller calls this module; only its type is needed here
    from monitor.polling.poller import Poller

log = logging.getLogger("monitor.polling")



def flagged_posts(
    session: Session,
    limit: int,
    *,
    now: datetime | None = None,
    recent_days: int = 0,
    recent_hours: int = 24,
    recent_limit: int = 0,
    recent_networks: Sequence[str] = (),
) -> dict[tuple[int, str], list[str]]:
    """Native ids of live posts with open flags, per (account id, network); consenting
    owners' active accounts only, none on a resting or paused host.

    With ``recent_days`` and ``recent_limit``, also up to ``recent_limit`` posts *without*
    flags of ``recent_networks`` written in the last ``recent_days`` days and not looked
    at for ``recent_hours`` hours (the longest-unchecked first): their polls page forward
    from the newest post, so an edit of an older one is seen only here.
    """
    now = now or utcnow()
    live = (
        col(PostRow.deleted_at).is_(None),
        AccountRow.status == "active",
        col(EmployeeRow.opted_in_at).is_not(None),
        col(EmployeeRow.opted_out_at).is_(None),
        ~scheduling.on_resting_host(now),
    )
    flagged = sa.exists().where(col(FindingRow.post_id) == col(PostRow.id),
                                col(FindingRow.status) == "open")
    base = (
        select(PostRow.account_id, AccountRow.network, PostRow.native_id)
        .join(AccountRow, col(AccountRow.id) == col(PostRow.account_id))
        .join(EmployeeRow, col(EmployeeRow.id) == col(AccountRow.employee_id))
    )
    out: dict[tuple[int, str], list[str]] = {}
    for account_id, network, native_id in session.exec(
        base.where(*live, flagged).order_by(col(PostRow.id)).limit(limit)
    ):
        out.setdefault((account_id, network), []).append(native_id)
    if recent_days <= 0 or recent_limit <= 0 or not recent_networks:
        return out
    last_look = sa.func.coalesce(col(PostRow.checked_at), col(PostRow.fetched_at))
    recent = (
        base.where(
            *live,
            ~flagged,
            col(EmployeeRow.paused).is_(False),
            col(PostRow.network).in_(list(recent_networks)),
            col(PostRow.created_at) >= now - timedelta(days=recent_days),
            last_look <= now - timedelta(hours=recent_hours),
        )
        .order_by(last_look, col(PostRow.id))
        .limit(recent_limit)
    )
    for account_id, network, native_id in session.exec(recent):
        out.setdefault((account_id, network), []).append(native_id)
    return out


def recheck_targets(session: Session, settings: Settings,
                    now: datetime | None = None) -> dict[tuple[int, str], list[str]]:
    """What one re-check run looks at, per ``daemon.recheck_*`` settings: the flagged posts
    and the recent ones without flags (see :func:`flagged_posts`)."""
    d = settings.daemon
    return flagged_posts(session, d.recheck_batch, now=now,
                         recent_days=d.recheck_recent_days, recent_hours=d.recheck_recent_hours,
                         recent_limit=d.recheck_recent_batch,
                         recent_networks=d.recheck_recent_networks)


def recheck_account(poller: Poller, account_id: int, native_ids: Sequence[str],
                     now: datetime) -> PollReport:
    """See :meth:`Poller.recheck_account`."""
    engine, app = poller.engine, poller.config
    report = PollReport(account_id, outcome="rechecked")
    with session_scope(engine) as session:
        account = session.get(AccountRow, account_id)
        if account is None:
            report.outcome = "gone"
            return report
        report.network = account.network
        report.host = scheduling.host_for(app.settings, account.network, account.handle) or ""
        if scheduling.is_host_resting(session, account.network, report.host, now):
            report.outcome = "not_due"
            return report
        ref = AccountRef(account.network, account.handle, account.native_id)
    try:
        result = poller.connector_for(ref.network).recheck(ref, native_ids)
        report.requests = result.requests_made
        with session_scope(engine) as session:
            account = session.get(AccountRow, account_id)
            employee = session.get(EmployeeRow, account.employee_id) if account else None
            if account is None or employee is None or employee.opted_in_at is None \
                    or employee.opted_out_at is not None:
                report.outcome = "no_consent"
                return report
            store_result(session, app, poller.pipeline, account, employee, result, now, report,
                         asked=native_ids)
            session.execute(
                sa.update(PostRow)
                .where(col(PostRow.account_id) == account_id, col(PostRow.native_id).in_(
                    native_ids))
                .values(checked_at=now)
            )
    except Exception as exc:  # a failed re-check closes nothing; next one retries
        report.outcome, report.error = "recheck_failed", failures.error_name(exc)
        report.requests = max(report.requests, 1)
        log.warning("recheck failed", extra={"account_id": account_id, "network": ref.network,
                                             "error": failures.error_name(exc)})
        _recheck_refused(engine, app, report, exc, now)
        return report
    log.info("rechecked flagged posts", extra={
        "account_id": account_id, "network": ref.network, "posts": len(native_ids),
        "edited": report.edited_posts, "deleted": report.deleted_posts,
        "findings": report.findings, "alerts": report.alerts, "resolved": report.resolved})
    return report


def _recheck_refused(engine: Engine, app: AppConfig, report: PollReport, exc: Exception,
                     now: datetime) -> None:
    """A re-check told to wait: the network rests (the caller, from ``retry_at``), or the
    host rests or pauses (here)."""
    if isinstance(exc, RateLimited):
        until = failures.retry_at(app, exc, now)
    elif isinstance(exc, AuthFailed) and report.host:
        until = now + timedelta(minutes=app.settings.daemon.auth_pause_minutes)
    else:
        return
    if not report.host:
        report.retry_at = until
        return
    with session_scope(engine) as session:
        started = failures.rest_host(session, report, until, exc, now)
    failures.log_host_rest(report, report.account_id, exc, started)
